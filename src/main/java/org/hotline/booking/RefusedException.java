package org.hotline.booking;

import java.time.LocalDate;

/** Carries a refusal out of a booking transaction so that it rolls back. */
final class RefusedException extends RuntimeException {

    final BookingOutcome.Refused refused;

    RefusedException(Refusal reason, LocalDate earliest) {
        super(reason.name(), null, false, false);
        this.refused = new BookingOutcome.Refused(reason, earliest);
    }
}
