package org.hotline.ivr;

import java.time.Duration;
import java.time.LocalTime;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The voice menu's settings ({@code hotline.ivr.*}, documented in docs/configuration.md). Timeouts are
 * generous on purpose: many callers are old and key slowly.
 *
 * @param flows              where the flow files are (a Spring resource pattern)
 * @param promptsDir         folder with {@code catalogue.tsv} and one {@code <id>.wav} per prompt
 * @param entryFlow          the flow every call starts in
 * @param menuTimeout        how long a menu waits for a key after its prompt ends
 * @param digitsTimeout      how long digit entry waits for the next key
 * @param maxFailures        timeouts or invalid keys in a row before a person is offered
 * @param maxSteps           node visits in one call before the engine gives the caller to a person
 * @param agentHoursOpen     agents answer from this time of day
 * @param agentHoursClose    ... until this time of day
 * @param callbackOfferWait  an expected queue wait at least this long offers a call-back
 * @param elderAge           a caller known to be this old hears how to reach a person first
 * @param priorityAge        a caller known to be this old goes first in the agents' queue
 * @param priorityNormal     queue priority of other callers
 * @param priorityElder      queue priority of callers of {@code elderAge} and over
 * @param priorityVeryOld    queue priority of callers of {@code priorityAge} and over (the highest)
 */
@ConfigurationProperties("hotline.ivr")
public record IvrProperties(String flows, String promptsDir, String entryFlow, Duration menuTimeout,
        Duration digitsTimeout, Integer maxFailures, Integer maxSteps, LocalTime agentHoursOpen,
        LocalTime agentHoursClose, Duration callbackOfferWait, Integer elderAge, Integer priorityAge,
        Integer priorityNormal, Integer priorityElder, Integer priorityVeryOld) {

    public IvrProperties {
        flows = flows == null ? "file:ivr-flows/*.yaml" : flows;
        promptsDir = promptsDir == null ? "prompts/zh-CN" : promptsDir;
        entryFlow = entryFlow == null ? "main" : entryFlow;
        menuTimeout = menuTimeout == null ? Duration.ofSeconds(8) : menuTimeout;
        digitsTimeout = digitsTimeout == null ? Duration.ofSeconds(10) : digitsTimeout;
        maxFailures = maxFailures == null ? 3 : maxFailures;
        maxSteps = maxSteps == null ? 400 : maxSteps;
        agentHoursOpen = agentHoursOpen == null ? LocalTime.of(8, 0) : agentHoursOpen;
        agentHoursClose = agentHoursClose == null ? LocalTime.of(20, 0) : agentHoursClose;
        callbackOfferWait = callbackOfferWait == null ? Duration.ofMinutes(3) : callbackOfferWait;
        elderAge = elderAge == null ? 60 : elderAge;
        priorityAge = priorityAge == null ? 80 : priorityAge;
        priorityNormal = priorityNormal == null ? 1 : priorityNormal;
        priorityElder = priorityElder == null ? 5 : priorityElder;
        priorityVeryOld = priorityVeryOld == null ? 10 : priorityVeryOld;
        if (maxFailures < 1) {
            throw new IllegalStateException("hotline.ivr.max-failures must be at least 1");
        }
    }

    /** The defaults, for tests and tools that run the engine without Spring. */
    public static IvrProperties defaults() {
        return new IvrProperties(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null);
    }
}
