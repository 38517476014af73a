package org.hotline.booking;

import java.time.LocalDate;
import java.time.LocalDateTime;

/** A time slice a channel may book now, with the pool it would take from and how many are free there. */
public record SlotOffer(long slotId, long serviceId, LocalDate date, Period period, LocalDateTime startsAt,
        LocalDateTime endsAt, Pool pool, int free) {
}
