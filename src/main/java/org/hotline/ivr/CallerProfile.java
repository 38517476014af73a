package org.hotline.ivr;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.hotline.booking.Booking;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.ServiceKind;

/**
 * What earlier bookings tell about a calling number: the caller's age (from the ID of a booking that was
 * for the person at this phone) and the last outpatient booking made from it (to offer it again).
 */
record CallerProfile(Integer age, Optional<Booking> lastOutpatient) {

    static final CallerProfile UNKNOWN = new CallerProfile(null, Optional.empty());

    static CallerProfile of(String caller, List<Booking> bookings, LocalDate today) {
        if (caller.isEmpty() || bookings.isEmpty()) {
            return UNKNOWN;
        }
        Comparator<Booking> newest = Comparator.comparing(Booking::createdAt).reversed();
        // the patient is the person at this phone when the SMS went here, or when booked from here for no one else
        Integer age = bookings.stream()
                .filter(b -> caller.equals(PhoneNumber.normalise(b.smsPhone()))
                        || caller.equals(PhoneNumber.normalise(b.callingNumber())) && b.familyPhones().isEmpty())
                .filter(b -> b.patientAge() != null).sorted(newest).findFirst()
                .map(b -> ageToday(b, today)).orElse(null);
        Optional<Booking> last = bookings.stream().filter(b -> b.serviceKind() == ServiceKind.OUTPATIENT)
                .filter(b -> caller.equals(PhoneNumber.normalise(b.callingNumber()))).sorted(newest).findFirst();
        return new CallerProfile(age, last);
    }

    /**
     * The age on the booking's day moved to today. Only the age on that day is kept (not the birth date), so
     * this may be one year off for someone whose birthday falls between the two days.
     */
    static int ageToday(Booking b, LocalDate today) {
        return b.patientAge() + (int) ChronoUnit.YEARS.between(b.date(), today);
    }
}
