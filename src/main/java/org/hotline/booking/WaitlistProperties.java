package org.hotline.booking;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The waitlist ({@code hotline.booking.waitlist.*}).
 *
 * @param offerTtl how long a freed place is held for the first one waiting, to confirm by SMS reply
 * @param window   how many days ahead a caller waits for, from tomorrow
 */
@ConfigurationProperties("hotline.booking.waitlist")
public record WaitlistProperties(Duration offerTtl, Integer window) {

    public WaitlistProperties {
        offerTtl = offerTtl == null ? Duration.ofMinutes(30) : offerTtl;
        window = window == null ? 14 : window;
    }
}
