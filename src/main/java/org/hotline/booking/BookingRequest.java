package org.hotline.booking;

import java.util.List;

/**
 * What a channel knows when it confirms a hold.
 *
 * @param residentId          as keyed or typed ({@code *} stands for X)
 * @param smsPhone            the number that gets the confirmation (a mobile), or null for none
 * @param familyPhones        further mobiles that get a copy (proxy booking)
 * @param callingNumber       the caller's number (caller ID), null when unknown
 * @param actor               agent or doctor user name, or the call id on the menu
 * @param referringFacilityId the community centre making a referral (community doctor channel)
 * @param context             carried on the events this booking publishes ({@link BookingEvents.Context}), or null
 * @param patient             instead of {@code residentId}: a patient booked before, tied to {@code callingNumber}
 */
public record BookingRequest(long holdId, String residentId, String smsPhone, List<String> familyPhones,
        String callingNumber, Channel channel, String actor, Long referringFacilityId,
        BookingEvents.Context context, PatientRef patient) {

    public BookingRequest {
        familyPhones = familyPhones == null ? List.of() : List.copyOf(familyPhones);
    }

    public BookingRequest(long holdId, String residentId, String smsPhone, List<String> familyPhones,
            String callingNumber, Channel channel, String actor, Long referringFacilityId) {
        this(holdId, residentId, smsPhone, familyPhones, callingNumber, channel, actor, referringFacilityId, null,
                null);
    }

    public BookingRequest(long holdId, String residentId, String smsPhone, List<String> familyPhones,
            String callingNumber, Channel channel, String actor, Long referringFacilityId,
            BookingEvents.Context context) {
        this(holdId, residentId, smsPhone, familyPhones, callingNumber, channel, actor, referringFacilityId, context,
                null);
    }

    public static BookingRequest phone(long holdId, String residentId, String smsPhone, String callingNumber,
            String callId) {
        return new BookingRequest(holdId, residentId, smsPhone, List.of(), callingNumber, Channel.PHONE_MENU,
                callId, null);
    }

    /** The same request for another hold. */
    public BookingRequest withHold(long holdId) {
        return new BookingRequest(holdId, residentId, smsPhone, familyPhones, callingNumber, channel, actor,
                referringFacilityId, context, patient);
    }
}
