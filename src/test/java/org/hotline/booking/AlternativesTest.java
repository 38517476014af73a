package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.MonthDay;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** {@link Alternatives} on the real MariaDB: nearest free slices, same facility first on a date, open pools only. */
@IntegrationTest
class AlternativesTest {

    @Autowired Alternatives alternatives;
    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired VaccineSchedule schedules;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private LocalDateTime day(int days, int hour) {
        return clock.now().plusDays(days).withHour(hour).withMinute(0).withSecond(0).withNano(0);
    }

    private LocalDate today() {
        return clock.now().toLocalDate();
    }

    private static List<Long> slots(List<Alternatives.Alternative> list) {
        return list.stream().map(a -> a.offer().slotId()).toList();
    }

    private long service(long facility, String code, String name) {
        jdbc.update("INSERT INTO service (facility_id, code, kind, name, sort_order) VALUES (?, ?, 'OUTPATIENT', ?, 1)",
                facility, code, name);
        return jdbc.queryForObject("SELECT id FROM service WHERE facility_id = ? AND code = ?", Long.class, facility,
                code);
    }

    @Test
    void theSameVaccineNearestDateFirstThenTheSameFacilityThenTheOthersInListOrderOnlyFromOpenPoolsWithRoom() {
        long vaccine = fx.vaccine(1, 0, 0, 150);
        long a = fx.facility("VACCINATION_CLINIC");
        long b = fx.facility("VACCINATION_CLINIC");
        long c = fx.facility("VACCINATION_CLINIC");
        long atA = fx.vaccineService(a, vaccine);
        long atB = fx.vaccineService(b, vaccine);
        long atC = fx.vaccineService(c, vaccine);
        long otherVaccineAtA = fx.vaccineService(a, fx.vaccine(1, 0, 0, 150));

        long aFull = fx.slot(atA, day(2, 9), 0, 0, 1);
        assertThat(booking.book(aFull, null, new BookingRequest(0, Fixtures.residentIdAged(30), null, List.of(), null,
                Channel.PHONE_MENU, "alt", null))).isInstanceOf(BookingOutcome.Booked.class);
        long aDay3 = fx.slot(atA, day(3, 10), 0, 0, 2);
        fx.slot(atA, day(4, 9), 0, 0, 2, clock.now().plusDays(1), day(4, 7)); // not released yet
        fx.slot(atA, day(5, 9), 0, 0, 2, clock.now().minusDays(2), clock.now().minusMinutes(1)); // closed already
        long bDay2 = fx.slot(atB, day(2, 14), 0, 0, 2);
        long bDay3 = fx.slot(atB, day(3, 9), 0, 0, 2);
        fx.slot(atC, day(3, 8), 4, 0, 0); // only the walk-in share has room
        long cCommunity = fx.slot(atC, day(6, 8), 0, 3, 0);
        fx.slot(otherVaccineAtA, day(1, 9), 0, 0, 5);
        // begun already, its pool still open
        fx.slot(atB, clock.now().minusMinutes(10).withSecond(0).withNano(0), 0, 0, 2, clock.now().minusHours(1),
                clock.now().plusHours(2));

        List<Alternatives.Alternative> found = alternatives.find(Alternatives.Query.of(atA, today(), Pool.PUBLIC, 10));

        assertThat(slots(found)).containsExactly(bDay2, aDay3, bDay3);
        assertThat(found).extracting(Alternatives.Alternative::sameFacility).containsExactly(false, true, false);
        assertThat(found.get(0).facilityId()).isEqualTo(b);
        assertThat(found.get(0).offer().free()).isEqualTo(2);
        assertThat(found.get(1).offer().pool()).isEqualTo(Pool.PUBLIC);
        assertThat(slots(alternatives.find(Alternatives.Query.of(atA, today(), Pool.PUBLIC, 2))))
                .containsExactly(bDay2, aDay3);
        // later than a date: from that date on
        assertThat(slots(alternatives.find(Alternatives.Query.of(atA, today().plusDays(3), Pool.PUBLIC, 10))))
                .containsExactly(aDay3, bDay3);
        // a community doctor's channel sees the community share too, each slice once
        assertThat(slots(alternatives.find(Alternatives.Query.of(atA, today(), Channel.COMMUNITY_DOCTOR, 10))))
                .containsExactly(bDay2, aDay3, bDay3, cCommunity);
    }

    @Test
    void theSameDepartmentElsewhereIsTheSameCodeOrName() {
        String tag = Long.toString(System.nanoTime() % 100_000_000);
        long h1 = fx.facility("DISTRICT_HOSPITAL");
        long h2 = fx.facility("DISTRICT_HOSPITAL");
        long h3 = fx.facility("DISTRICT_HOSPITAL");
        long nk1 = service(h1, "NK" + tag, "内科" + tag);
        long nk2 = service(h2, "NK" + tag, "普通内科" + tag);
        long nk3 = service(h3, "N" + tag, "内科" + tag);
        long eye = service(h2, "YK" + tag, "眼科" + tag);
        long s1 = fx.slot(nk1, day(3, 9), 0, 0, 1);
        long s2 = fx.slot(nk2, day(2, 9), 0, 0, 1);
        long s3 = fx.slot(nk3, day(2, 8), 0, 0, 1);
        fx.slot(eye, day(1, 9), 0, 0, 1);

        assertThat(slots(alternatives.find(Alternatives.Query.of(nk1, today(), Channel.PHONE_MENU, 10))))
                .containsExactly(s2, s3, s1);
    }

    @Test
    void forAPatientLeavesOutWhatTheBookingWouldRefuseAndForAMoveTheMovedBookingDoesNotCount() {
        long vaccine = fx.vaccine(2, 10, 60, 120);
        long x = fx.facility("VACCINATION_CLINIC");
        long y = fx.facility("VACCINATION_CLINIC");
        long atX = fx.vaccineService(x, vaccine);
        long atY = fx.vaccineService(y, vaccine);
        long x3 = fx.slot(atX, day(3, 9), 0, 0, 3);
        long x3Later = fx.slot(atX, day(3, 15), 0, 0, 3);
        long x12 = fx.slot(atX, day(12, 9), 0, 0, 3);
        long y14 = fx.slot(atY, day(14, 9), 0, 0, 3);
        long x16 = fx.slot(atX, day(16, 9), 0, 0, 3);
        long y20 = fx.slot(atY, day(20, 9), 0, 0, 3);
        long y22 = fx.slot(atY, day(22, 9), 0, 0, 3);
        long x25 = fx.slot(atX, day(25, 9), 0, 0, 3);
        String id = Fixtures.residentIdAged(70);
        assertThat(booking.book(x3, null, new BookingRequest(0, id, null, List.of(), null, Channel.AGENT, "alt",
                null))).isInstanceOf(BookingOutcome.Booked.class);
        Alternatives.Query q = Alternatives.Query.of(atX, today(), Pool.PUBLIC, 10);

        // anyone: every slice with room
        assertThat(slots(alternatives.find(q))).containsExactly(x3, x3Later, x12, y14, x16, y20, y22, x25);
        // this patient: not the day they have it, and the second dose only 10 days after the first
        assertThat(slots(alternatives.find(q.forPatient(id)))).containsExactly(y14, x16, y20, y22, x25);
        // outside the vaccine's age band: nothing
        assertThat(alternatives.find(q.forPatient(Fixtures.residentIdAged(40)))).isEmpty();

        Booking second = ((BookingOutcome.Booked) booking.book(y20, null, new BookingRequest(0, id, null, List.of(),
                null, Channel.AGENT, "alt", null))).booking();
        // all doses booked: nothing more for this patient
        assertThat(alternatives.find(q.forPatient(id))).isEmpty();
        // but moving the second dose: later slices, its own booking not counted, nearest first (the same facility first)
        assertThat(slots(alternatives.forMove(second, Channel.AGENT, 10))).containsExactly(y22, x25);
        assertThat(alternatives.forMove(second, Channel.AGENT, 10)).extracting(Alternatives.Alternative::sameFacility)
                .containsExactly(true, false);
    }

    /**
     * An alternative for a vaccine is one the booking would take (issue 17): in the vaccine's season, and for a
     * patient within the next dose's interval window (the shingles second dose 60 to 180 days after the first), not
     * in a season whose dose is done. Years of our own (2073), away from other tests' menus.
     */
    @Test
    void aVaccineIsOfferedOnlyInItsSeasonAndInsideTheNextDosesIntervalWindow() {
        clock.set(LocalDateTime.of(2073, 4, 20, 8, 0));
        long clinic = fx.facility("VACCINATION_CLINIC");
        long flu = fx.vaccine(1, 0, 3, 150);
        schedules.define(flu, new VaccineSchedule.Schedule(1, 0, 3, 150, MonthDay.of(9, 1), MonthDay.of(4, 30), null,
                List.of()));
        long fluHere = fx.vaccineService(clinic, flu);
        long apr22 = fx.slot(fluHere, LocalDateTime.of(2073, 4, 22, 9, 0), 0, 0, 3);
        long apr25 = fx.slot(fluHere, LocalDateTime.of(2073, 4, 25, 9, 0), 0, 0, 3);
        fx.slot(fluHere, LocalDateTime.of(2073, 5, 3, 9, 0), 0, 0, 3); // after the season: never offered
        Alternatives.Query q = Alternatives.Query.of(fluHere, today(), Pool.PUBLIC, 10);
        assertThat(slots(alternatives.find(q))).containsExactly(apr22, apr25);

        String id = Fixtures.residentIdAged(70);
        Booking dose = ((BookingOutcome.Booked) booking.book(apr22, null, new BookingRequest(0, id, null, List.of(),
                null, Channel.AGENT, "alt", null))).booking();
        // this season's dose is booked: nothing more this season, and May is out of every season
        assertThat(alternatives.find(q.forPatient(id))).isEmpty();
        // moving that dose: the rest of the season only
        assertThat(slots(alternatives.forMove(dose, Channel.AGENT, 10))).containsExactly(apr25);

        long shingles = fx.vaccine(2, 60, 50, 150);
        schedules.define(shingles, new VaccineSchedule.Schedule(2, 60, 50, 150, null, null, null,
                List.of(new VaccineSchedule.Dose(2, 60, 180, null, null))));
        long shinglesHere = fx.vaccineService(clinic, shingles);
        LocalDateTime first = LocalDateTime.of(2073, 4, 23, 9, 0);
        long firstSlot = fx.slot(shinglesHere, first, 0, 0, 3);
        long soon = fx.slot(shinglesHere, first.plusDays(30), 0, 0, 3);
        long inWindow = fx.slot(shinglesHere, first.plusDays(90), 0, 0, 3);
        long late = fx.slot(shinglesHere, first.plusDays(200), 0, 0, 3);
        String elder = Fixtures.residentIdAged(72);
        assertThat(booking.book(firstSlot, null, new BookingRequest(0, elder, null, List.of(), null, Channel.AGENT,
                "alt", null))).isInstanceOf(BookingOutcome.Booked.class);
        Alternatives.Query second = Alternatives.Query.of(shinglesHere, today(), Pool.PUBLIC, 10).forPatient(elder);
        assertThat(slots(alternatives.find(second))).containsExactly(inWindow);
        // and what is offered is what the booking takes
        assertThat(booking.book(inWindow, null, new BookingRequest(0, elder, null, List.of(), null, Channel.AGENT,
                "alt", null))).isInstanceOf(BookingOutcome.Booked.class);
        assertThat(List.of(soon, late)).doesNotContain(inWindow);
    }
}
