package org.hotline.booking;

/**
 * Domain events published inside the transaction that caused them, so a listener (the SMS outbox, the
 * console's audit) writes its rows in that same transaction: a rolled-back booking sends nothing.
 */
public final class BookingEvents {

    private BookingEvents() {
    }

    /**
     * What the module that asked for a booking action wants its own listeners to know of it (the console:
     * who acted, for which call): handed to the booking API with the request and carried, untouched, on
     * the events that action publishes. The booking core never reads it. Null when the caller has none.
     */
    public interface Context {
    }

    public record BookingConfirmed(Booking booking, Context context) {
        public BookingConfirmed(Booking booking) {
            this(booking, null);
        }
    }

    public record BookingCancelled(Booking booking, Channel channel, Context context) {
        public BookingCancelled(Booking booking, Channel channel) {
            this(booking, channel, null);
        }
    }

    /**
     * A hospital cancelled the session of this booking (停诊, {@link SessionCancellations}): the booking is
     * CANCELLED with reason HOSPITAL and its place closed, not freed. {@code alternative} is the nearest free
     * slice of the same department ({@link Alternatives#forMove}) offered to the patient ("reply 1 to move to it"), or null when there is none.
     * Published in the cancellation's transaction; the SMS module queues the patient's and every family phone's
     * message in it.
     */
    public record CancelledByHospital(Booking booking, String reason, Alternatives.Alternative alternative) {
    }

    /**
     * A booking was checked in (ATTENDED) by a desk or a hospital system. Published by the caller of
     * {@link BookingService#checkIn} after it answered (the check-in is one statement of its own), so a listener
     * writes in its own transaction.
     */
    public record BookingCheckedIn(Booking booking) {
    }

    /**
     * An ACTIVE booking whose slot ended was marked NO_SHOW ({@link NoShows#mark}), in the marking's transaction.
     */
    public record BookingNoShow(Booking booking) {
    }

    /**
     * The day-before reminder for an active booking is due (published by the release module's
     * reminder job, once per booking; the SMS module queues the reminder in the same transaction).
     */
    public record ReminderDue(Booking booking) {
    }

    /**
     * A freed place is held for the first one waiting ({@link Waitlist}): the SMS module texts {@code phone}
     * the place and the code to reply with before {@code expiresAt}, in the offer's transaction.
     */
    public record WaitlistOffered(long entryId, String phone, String facilityName, String serviceName,
            java.time.LocalDateTime startsAt, java.time.LocalDateTime endsAt, String code,
            java.time.LocalDateTime expiresAt) {
    }
}
