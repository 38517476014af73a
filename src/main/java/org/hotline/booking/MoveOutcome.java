package org.hotline.booking;

import java.time.LocalDate;

/** The answer to a move: the old booking (now cancelled) and the new one, or why not. */
public sealed interface MoveOutcome {

    record Moved(Booking from, Booking to) implements MoveOutcome {
    }

    /**
     * Nothing changed. {@code standing}: the booking the patient still has (the one asked to move, as it
     * is now), or null when it is not active or not the asker's to see.
     */
    record Refused(Refusal reason, LocalDate earliestDate, Booking standing) implements MoveOutcome {
    }
}
