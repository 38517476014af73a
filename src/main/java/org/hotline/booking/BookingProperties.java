package org.hotline.booking;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Booking limits ({@code hotline.booking.*}). Configuration, not constants.
 *
 * @param holdTtl                how long a held place waits for confirmation
 * @param cancelCutoff           cancelling is allowed until this long before the slot starts
 * @param maxActivePerPatient    active (future, not cancelled) bookings one resident ID may have
 * @param maxPerCallerPerDay     bookings one calling number may make in a day (a child booking for
 *                               both parents is fine, a scalper is not)
 * @param idHashKey              secret key for the keyed hash of resident IDs and calling numbers
 */
@ConfigurationProperties("hotline.booking")
public record BookingProperties(Duration holdTtl, Duration cancelCutoff, Integer maxActivePerPatient,
        Integer maxPerCallerPerDay, String idHashKey) {

    public BookingProperties {
        holdTtl = holdTtl == null ? Duration.ofMinutes(5) : holdTtl;
        cancelCutoff = cancelCutoff == null ? Duration.ofHours(2) : cancelCutoff;
        maxActivePerPatient = maxActivePerPatient == null ? 5 : maxActivePerPatient;
        maxPerCallerPerDay = maxPerCallerPerDay == null ? 5 : maxPerCallerPerDay;
        if (idHashKey == null || idHashKey.length() < 16) {
            throw new IllegalStateException(
                    "hotline.booking.id-hash-key must be set to a secret of at least 16 characters");
        }
    }
}
