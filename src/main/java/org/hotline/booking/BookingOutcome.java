package org.hotline.booking;

import java.time.LocalDate;

/** The answer to a confirmation: a booking, or a typed refusal (with the earliest date when that helps). */
public sealed interface BookingOutcome {

    record Booked(Booking booking) implements BookingOutcome {
    }

    record Refused(Refusal reason, LocalDate earliestDate) implements BookingOutcome {
        public Refused(Refusal reason) {
            this(reason, null);
        }
    }
}
