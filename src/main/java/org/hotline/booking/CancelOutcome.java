package org.hotline.booking;

public sealed interface CancelOutcome {

    record Cancelled(Booking booking) implements CancelOutcome {
    }

    record Refused(Refusal reason) implements CancelOutcome {
    }
}
