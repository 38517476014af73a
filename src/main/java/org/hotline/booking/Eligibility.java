package org.hotline.booking;

import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Who may book what: the patient rules (no-show block on the phone, one booking per service and day, the
 * most active bookings), the vaccine rules ({@link VaccineSchedule}: seasons, doses, per-dose intervals and ages,
 * boosters) and the community referral. Asked
 * early, without locks ({@link BookingService#checkPatient}), by {@link Alternatives} to leave out what
 * would be refused, and again when a booking is written, under the patient row's lock.
 */
@Component
class Eligibility {

    /** What the rules decided about a booking that may be made: its vaccine dose, and when the next one is due. */
    record Result(Long vaccineId, Integer doseNumber, LocalDate nextDoseFrom) {
    }

    /**
     * What a patient may still book of a service, cheaply: whether anything, and on which days at what ages (the
     * vaccine rules: seasons, the next dose's minimum and maximum interval, its age band, the booster; a department
     * has no bounds). {@code days} null: any day; {@code patient} null: nobody known (only the seasons apply).
     */
    record Window(boolean bookable, Patient patient, List<VaccineSchedule.Days> days) {

        static final Window NONE = new Window(false, null, List.of());

        static Window anyDay(Patient patient) {
            return new Window(true, patient, null);
        }

        /** Whether a booking on {@code day} could pass the vaccine rules (confirmation checks them all again). */
        boolean fits(LocalDate day) {
            if (days == null) {
                return true;
            }
            for (VaccineSchedule.Days d : days) {
                if (!day.isBefore(d.from()) && !day.isAfter(d.to())) {
                    return patient == null
                            || patient.youngestOn(day) >= d.minAge() && patient.oldestOn(day) <= d.maxAge();
                }
            }
            return false;
        }
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final BookingProperties props;
    private final KeyedHash hash;
    private final VaccineSchedule schedule;

    Eligibility(JdbcTemplate jdbc, Clock clock, BookingProperties props, VaccineSchedule schedule) {
        this.jdbc = jdbc;
        this.schedule = schedule;
        this.clock = clock;
        this.props = props;
        this.hash = new KeyedHash(props.idHashKey());
    }

    /** {@link BookingService#checkPatient}. */
    Optional<BookingOutcome.Refused> checkPatient(long serviceId, LocalDate date, String residentIdInput,
            Channel channel) {
        ResidentId.Parsed parsed = ResidentId.parse(residentIdInput);
        if (!parsed.valid()) {
            return Optional.of(new BookingOutcome.Refused(parsed.refusal()));
        }
        return checkPatient(serviceId, date, Patient.of(parsed.id(), hash), channel);
    }

    /** {@link BookingService#checkPatient} for a patient already known (by ID or by a reference tied to a phone). */
    Optional<BookingOutcome.Refused> checkPatient(long serviceId, LocalDate date, Patient patient, Channel channel) {
        try {
            Long vaccineId = jdbc.query("SELECT vaccine_id FROM service WHERE id = ?",
                    rs -> rs.next() ? rs.getObject(1, Long.class) : null, serviceId);
            check(patient, serviceId, vaccineId, date, channel);
            return Optional.empty();
        } catch (RefusedException e) {
            return Optional.of(e.refused);
        }
    }

    /**
     * Every patient rule for a booking of {@code serviceId} on {@code date}; under the patient row's lock
     * when a booking is written (the counts then see every booking committed before).
     *
     * @throws RefusedException the first rule the booking breaks
     */
    Result check(Patient patient, long serviceId, Long vaccineId, LocalDate date, Channel channel) {
        LocalDate today = LocalDate.now(clock);
        String patientHash = patient.hash();
        // one round trip for the three per-patient facts
        record PatientFacts(LocalDate blockedUntil, int sameDay, int active) {
        }
        PatientFacts facts = jdbc.queryForObject("""
                SELECT (SELECT phone_blocked_until FROM patient WHERE id_hash = ?),
                       (SELECT COUNT(*) FROM booking WHERE patient_hash = ? AND service_id = ? AND slot_date = ?
                          AND status = 'ACTIVE'),
                       (SELECT COUNT(*) FROM booking WHERE patient_hash = ? AND status = 'ACTIVE' AND slot_starts_at > ?)""",
                (rs, i) -> new PatientFacts(rs.getObject(1, LocalDate.class), rs.getInt(2), rs.getInt(3)), patientHash,
                patientHash, serviceId, date, patientHash, LocalDateTime.now(clock));
        if (channel == Channel.PHONE_MENU && facts.blockedUntil() != null && !facts.blockedUntil().isBefore(today)) {
            throw new RefusedException(Refusal.PATIENT_BLOCKED, facts.blockedUntil().plusDays(1));
        }
        if (facts.sameDay() > 0) {
            throw new RefusedException(Refusal.DUPLICATE_SAME_DAY, null);
        }
        if (facts.active() >= props.maxActivePerPatient()) {
            throw new RefusedException(Refusal.TOO_MANY_FOR_PATIENT, null);
        }
        if (vaccineId == null) {
            return new Result(null, null, null);
        }
        // seasons, per-dose intervals and ages, boosters
        return schedule.check(patient, vaccineId, date);
    }

    /**
     * What a patient may still book of a service between two days, from the vaccine rules: nothing when every dose
     * is booked or taken, otherwise the days the season, the interval since the last dose (minimum and maximum) or
     * the booster allow.
     *
     * @param patient            the patient, or null when nobody is known (a vaccine's seasons still apply)
     * @param excludingBookingId a booking that does not count (the one being moved), or 0
     */
    Window window(Patient patient, long serviceId, long excludingBookingId, LocalDate from, LocalDate to) {
        Long vaccineId = jdbc.query("SELECT vaccine_id FROM service WHERE id = ?",
                rs -> rs.next() ? rs.getObject(1, Long.class) : null, serviceId);
        if (vaccineId == null) {
            return Window.anyDay(patient);
        }
        List<VaccineSchedule.Days> days = schedule.bookableDays(patient, vaccineId, excludingBookingId, from, to);
        return days.isEmpty() ? Window.NONE : new Window(true, patient, days);
    }

    /** A COMMUNITY place needs a referral from a community centre. */
    void requireCommunityReferral(Long referringFacilityId) {
        if (referringFacilityId == null) {
            throw new RefusedException(Refusal.REFERRAL_REQUIRED, null);
        }
        String kind = jdbc.query("SELECT kind FROM facility WHERE id = ?", rs -> rs.next() ? rs.getString(1) : null,
                referringFacilityId);
        if (!FacilityKind.COMMUNITY_CENTRE.name().equals(kind)) {
            throw new RefusedException(Refusal.REFERRAL_REQUIRED, null);
        }
    }
}
