package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.handoff.TransferLog;
import org.hotline.release.NoShowRule;
import org.hotline.release.ReleaseScope;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * The front desk (导诊台) checks patients in by booking code over real HTTP with form login and CSRF, on the
 * real database: only today's bookings of its own facility, each once even when desks race, and a checked-in
 * patient is never marked a no-show.
 */
@ConsoleTest
class CheckInTest {

    static final java.util.concurrent.atomic.AtomicInteger WORLD = new java.util.concurrent.atomic.AtomicInteger();

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired BookingService booking;
    @Autowired NoShowRule noShows;

    ConsoleFixtures cfx;
    LocalDateTime morning;
    long hospital;
    long otherHospital;
    long dept;
    long otherDept;

    /** A day of this test's own, at 08:00, far from every other test's slots. */
    @BeforeEach
    void world() {
        morning = LocalDateTime.of(2051, 3, 6, 8, 0).plusWeeks(WORLD.getAndIncrement());
        clock.set(morning);
        cfx = new ConsoleFixtures(users, transferLog, clock);
        hospital = fx.facility("DISTRICT_HOSPITAL");
        otherHospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        otherDept = fx.outpatientService(otherHospital);
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    Booking book(long service, LocalDateTime at) {
        long slot = fx.slot(service, at, 0, 0, 20, morning.minusDays(1), at);
        String phone = Fixtures.mobile();
        BookingOutcome out = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(77), phone,
                List.of(), phone, Channel.PHONE_MENU, "call-checkin", null));
        assertThat(out).isInstanceOf(BookingOutcome.Booked.class);
        return ((BookingOutcome.Booked) out).booking();
    }

    ConsoleClient desk(long facility) {
        return new ConsoleClient(port).loggedIn(cfx.user(ConsoleRole.FRONT_DESK, facility), ConsoleFixtures.PASSWORD);
    }

    String status(Booking b) {
        return jdbc.queryForObject("SELECT status FROM booking WHERE id = ?", String.class, b.id());
    }

    static String refusal(ConsoleClient.Answer a) {
        assertThat(a.status()).as(a.body()).isEqualTo(422);
        return a.json().get("refusal").asString();
    }

    @Test
    void theDeskChecksInTodaysBookingsOfItsOwnFacilityOnce() {
        Booking today = book(dept, morning.withHour(10));
        Booking tomorrow = book(dept, morning.plusDays(1).withHour(10));
        Booking elsewhere = book(otherDept, morning.withHour(10));
        Booking cancelled = book(dept, morning.withHour(16));
        assertThat(booking.cancel(cancelled.id(), Channel.PHONE_MENU, null, "t")).isNotNull();
        ConsoleClient desk = desk(hospital);

        ConsoleClient.Answer ok = desk.post("/api/check-ins", Map.of("code", today.code()));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().get("booking").get("code").asString()).isEqualTo(today.code());
        assertThat(ok.json().get("booking").get("patientMasked").asString()).contains("*");
        assertThat(status(today)).isEqualTo("ATTENDED");

        assertThat(refusal(desk.post("/api/check-ins", Map.of("code", today.code())))).isEqualTo("ALREADY_CHECKED_IN");
        assertThat(refusal(desk.post("/api/check-ins", Map.of("code", tomorrow.code())))).isEqualTo("NOT_TODAY");
        assertThat(refusal(desk.post("/api/check-ins", Map.of("code", elsewhere.code())))).isEqualTo("OTHER_FACILITY");
        assertThat(refusal(desk.post("/api/check-ins", Map.of("code", cancelled.code())))).isEqualTo("NOT_ACTIVE");
        assertThat(refusal(desk.post("/api/check-ins", Map.of("code", "12ab")))).isEqualTo("NOT_FOUND");
        assertThat(status(tomorrow)).isEqualTo("ACTIVE");
        assertThat(status(elsewhere)).isEqualTo("ACTIVE");
        String deskUser = desk.get("/api/me").json().get("username").asString();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE username = ? AND action = 'CHECK_IN'",
                Integer.class, deskUser)).as("every check-in try audited").isEqualTo(6);

        // an agent, a community doctor, a supervisor may not check anyone in
        for (ConsoleRole role : List.of(ConsoleRole.AGENT, ConsoleRole.SUPERVISOR)) {
            ConsoleClient other = new ConsoleClient(port).loggedIn(cfx.user(role, null), ConsoleFixtures.PASSWORD);
            assertThat(other.post("/api/check-ins", Map.of("code", tomorrow.code())).status()).as(role.name())
                    .isEqualTo(403);
        }
        long centre = fx.facility("COMMUNITY_CENTRE");
        ConsoleClient doctor = new ConsoleClient(port).loggedIn(cfx.user(ConsoleRole.COMMUNITY_DOCTOR, centre),
                ConsoleFixtures.PASSWORD);
        assertThat(doctor.post("/api/check-ins", Map.of("code", tomorrow.code())).status()).isEqualTo(403);
    }

    @Test
    void aCheckedInPatientIsNotMarkedANoShowAndOneWhoDidNotComeIs() {
        Booking came = book(dept, morning.withHour(9));
        Booking stayedAway = book(dept, morning.withHour(9).withMinute(30));
        assertThat(desk(hospital).post("/api/check-ins", Map.of("code", came.code())).status()).isEqualTo(200);
        clock.set(morning.withHour(14));
        noShows.markNoShows(ReleaseScope.facilities(hospital));
        assertThat(status(came)).isEqualTo("ATTENDED");
        assertThat(status(stayedAway)).isEqualTo("NO_SHOW");
    }

    @Test
    void sixteenDeskClicksOnOneCodeAtOnceCheckItInOnce() throws Exception {
        Booking b = book(dept, morning.withHour(11));
        List<ConsoleClient> desks = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            desks.add(desk(hospital));
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<ConsoleClient.Answer>> answers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                ConsoleClient d = desks.get(i % desks.size());
                answers.add(pool.submit(() -> {
                    go.await();
                    return d.post("/api/check-ins", Map.of("code", b.code()));
                }));
            }
            go.countDown();
            Map<Integer, Integer> byStatus = new HashMap<>();
            for (Future<ConsoleClient.Answer> a : answers) {
                ConsoleClient.Answer r = a.get(60, TimeUnit.SECONDS);
                byStatus.merge(r.status(), 1, Integer::sum);
                if (r.status() == 422) {
                    assertThat(r.json().get("refusal").asString()).isEqualTo("ALREADY_CHECKED_IN");
                }
            }
            assertThat(byStatus).containsEntry(200, 1).containsEntry(422, 15);
        } finally {
            pool.shutdownNow();
        }
        assertThat(status(b)).isEqualTo("ATTENDED");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'CHECK_IN' AND outcome = 'OK'"
                + " AND booking_id = ?", Integer.class, b.id())).isEqualTo(1);
    }

    @Test
    void anAdminCreatesDesksOnlyForHospitalsAndClinics() {
        ConsoleClient admin = new ConsoleClient(port).loggedIn(cfx.user(ConsoleRole.ADMIN, null),
                ConsoleFixtures.PASSWORD);
        long centre = fx.facility("COMMUNITY_CENTRE");
        Map<String, Object> body = new HashMap<>(Map.of("username", "desk-" + System.nanoTime() % 1_000_000_000L,
                "password", "a-desk-password", "displayName", "导诊台一", "role", "FRONT_DESK"));
        assertThat(admin.post("/api/users", body).status()).as("no facility").isEqualTo(422);
        body.put("facilityId", centre);
        ConsoleClient.Answer toCentre = admin.post("/api/users", body);
        assertThat(toCentre.status()).as("a community centre").isEqualTo(422);
        assertThat(toCentre.body()).contains(UserProblem.DESK_NEEDS_FACILITY.text());
        body.put("facilityId", hospital);
        assertThat(admin.post("/api/users", body).status()).as("a hospital").isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT facility_id FROM console_user WHERE username = ?", Long.class,
                body.get("username"))).isEqualTo(hospital);
        // the database itself refuses a desk without a facility
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> jdbc.update("""
                INSERT INTO console_user (username, password_hash, display_name, role, facility_id, enabled, created_at,
                  created_by) VALUES ('desk-nowhere', 'x', 'x', 'FRONT_DESK', NULL, TRUE, NOW(), 'test')"""))
                .isInstanceOf(org.springframework.dao.DataAccessException.class);
    }
}
