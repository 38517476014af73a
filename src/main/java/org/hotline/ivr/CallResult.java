package org.hotline.ivr;

import java.util.List;

import org.hotline.booking.Booking;

/**
 * How one call ended, for tests, benchmarks and adapters that want to know.
 *
 * @param holdsTaken every hold the call took (none may still be active once the call is over)
 * @param error      an internal error the engine caught (the caller was then handed to a person), or null
 */
public record CallResult(String callId, End end, List<Booking> bookings, List<Long> holdsTaken, String transferId,
        Long callbackId, String lastNode, int steps, String error) {

    public enum End {
        /** The menu said goodbye and hung up (after a booking, a cancellation, or nothing to do). */
        GOODBYE,
        /** Handed to the agents' queue. */
        TRANSFERRED,
        /** A call-back was recorded instead of a transfer. */
        CALLBACK,
        /** The caller hung up first. */
        HUNG_UP,
        /** Something broke that the engine could not hand to a person (logged as an error). */
        FAILED
    }
}
