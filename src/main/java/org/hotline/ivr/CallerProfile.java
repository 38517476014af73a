package org.hotline.ivr;

import java.time.LocalDate;
import java.time.Period;
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
                .filter(b -> b.patientBirthDate() != null).sorted(newest).findFirst()
                .map(b -> Period.between(b.patientBirthDate(), today).getYears()).orElse(null);
        Optional<Booking> last = bookings.stream().filter(b -> b.serviceKind() == ServiceKind.OUTPATIENT)
                .filter(b -> caller.equals(PhoneNumber.normalise(b.callingNumber()))).sorted(newest).findFirst();
        return new CallerProfile(age, last);
    }
}
