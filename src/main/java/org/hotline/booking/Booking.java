package org.hotline.booking;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

/**
 * A booking as channels show it. The patient appears only masked; phones are whole because the
 * SMS module must reach them (mask them when you log).
 */
public record Booking(long id, String code, BookingStatus status, long facilityId, String facilityName,
        long serviceId, String serviceName, ServiceKind serviceKind, Long vaccineId, Integer doseNumber,
        long slotId, LocalDate date, LocalDateTime startsAt, LocalDateTime endsAt, Pool pool,
        String patientMasked, LocalDate patientBirthDate, String smsPhone, List<String> familyPhones,
        String callingNumber, Channel channel, String actor, LocalDateTime createdAt,
        LocalDate nextDoseFrom) {

    public enum BookingStatus {
        ACTIVE, CANCELLED, NO_SHOW, ATTENDED
    }
}
