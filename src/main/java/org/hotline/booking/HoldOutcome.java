package org.hotline.booking;

import java.time.LocalDateTime;

/** The answer to a hold: a place kept for a few minutes, or why not. */
public sealed interface HoldOutcome {

    record Held(long holdId, long slotId, Pool pool, LocalDateTime expiresAt) implements HoldOutcome {
    }

    record Refused(Refusal reason) implements HoldOutcome {
    }
}
