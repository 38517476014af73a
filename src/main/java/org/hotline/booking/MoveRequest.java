package org.hotline.booking;

/**
 * A move of an active booking to another slot ({@link BookingService#move}): the console's 改约, a
 * reschedule by phone, a "reply 1 to move" after a session was cancelled. The new booking keeps the
 * old one's SMS number, family phones and calling number.
 *
 * @param bookingId           the booking to move
 * @param slotId              the slot to move it to (the same or another service, facility, day)
 * @param pool                a pool asked for explicitly, or null for the first of the channel's pools with room
 * @param residentId          the patient's resident ID as given (must be the booking's patient), or null when
 *                            the channel has none (an SMS reply): the patient is then the booking's own, and the
 *                            vaccine age rule uses the age kept on the booking (refusing when a birthday in
 *                            between could put the patient out of range)
 * @param channel             who moves it: decides the pools. {@link Channel#SMS_REPLY} moves within the pools
 *                            of the channel the booking was made on, and the new booking keeps that channel
 *                            and actor
 * @param actor               agent or doctor user name, or the call id
 * @param referringFacilityId the community centre making a referral (community doctor channel); for an SMS
 *                            reply the old booking's
 * @param requesterPhone      when not null, the number asking (phone menu, SMS reply), which must be tied to
 *                            the booking ({@link BookingService#isTiedTo}); otherwise NOT_ALLOWED
 * @param context             carried on the events the move publishes ({@link BookingEvents.Context}), or null
 */
public record MoveRequest(long bookingId, long slotId, Pool pool, String residentId, Channel channel,
        String actor, Long referringFacilityId, String requesterPhone, BookingEvents.Context context) {
}
