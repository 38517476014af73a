package org.hotline.booking;

import java.time.LocalDate;
import java.time.Period;

/**
 * Who a booking is for: the keyed hash, the masked ID, and the age on a day. With the whole ID the age
 * is exact; with only the age kept on a booking ({@code knownAge} on {@code knownOn}) it is a range of
 * two years, as a birthday may fall in between. {@code idCanBeAsked}: a caller booking by reference
 * ({@link PatientRef}) can key the ID when that range straddles a vaccine's age limit (ID_NEEDED).
 */
record Patient(String hash, String masked, ResidentId id, int knownAge, LocalDate knownOn, boolean idCanBeAsked) {

    Patient(String hash, String masked, ResidentId id, int knownAge, LocalDate knownOn) {
        this(hash, masked, id, knownAge, knownOn, false);
    }

    static Patient of(ResidentId id, KeyedHash hash) {
        return new Patient(hash.of(id.value()), id.masked(), id, 0, null);
    }

    int youngestOn(LocalDate day) {
        if (id != null) {
            return id.ageOn(day);
        }
        if (!day.isBefore(knownOn)) {
            return knownAge + Period.between(knownOn, day).getYears();
        }
        Period back = Period.between(day, knownOn);
        return knownAge - back.getYears() - (back.getMonths() == 0 && back.getDays() == 0 ? 0 : 1);
    }

    int oldestOn(LocalDate day) {
        if (id != null) {
            return id.ageOn(day);
        }
        if (!day.isBefore(knownOn)) {
            Period p = Period.between(knownOn, day);
            return knownAge + p.getYears() + (p.getMonths() == 0 && p.getDays() == 0 ? 0 : 1);
        }
        return knownAge - Period.between(day, knownOn).getYears();
    }
}
