package org.hotline.booking;

import java.time.LocalDate;
import java.time.MonthDay;
import java.util.ArrayList;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The vaccine rules, as real vaccines have them (docs/booking.md, "Vaccine schedules"). A vaccine is a series of
 * {@code doses}; the patient's earlier doses are their ACTIVE and ATTENDED bookings of it.
 * <ul>
 * <li><b>Seasonal</b> ({@code season_start}–{@code season_end}, MM-DD, inclusive; a season may run over the new
 * year): only doses in the season of the day asked count, so an elder books flu once every season, not once in a
 * lifetime. Outside every season: {@code OUT_OF_SEASON}, with the next season's first day; the season's series
 * complete: {@code SEASON_DOSE_DONE}, with the next season's first day.</li>
 * <li><b>Per dose</b> ({@code vaccine_dose}): the minimum and maximum interval since the previous dose of the
 * series ({@code DOSE_TOO_SOON} with the earliest date; {@code DOSE_TOO_LATE}), and the age band
 * ({@code AGE_OUT_OF_RANGE}, with the day the minimum age is reached when the birth date is known). What a dose
 * does not set is the vaccine's own ({@code min_interval_days}, {@code min_age_years}, {@code max_age_years}).</li>
 * <li><b>Booster</b> ({@code booster_after_days}): once a series is complete, a new one may start this long after
 * its last dose ({@code BOOSTER_TOO_SOON} with that date). Without it a complete series is {@code ALL_DOSES_DONE}.</li>
 * </ul>
 * The booking's dose number is the dose within its series (or season). Called from {@link Eligibility}, under the
 * patient row's lock when a booking is written.
 */
@Component
public class VaccineSchedule {

    /** What one dose of the series sets; null: the vaccine's value (no maximum interval). */
    public record Dose(int number, Integer minIntervalDays, Integer maxIntervalDays, Integer minAgeYears,
            Integer maxAgeYears) {
    }

    /**
     * A vaccine's schedule.
     *
     * @param seasonStart      first day of the season, or null (not seasonal)
     * @param seasonEnd        last day of the season (before {@code seasonStart}: the next year's), or null
     * @param boosterAfterDays a new series from this many days after a complete one's last dose, or null (never)
     */
    public record Schedule(int doses, int minIntervalDays, int minAgeYears, int maxAgeYears, MonthDay seasonStart,
            MonthDay seasonEnd, Integer boosterAfterDays, List<Dose> perDose) {

        public Schedule {
            perDose = perDose == null ? List.of() : List.copyOf(perDose);
            if ((seasonStart == null) != (seasonEnd == null)) {
                throw new IllegalArgumentException("a season needs a first and a last day");
            }
        }

        boolean seasonal() {
            return seasonStart != null;
        }

        Dose dose(int k) {
            return perDose.stream().filter(d -> d.number() == k).findFirst()
                    .orElse(new Dose(k, null, null, null, null));
        }

        int minInterval(int k) {
            Integer v = dose(k).minIntervalDays();
            return v != null ? v : minIntervalDays;
        }

        int minAge(int k) {
            Integer v = dose(k).minAgeYears();
            return v != null ? v : minAgeYears;
        }

        int maxAge(int k) {
            Integer v = dose(k).maxAgeYears();
            return v != null ? v : maxAgeYears;
        }

        /** The season {@code day} falls in, as its first and last day; null when it falls in none. */
        LocalDate[] seasonOf(LocalDate day) {
            int y = day.getYear();
            boolean wraps = seasonEnd.isBefore(seasonStart);
            for (int startYear : new int[] {y - 1, y}) {
                LocalDate from = seasonStart.atYear(startYear);
                LocalDate to = seasonEnd.atYear(wraps ? startYear + 1 : startYear);
                if (!day.isBefore(from) && !day.isAfter(to)) {
                    return new LocalDate[] {from, to};
                }
            }
            return null;
        }

        /** The first day of the first season starting after {@code day}. */
        LocalDate nextSeasonStart(LocalDate day) {
            LocalDate s = seasonStart.atYear(day.getYear());
            return s.isAfter(day) ? s : seasonStart.atYear(day.getYear() + 1);
        }
    }

    private final JdbcTemplate jdbc;

    public VaccineSchedule(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** A vaccine's schedule as stored. */
    public Schedule of(long vaccineId) {
        List<Dose> doses = jdbc.query("""
                SELECT dose_number, min_interval_days, max_interval_days, min_age_years, max_age_years
                FROM vaccine_dose WHERE vaccine_id = ? ORDER BY dose_number""",
                (rs, i) -> new Dose(rs.getInt(1), rs.getObject(2, Integer.class), rs.getObject(3, Integer.class),
                        rs.getObject(4, Integer.class), rs.getObject(5, Integer.class)), vaccineId);
        return jdbc.queryForObject("""
                SELECT doses, min_interval_days, min_age_years, max_age_years, season_start, season_end,
                       booster_after_days FROM vaccine WHERE id = ?""",
                (rs, i) -> new Schedule(rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getInt(4),
                        monthDay(rs.getString(5)), monthDay(rs.getString(6)), rs.getObject(7, Integer.class), doses),
                vaccineId);
    }

    /** Sets a vaccine's schedule (the catalogue's editing, the demo data), in the caller's transaction if any. */
    public void define(long vaccineId, Schedule s) {
        jdbc.update("""
                UPDATE vaccine SET doses = ?, min_interval_days = ?, min_age_years = ?, max_age_years = ?,
                  season_start = ?, season_end = ?, booster_after_days = ? WHERE id = ?""", s.doses(),
                s.minIntervalDays(), s.minAgeYears(), s.maxAgeYears(), text(s.seasonStart()), text(s.seasonEnd()),
                s.boosterAfterDays(), vaccineId);
        jdbc.update("DELETE FROM vaccine_dose WHERE vaccine_id = ?", vaccineId);
        for (Dose d : s.perDose()) {
            jdbc.update("""
                    INSERT INTO vaccine_dose (vaccine_id, dose_number, min_interval_days, max_interval_days,
                      min_age_years, max_age_years) VALUES (?, ?, ?, ?, ?, ?)""", vaccineId, d.number(),
                    d.minIntervalDays(), d.maxIntervalDays(), d.minAgeYears(), d.maxAgeYears());
        }
    }

    /** The patient's earlier doses of the vaccine (ACTIVE and ATTENDED bookings), oldest first. */
    private List<LocalDate> taken(Patient patient, long vaccineId, long excludingBookingId) {
        return jdbc.queryForList("""
                SELECT slot_date FROM booking WHERE patient_hash = ? AND vaccine_id = ?
                  AND status IN ('ACTIVE', 'ATTENDED') AND id <> ? ORDER BY slot_date""", LocalDate.class,
                patient.hash(), vaccineId, excludingBookingId);
    }

    /** The series a new dose would belong to: its earlier doses and the new dose's number. */
    private record Series(List<LocalDate> earlier, int dose) {
    }

    /**
     * Which dose a booking on {@code date} would be, or the refusal. Throws the first rule broken.
     *
     * @throws RefusedException OUT_OF_SEASON, SEASON_DOSE_DONE, ALL_DOSES_DONE, BOOSTER_TOO_SOON,
     *                          AGE_OUT_OF_RANGE, DOSE_TOO_SOON, DOSE_TOO_LATE
     */
    Eligibility.Result check(Patient patient, long vaccineId, LocalDate date) {
        Schedule s = of(vaccineId);
        Series series = series(s, taken(patient, vaccineId, 0), date);
        int k = series.dose();
        if ((patient.youngestOn(date) < s.minAge(k) || patient.oldestOn(date) > s.maxAge(k))
                && patient.idCanBeAsked() && patient.oldestOn(date) >= s.minAge(k)
                && patient.youngestOn(date) <= s.maxAge(k)) {
            // known by a reference, not a whole ID: the age might fit, so the ID is asked for (elder's flow)
            throw new RefusedException(Refusal.ID_NEEDED, null);
        }
        if (patient.youngestOn(date) < s.minAge(k)) {
            LocalDate reached = patient.id() == null ? null : patient.id().birthDate().plusYears(s.minAge(k));
            throw new RefusedException(Refusal.AGE_OUT_OF_RANGE, reached != null && reached.isAfter(date) ? reached
                    : null);
        }
        if (patient.oldestOn(date) > s.maxAge(k)) {
            throw new RefusedException(Refusal.AGE_OUT_OF_RANGE, null);
        }
        if (!series.earlier().isEmpty()) {
            LocalDate previous = series.earlier().get(series.earlier().size() - 1);
            LocalDate earliest = previous.plusDays(s.minInterval(k));
            if (date.isBefore(earliest)) {
                throw new RefusedException(Refusal.DOSE_TOO_SOON, earliest);
            }
            Integer max = s.dose(k).maxIntervalDays();
            if (max != null && date.isAfter(previous.plusDays(max))) {
                throw new RefusedException(Refusal.DOSE_TOO_LATE, null);
            }
        }
        LocalDate next = k < s.doses() ? date.plusDays(s.minInterval(k + 1)) : null;
        return new Eligibility.Result(vaccineId, k, next);
    }

    private static Series series(Schedule s, List<LocalDate> taken, LocalDate date) {
        if (s.seasonal()) {
            LocalDate[] season = s.seasonOf(date);
            if (season == null) {
                throw new RefusedException(Refusal.OUT_OF_SEASON, s.nextSeasonStart(date));
            }
            List<LocalDate> in = taken.stream().filter(d -> !d.isBefore(season[0]) && !d.isAfter(season[1])).toList();
            if (in.size() >= s.doses()) {
                throw new RefusedException(Refusal.SEASON_DOSE_DONE, s.nextSeasonStart(season[1]));
            }
            return new Series(in, in.size() + 1);
        }
        int n = taken.size();
        if (n == 0) {
            return new Series(List.of(), 1);
        }
        if (s.boosterAfterDays() == null) {
            if (n >= s.doses()) {
                throw new RefusedException(Refusal.ALL_DOSES_DONE, null);
            }
            return new Series(taken, n + 1);
        }
        int inSeries = n % s.doses();
        if (inSeries == 0) {
            LocalDate earliest = taken.get(n - 1).plusDays(s.boosterAfterDays());
            if (date.isBefore(earliest)) {
                throw new RefusedException(Refusal.BOOSTER_TOO_SOON, earliest);
            }
            return new Series(List.of(), 1);
        }
        return new Series(new ArrayList<>(taken.subList(n - inSeries, n)), inSeries + 1);
    }

    /** A run of days (inclusive) on which the next dose may be booked, and that dose's age band. */
    public record Days(LocalDate from, LocalDate to, int minAge, int maxAge) {
    }

    /**
     * The days between {@code from} and {@code to} on which the patient could book the vaccine's next dose, for
     * {@link Alternatives} (so an alternative offered is one the booking would take): in a season of a seasonal
     * vaccine whose series that season is not complete, from the previous dose's minimum interval to its maximum,
     * from the booster's date once a series with a booster is complete; nothing once a series without one is. With
     * no patient known only the seasons apply. Confirmation still checks every rule under the patient row's lock.
     */
    List<Days> bookableDays(Patient patient, long vaccineId, long excludingBookingId, LocalDate from, LocalDate to) {
        Schedule s = of(vaccineId);
        List<LocalDate> taken = patient == null ? List.of() : taken(patient, vaccineId, excludingBookingId);
        List<Days> out = new ArrayList<>();
        if (s.seasonal()) {
            boolean wraps = s.seasonEnd().isBefore(s.seasonStart());
            for (int y = from.getYear() - 1; y <= to.getYear(); y++) {
                LocalDate sFrom = s.seasonStart().atYear(y);
                LocalDate sTo = s.seasonEnd().atYear(wraps ? y + 1 : y);
                if (sTo.isBefore(from) || sFrom.isAfter(to)) {
                    continue;
                }
                List<LocalDate> in = taken.stream().filter(d -> !d.isBefore(sFrom) && !d.isAfter(sTo)).toList();
                if (in.size() >= s.doses()) {
                    continue; // this season's series is complete
                }
                add(out, s, in, in.size() + 1, max(sFrom, from), min(sTo, to));
            }
            return out;
        }
        int n = taken.size();
        if (n == 0) {
            add(out, s, List.of(), 1, from, to);
        } else if (n % s.doses() == 0) {
            if (s.boosterAfterDays() != null) {
                LocalDate booster = taken.get(n - 1).plusDays(s.boosterAfterDays());
                add(out, s, List.of(), 1, max(booster, from), to);
            }
        } else {
            add(out, s, taken, n % s.doses() + 1, from, to);
        }
        return out;
    }

    /** Dose {@code k} after {@code earlier} (its interval window), within {@code from}–{@code to}. */
    private static void add(List<Days> out, Schedule s, List<LocalDate> earlier, int k, LocalDate from, LocalDate to) {
        LocalDate lo = from;
        LocalDate hi = to;
        if (!earlier.isEmpty()) {
            LocalDate previous = earlier.get(earlier.size() - 1);
            lo = max(lo, previous.plusDays(s.minInterval(k)));
            Integer maxInterval = s.dose(k).maxIntervalDays();
            if (maxInterval != null) {
                hi = min(hi, previous.plusDays(maxInterval));
            }
        }
        if (!lo.isAfter(hi)) {
            out.add(new Days(lo, hi, s.minAge(k), s.maxAge(k)));
        }
    }

    private static LocalDate max(LocalDate a, LocalDate b) {
        return a.isAfter(b) ? a : b;
    }

    private static LocalDate min(LocalDate a, LocalDate b) {
        return a.isBefore(b) ? a : b;
    }

    private static MonthDay monthDay(String mmdd) {
        return mmdd == null ? null : MonthDay.parse("--" + mmdd);
    }

    private static String text(MonthDay d) {
        return d == null ? null : String.format("%02d-%02d", d.getMonthValue(), d.getDayOfMonth());
    }
}
