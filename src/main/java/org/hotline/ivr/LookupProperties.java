package org.hotline.ivr;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How many wrong booking codes or resident IDs the phone menu takes ({@code hotline.ivr.lookup.*},
 * documented in docs/configuration.md). A wrong one is any look-up that finds no booking this calling
 * number may manage, whether the booking does not exist or is someone else's.
 *
 * @param failuresPerCall wrong look-ups in one call before the caller is handed to a person
 * @param failuresPerDay  wrong look-ups by one calling number in one day (all calls, all gateway nodes) after
 *                        which it may look up by code or ID no more that day: a person instead
 */
@ConfigurationProperties("hotline.ivr.lookup")
public record LookupProperties(Integer failuresPerCall, Integer failuresPerDay) {

    public LookupProperties {
        failuresPerCall = failuresPerCall == null ? 3 : failuresPerCall;
        failuresPerDay = failuresPerDay == null ? 10 : failuresPerDay;
        if (failuresPerCall < 1 || failuresPerDay < 1) {
            throw new IllegalStateException("hotline.ivr.lookup.failures-per-call and failures-per-day must be at least 1");
        }
    }
}
