package org.hotline.booking;

import java.util.List;

/**
 * A person booked before from, or for, a phone ({@link BookingService#patientsTiedTo}): how to book them
 * again, the last four of their ID (what a caller hears), their age now as far as their bookings tell it
 * (the youngest they allow: at most a year short), and where the last booking's SMS went (its patient phone
 * and family phones), so a new booking can send to the same people.
 */
public record KnownPatient(PatientRef ref, String lastFour, Integer ageNow, String smsPhone,
        List<String> familyPhones) {

    public KnownPatient {
        familyPhones = familyPhones == null ? List.of() : List.copyOf(familyPhones);
    }
}
