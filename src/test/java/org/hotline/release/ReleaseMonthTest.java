package org.hotline.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.temporal.TemporalAdjusters;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.context.event.ApplicationEventMulticaster;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import org.hotline.booking.BookingEvents;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.CheckInOutcome;
import org.hotline.booking.Refusal;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * A simulated month of nights, mornings, noons and evenings: the calendar is generated from the weekly
 * roster and never runs out, each day's release opens exactly the day 7 (PUBLIC) and 14 (COMMUNITY) ahead,
 * reminders go out once per booking inside a transaction, and the third no-show in 90 days blocks the phone.
 */
@IntegrationTest
class ReleaseMonthTest {

    @Autowired JdbcTemplate jdbc;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired ScheduleGenerator generator;
    @Autowired ReleasePolicies policies;
    @Autowired ReleaseProperties props;
    @Autowired QuotaRelease release;
    @Autowired NoShowRule noShows;
    @Autowired Reminders reminders;
    @Autowired BookingService booking;
    @Autowired ApplicationEventMulticaster multicaster;

    final Map<Long, AtomicInteger> reminded = new ConcurrentHashMap<>();
    final Set<Boolean> inTransaction = ConcurrentHashMap.newKeySet();
    ApplicationListener<PayloadApplicationEvent<?>> listener;

    @AfterEach
    void cleanUp() {
        clock.reset();
        if (listener != null) {
            multicaster.removeApplicationListener(listener);
        }
    }

    @Test
    void aMonthOfReleasesRemindersAndNoShows() {
        ReleaseFixture f = new ReleaseFixture(jdbc, fx, generator, policies, "DISTRICT_HOSPITAL");
        for (DayOfWeek d : List.of(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY,
                DayOfWeek.FRIDAY)) {
            generator.saveTemplate(new ScheduleGenerator.WeeklyTemplate(f.service, d, "MORNING", LocalTime.of(8, 0),
                    LocalTime.of(9, 0), 30, 1, 2, 4));
        }
        listener = e -> {
            if (e.getPayload() instanceof BookingEvents.ReminderDue r && r.booking().facilityId() == f.facility) {
                reminded.computeIfAbsent(r.booking().id(), k -> new AtomicInteger()).incrementAndGet();
                inTransaction.add(TransactionSynchronizationManager.isActualTransactionActive());
            }
        };
        multicaster.addApplicationListener(listener);

        LocalDate start = LocalDate.now().plusDays(60).with(TemporalAdjusters.next(DayOfWeek.MONDAY));
        String p = Fixtures.residentIdAged(78); // misses three appointments
        String q = Fixtures.residentIdAged(79); // misses two, and one long ago
        String r = Fixtures.residentIdAged(80); // always comes
        historicNoShow(q, start.minusDays(85));
        int horizon = props.horizonDays();
        Set<Long> bookings = new HashSet<>();

        for (int d = 0; d < 31; d++) {
            LocalDate date = start.plusDays(d);
            clock.set(date.atTime(1, 30));
            int added = generator.generateAhead(date, f.scope);
            LocalDate last = date.plusDays(horizon - 1);
            assertThat(sessionDates(f)).as("calendar on night %s", date)
                    .isEqualTo(weekdays(start, last));
            if (d > 0) {
                assertThat(added).isEqualTo(isWeekday(last) ? 2 : 0);
            }

            clock.set(date.atTime(8, 0));
            release.openDue(f.scope);
            if (d > 0) {
                assertThat(openedNow(f)).as("opened on %s", date).isEqualTo(expectedOpenings(date));
            }

            clock.set(date.atTime(8, 5));
            LocalDate tomorrow = date.plusDays(1);
            if (d == 0 || d == 7 || d == 14) {
                bookings.add(booked(phone(f, tomorrow, p)));
                bookings.add(booked(phone(f, tomorrow, r)));
            }
            if (d == 1 || d == 8) {
                bookings.add(booked(phone(f, tomorrow, q)));
            }
            if (d == 16) {
                assertThat(phone(f, tomorrow, p)).as("phone booking after the third no-show")
                        .isEqualTo(new BookingOutcome.Refused(Refusal.PATIENT_BLOCKED, date.plusDays(90)));
                BookingOutcome byAgent = booking.book(f.slot(tomorrow.atTime(8, 0)), null,
                        new BookingRequest(0, p, Fixtures.mobile(), List.of(), null, Channel.AGENT, "agent-7", null));
                bookings.add(booked(byAgent)); // the block is on the phone only
                assertThat(blockedUntil(p)).isEqualTo(date.minusDays(1).plusDays(90));
            }
            clock.set(date.atTime(8, 10));
            for (var b : jdbc.queryForList("""
                    SELECT code FROM booking WHERE facility_id = ? AND slot_date = ? AND patient_hash = ?
                      AND status = 'ACTIVE'""", String.class, f.facility, date, booking.hashOf(r))) {
                assertThat(booking.checkIn(b, f.facility, "desk")).isInstanceOf(CheckInOutcome.CheckedIn.class);
            }

            clock.set(date.atTime(10, 0)); // slots end by 09:00, plus a grace of 2 h: not yet
            assertThat(noShows.markNoShows(f.scope)).isZero();

            clock.set(date.atTime(12, 0));
            release.moveDue(f.scope);
            if (d > 0 && isWeekday(tomorrow)) {
                assertThat(jdbc.queryForObject("""
                        SELECT COUNT(*) FROM release_audit WHERE facility_id = ? AND action = 'MOVE_TO_PUBLIC'
                          AND slot_date = ? AND done_at = ?""", Integer.class, f.facility, tomorrow, date.atTime(12, 0)))
                        .isEqualTo(1);
            }

            clock.set(date.atTime(18, 0));
            reminders.remindDue(f.scope);
            assertThat(reminders.remindDue(f.scope)).isZero();

            clock.set(date.atTime(23, 0));
            noShows.markNoShows(f.scope);
            boolean thirdMissed = d >= 15;
            assertThat(blockedUntil(p)).as("P blocked on %s", date).matches(u -> thirdMissed == (u != null));
        }

        assertThat(statuses(p)).containsExactly("NO_SHOW", "NO_SHOW", "NO_SHOW", "NO_SHOW");
        assertThat(statuses(q)).containsExactly("NO_SHOW", "NO_SHOW", "NO_SHOW");
        assertThat(blockedUntil(q)).as("one of Q's three no-shows is older than 90 days").isNull();
        assertThat(statuses(r)).containsExactly("ATTENDED", "ATTENDED", "ATTENDED");
        assertThat(blockedUntil(r)).isNull();
        assertThat(reminded.keySet()).isEqualTo(bookings);
        assertThat(reminded.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(inTransaction).containsExactly(true);
    }

    BookingOutcome phone(ReleaseFixture f, LocalDate date, String residentId) {
        return booking.book(f.slot(date.atTime(8, 0)), null, BookingRequest.phone(0, residentId, Fixtures.mobile(),
                Fixtures.mobile(), "call-" + date));
    }

    static long booked(BookingOutcome out) {
        assertThat(out).isInstanceOf(BookingOutcome.Booked.class);
        return ((BookingOutcome.Booked) out).booking().id();
    }

    LocalDate blockedUntil(String residentId) {
        return jdbc.query("SELECT phone_blocked_until FROM patient WHERE id_hash = ?",
                rs -> rs.next() ? rs.getObject(1, LocalDate.class) : null, booking.hashOf(residentId));
    }

    List<String> statuses(String residentId) {
        return jdbc.queryForList("SELECT status FROM booking WHERE patient_hash = ? ORDER BY slot_date", String.class,
                booking.hashOf(residentId));
    }

    /** A no-show from before the month, on a slot of its own (the pools are irrelevant by then). */
    void historicNoShow(String residentId, LocalDate date) {
        long facility = fx.facility("DISTRICT_HOSPITAL");
        long service = fx.outpatientService(facility);
        LocalDateTime at = date.atTime(9, 0);
        long slot = fx.slot(service, at, 0, 0, 1, at.minusDays(7), at.minusHours(2));
        long pool = jdbc.queryForObject("SELECT id FROM quota_pool WHERE slot_id = ? AND pool = 'PUBLIC'", Long.class,
                slot);
        String hash = booking.hashOf(residentId);
        jdbc.update("""
                INSERT INTO patient (id_hash, created_at) VALUES (?, ?)
                ON DUPLICATE KEY UPDATE id_hash = id_hash""", hash, at.minusDays(7));
        jdbc.update("""
                INSERT INTO booking (code, status, slot_id, pool_id, pool, service_id, facility_id, slot_date,
                  slot_starts_at, patient_hash, patient_masked, patient_age, channel, created_at)
                VALUES ('999999', 'NO_SHOW', ?, ?, 'PUBLIC', ?, ?, ?, ?, ?, 'masked', 80, 'PHONE_MENU', ?)""",
                slot, pool, service, facility, date, at, hash, at.minusDays(7));
    }

    List<LocalDate> sessionDates(ReleaseFixture f) {
        return jdbc.queryForList("SELECT session_date FROM clinic_session WHERE service_id = ? ORDER BY session_date",
                LocalDate.class, f.service);
    }

    static List<LocalDate> weekdays(LocalDate from, LocalDate to) {
        return from.datesUntil(to.plusDays(1)).filter(ReleaseMonthTest::isWeekday).toList();
    }

    static boolean isWeekday(LocalDate d) {
        return d.getDayOfWeek().getValue() <= 5;
    }

    Set<String> openedNow(ReleaseFixture f) {
        return new HashSet<>(jdbc.queryForList("""
                SELECT CONCAT(pool, ' ', slot_date) FROM release_audit
                WHERE facility_id = ? AND action = 'OPEN' AND done_at = ?""", String.class, f.facility, clock.now()));
    }

    static Set<String> expectedOpenings(LocalDate date) {
        Set<String> s = new HashSet<>();
        if (isWeekday(date.plusDays(7))) {
            s.add("PUBLIC " + date.plusDays(7));
        }
        if (isWeekday(date.plusDays(14))) {
            s.add("COMMUNITY " + date.plusDays(14));
        }
        return s;
    }
}
