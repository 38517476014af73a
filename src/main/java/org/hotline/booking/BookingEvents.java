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
     * A hospital cancelled the session of this booking (停诊, {@link SessionCancellations}): the booking is
     * CANCELLED with reason HOSPITAL and its place closed, not freed. {@code alternative} is the nearest free
     * slice of the same department offered to the patient ("reply 1 to move to it"), or null when there is none.
     * Published in the cancellation's transaction; the SMS module queues the patient's and every family phone's
     * message in it.
     */
    public record CancelledByHospital(Booking booking, String reason, SlotOffer alternative) {
    }

    /**
     * The day-before reminder for an active booking is due (published by the release module's
     * reminder job, once per booking; the SMS module queues the reminder in the same transaction).
     */
    public record ReminderDue(Booking booking) {
    }
}
