package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.MonthDay;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.VaccineSchedule.Dose;
import org.hotline.booking.VaccineSchedule.Schedule;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Vaccine schedules as real vaccines have them, booked through the booking core on the real database: flu once
 * per season (not once in a lifetime), a second dose inside its interval window (too soon and too late), an age
 * band per dose, a booster after years; every refusal with its reason and, where one exists, the earliest date.
 */
@IntegrationTest
class VaccineScheduleTest {

    @Autowired BookingService booking;
    @Autowired VaccineSchedule schedules;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    long clinic;

    /** Years of our own (2071 on): other tests' voice menus list the clinics bookable at their clock. */
    @BeforeEach
    void setUp() {
        clock.set(LocalDateTime.of(2071, 9, 1, 8, 0));
        clinic = fx.facility("VACCINATION_CLINIC");
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    long service(Schedule s) {
        long vaccine = fx.vaccine(s.doses(), s.minIntervalDays(), s.minAgeYears(), s.maxAgeYears());
        schedules.define(vaccine, s);
        return fx.vaccineService(clinic, vaccine);
    }

    BookingOutcome book(long service, String id, LocalDate day) {
        List<Long> existing = jdbc.queryForList("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class,
                service, day.atTime(9, 0));
        long slot = existing.isEmpty() ? fx.slot(service, day.atTime(9, 0), 0, 0, 5) : existing.get(0);
        return booking.book(slot, null, new BookingRequest(0, id, Fixtures.mobile(), List.of(), null, Channel.AGENT,
                "agent-v", null));
    }

    static Booking booked(BookingOutcome o) {
        assertThat(o).isInstanceOf(BookingOutcome.Booked.class);
        return ((BookingOutcome.Booked) o).booking();
    }

    static void refused(BookingOutcome o, Refusal reason, LocalDate earliest) {
        assertThat(o).isEqualTo(new BookingOutcome.Refused(reason, earliest));
    }

    @Test
    void fluIsOneDosePerSeasonEverySeasonNotOnceInALifetime() {
        // September to April, over the new year
        long flu = service(new Schedule(1, 0, 3, 150, MonthDay.of(9, 1), MonthDay.of(4, 30), null, List.of()));
        String elder = Fixtures.residentId(LocalDate.of(1990, 3, 3));
        Booking first = booked(book(flu, elder, LocalDate.of(2071, 10, 10)));
        assertThat(first.doseNumber()).isEqualTo(1);
        assertThat(first.nextDoseFrom()).isNull();
        // the same season again (even after the new year): refused, the next season named
        refused(book(flu, elder, LocalDate.of(2072, 2, 20)), Refusal.SEASON_DOSE_DONE, LocalDate.of(2072, 9, 1));
        // between seasons: refused with the day the next one starts, as the voice menu speaks it
        refused(book(flu, elder, LocalDate.of(2072, 6, 1)), Refusal.OUT_OF_SEASON, LocalDate.of(2072, 9, 1));
        assertThat(booking.checkPatient(flu, LocalDate.of(2072, 6, 1), elder, Channel.PHONE_MENU))
                .contains(new BookingOutcome.Refused(Refusal.OUT_OF_SEASON, LocalDate.of(2072, 9, 1)));
        // the next season: booked again (today's rule counted every earlier booking: ALL_DOSES_DONE for life)
        Booking next = booked(book(flu, elder, LocalDate.of(2072, 9, 15)));
        assertThat(next.doseNumber()).isEqualTo(1);
        // the first one attended, the second cancelled: the season is free again
        jdbc.update("UPDATE booking SET status = 'ATTENDED' WHERE id = ?", first.id());
        assertThat(booking.cancel(next.id(), Channel.AGENT, null, "agent-v")).isInstanceOf(CancelOutcome.Cancelled.class);
        booked(book(flu, elder, LocalDate.of(2073, 1, 5)));
        refused(book(flu, elder, LocalDate.of(2071, 11, 5)), Refusal.SEASON_DOSE_DONE, LocalDate.of(2072, 9, 1));
        // a season inside one year (no wrap)
        long summer = service(new Schedule(1, 0, 0, 150, MonthDay.of(5, 1), MonthDay.of(8, 31), null, List.of()));
        refused(book(summer, elder, LocalDate.of(2071, 9, 2)), Refusal.OUT_OF_SEASON, LocalDate.of(2072, 5, 1));
        booked(book(summer, elder, LocalDate.of(2072, 8, 31)));
    }

    @Test
    void theSecondShinglesDoseIsTwoToSixMonthsAfterTheFirst() {
        long shingles = service(new Schedule(2, 60, 50, 150, null, null, null,
                List.of(new Dose(2, 60, 180, null, null))));
        String a = Fixtures.residentId(LocalDate.of(2000, 1, 1));
        LocalDate d1 = LocalDate.of(2071, 9, 10);
        Booking first = booked(book(shingles, a, d1));
        assertThat(first.doseNumber()).isEqualTo(1);
        assertThat(first.nextDoseFrom()).isEqualTo(d1.plusDays(60));
        refused(book(shingles, a, d1.plusDays(59)), Refusal.DOSE_TOO_SOON, d1.plusDays(60));
        refused(book(shingles, a, d1.plusDays(181)), Refusal.DOSE_TOO_LATE, null);
        Booking second = booked(book(shingles, a, d1.plusDays(180)));
        assertThat(second.doseNumber()).isEqualTo(2);
        assertThat(second.nextDoseFrom()).isNull();
        refused(book(shingles, a, d1.plusDays(400)), Refusal.ALL_DOSES_DONE, null);
        // the lower edge: exactly 60 days
        String b = Fixtures.residentId(LocalDate.of(2001, 2, 2));
        booked(book(shingles, b, d1));
        assertThat(booked(book(shingles, b, d1.plusDays(60))).doseNumber()).isEqualTo(2);
        // the texts say why
        assertThat(Refusal.DOSE_TOO_LATE.text()).contains("最长间隔");
    }

    @Test
    void eachDoseHasItsOwnAgeBand() {
        // dose 1 from 60, dose 2 only from 65
        long v = service(new Schedule(2, 30, 60, 150, null, null, null, List.of(new Dose(2, null, null, 65, null))));
        String sixtyTwo = Fixtures.residentId(LocalDate.of(2009, 5, 1));
        String fiftyFive = Fixtures.residentId(LocalDate.of(2016, 5, 1));
        String seventy = Fixtures.residentId(LocalDate.of(2001, 5, 1));
        LocalDate day = LocalDate.of(2071, 10, 1);
        refused(book(v, fiftyFive, day), Refusal.AGE_OUT_OF_RANGE, LocalDate.of(2076, 5, 1));
        booked(book(v, sixtyTwo, day));
        // the second dose waits for the 65th birthday, which the refusal names
        refused(book(v, sixtyTwo, day.plusDays(40)), Refusal.AGE_OUT_OF_RANGE, LocalDate.of(2074, 5, 1));
        booked(book(v, seventy, day));
        assertThat(booked(book(v, seventy, day.plusDays(40))).doseNumber()).isEqualTo(2);
        // an upper bound per dose
        long capped = service(new Schedule(1, 0, 0, 150, null, null, null, List.of(new Dose(1, null, null, 18, 64))));
        refused(book(capped, seventy, day), Refusal.AGE_OUT_OF_RANGE, null);
        booked(book(capped, sixtyTwo, day));
    }

    @Test
    void pneumococcalRevaccinationAfterFiveYears() {
        long ppv = service(new Schedule(1, 0, 2, 150, null, null, 5 * 365 + 1, List.of()));
        String elder = Fixtures.residentId(LocalDate.of(1995, 7, 7));
        LocalDate d = LocalDate.of(2071, 9, 20);
        Booking first = booked(book(ppv, elder, d));
        jdbc.update("UPDATE booking SET status = 'ATTENDED' WHERE id = ?", first.id());
        refused(book(ppv, elder, d.plusYears(1)), Refusal.BOOSTER_TOO_SOON, d.plusDays(5 * 365 + 1));
        refused(book(ppv, elder, d.plusDays(5 * 365)), Refusal.BOOSTER_TOO_SOON, d.plusDays(5 * 365 + 1));
        Booking booster = booked(book(ppv, elder, d.plusDays(5 * 365 + 1)));
        assertThat(booster.doseNumber()).isEqualTo(1);
        // without a booster rule the one dose is all (the old behaviour, kept for such vaccines)
        long once = service(new Schedule(1, 0, 2, 150, null, null, null, List.of()));
        booked(book(once, elder, d));
        refused(book(once, elder, d.plusYears(6)), Refusal.ALL_DOSES_DONE, null);
    }

    @Test
    void theDemoCatalogueUsesTheseSchedules() {
        Schedule flu = schedules.of(vaccineId("FLU"));
        assertThat(flu.seasonStart()).isEqualTo(MonthDay.of(9, 1));
        assertThat(flu.seasonEnd()).isEqualTo(MonthDay.of(4, 30));
        assertThat(schedules.of(vaccineId("PPV23")).boosterAfterDays()).isEqualTo(5 * 365 + 1);
        assertThat(schedules.of(vaccineId("HZV")).perDose()).containsExactly(new Dose(2, 60, 180, null, null));
        assertThat(schedules.of(vaccineId("COVID")).boosterAfterDays()).isEqualTo(180);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM service s JOIN vaccine v ON v.id = s.vaccine_id"
                + " WHERE v.code = 'COVID'", Integer.class)).isPositive();
    }

    long vaccineId(String code) {
        return jdbc.queryForObject("SELECT id FROM vaccine WHERE code = ?", Long.class, code);
    }
}
