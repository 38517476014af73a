package org.hotline.booking;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

/**
 * A booking as channels show it. The patient appears only masked (the last four of the ID) and by
 * age in whole years on the day of the slot (the birth date is not kept: docs/security.md); phones
 * are whole because the SMS module must reach them (mask them when you log). The code is whole for
 * the channels that tell it to the patient: log it only through {@link #maskCode(String)}.
 */
public record Booking(long id, String code, BookingStatus status, long facilityId, String facilityName,
        long serviceId, String serviceName, ServiceKind serviceKind, Long vaccineId, Integer doseNumber,
        long slotId, LocalDate date, LocalDateTime startsAt, LocalDateTime endsAt, Pool pool,
        String patientMasked, Integer patientAge, String smsPhone, List<String> familyPhones,
        String callingNumber, Channel channel, String actor, LocalDateTime createdAt,
        LocalDate nextDoseFrom) {

    /** {@code ****42}: a booking code as a log line may carry it (log the booking id to follow it). */
    public static String maskCode(String code) {
        if (code == null || code.length() < 4) {
            return "****";
        }
        return "*".repeat(code.length() - 2) + code.substring(code.length() - 2);
    }

    public enum BookingStatus {
        ACTIVE, CANCELLED, NO_SHOW, ATTENDED
    }
}
