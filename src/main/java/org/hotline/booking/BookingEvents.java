package org.hotline.booking;

/**
 * Domain events published inside the transaction that caused them, so a listener (the SMS outbox)
 * writes its rows in that same transaction: a rolled-back booking sends nothing.
 */
public final class BookingEvents {

    private BookingEvents() {
    }

    public record BookingConfirmed(Booking booking) {
    }

    public record BookingCancelled(Booking booking, Channel channel) {
    }

    /**
     * A booking was checked in (ATTENDED) by a desk or a hospital system. Published by the caller of
     * {@link BookingService#checkIn} after it answered (the check-in is one statement of its own), so a listener
     * writes in its own transaction.
     */
    public record BookingCheckedIn(Booking booking) {
    }

    /**
     * The day-before reminder for an active booking is due (published by the release module's
     * reminder job, once per booking; the SMS module queues the reminder in the same transaction).
     */
    public record ReminderDue(Booking booking) {
    }
}
