package org.hotline.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.HoldOutcome;
import org.hotline.booking.Refusal;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** The open and move paths racing with many callers on the real MariaDB: no place lost, none sold twice. */
@IntegrationTest
class ReleaseRaceTest {

    @Autowired JdbcTemplate jdbc;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired ScheduleGenerator generator;
    @Autowired ReleasePolicies policies;
    @Autowired QuotaRelease release;
    @Autowired BookingService booking;

    final LocalDate day = LocalDate.now().plusDays(45);

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @Test
    void callersRacingTheOpeningGetExactlyThePlacesAndNoneBeforeEightOClock() throws Exception {
        ReleaseFixture f = new ReleaseFixture(jdbc, fx, generator, policies, "DISTRICT_HOSPITAL")
                .everyMorning(LocalTime.of(9, 0), 2, 0, 12);
        clock.set(day.minusDays(10).atTime(9, 0));
        f.generate(day, 1);
        long slot = f.slot(day.atTime(8, 0));
        LocalDateTime opening = day.minusDays(7).atTime(8, 0);
        clock.set(opening.minusSeconds(1));
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(24);
        CountDownLatch started = new CountDownLatch(24);
        try {
            List<Future<?>> callers = new java.util.ArrayList<>();
            for (int t = 0; t < 24; t++) {
                callers.add(pool.submit(() -> {
                    started.countDown();
                    while (!stop.get()) {
                        BookingOutcome out = ReleaseFixture.book(booking, slot, Channel.PHONE_MENU, null);
                        String key = out instanceof BookingOutcome.Refused r ? r.reason().name() : "BOOKED";
                        outcomes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                        if (Refusal.FULL.name().equals(key)) {
                            return;
                        }
                    }
                }));
            }
            started.await();
            Thread.sleep(300); // callers are refused while it is still 07:59:59
            assertThat(outcomes).containsOnlyKeys("POOL_CLOSED");
            clock.set(opening);
            assertThat(release.openDue(f.scope)).isEqualTo(2);
            for (Future<?> c : callers) {
                c.get(60, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(outcomes.get("BOOKED").get()).isEqualTo(12);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(12, 0, 12);
        assertThat(jdbc.queryForObject("SELECT MIN(created_at) FROM booking WHERE slot_id = ?", LocalDateTime.class,
                slot)).isAfterOrEqualTo(opening);
        assertThat(f.audit()).filteredOn(a -> "PUBLIC".equals(a.get("pool"))).singleElement()
                .satisfies(a -> assertThat(a).containsEntry("pools", 2).containsEntry("places", 24));
    }

    @Test
    void movesRacingBookingsHoldsAndCancellationsKeepEveryPlaceAccountedFor() throws Exception {
        ReleaseFixture f = new ReleaseFixture(jdbc, fx, generator, policies, "DISTRICT_HOSPITAL")
                .everyMorning(LocalTime.of(8, 30), 3, 40, 10);
        long centre = fx.facility("COMMUNITY_CENTRE");
        clock.set(day.minusDays(20).atTime(9, 0));
        f.generate(day, 1);
        long slot = f.slot(day.atTime(8, 0));
        clock.set(day.minusDays(1).atTime(11, 59));
        release.openDue(f.scope);
        int total = 3 + 40 + 10;

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger moved = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<?>> workers = new java.util.ArrayList<>();
            for (int t = 0; t < 32; t++) {
                int kind = t % 4;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < 12 && !stop.get(); i++) {
                        switch (kind) {
                            case 0 -> ReleaseFixture.book(booking, slot, Channel.COMMUNITY_DOCTOR, centre);
                            case 1 -> ReleaseFixture.book(booking, slot, Channel.PHONE_MENU, null);
                            case 2 -> { // hold and hang up
                                if (booking.hold(slot, Channel.COMMUNITY_DOCTOR) instanceof HoldOutcome.Held h) {
                                    booking.release(h.holdId());
                                }
                            }
                            default -> { // book and cancel
                                if (ReleaseFixture.book(booking, slot, Channel.COMMUNITY_DOCTOR, centre)
                                        instanceof BookingOutcome.Booked b) {
                                    booking.cancel(b.booking().id(), Channel.AGENT, null, "race");
                                }
                            }
                        }
                    }
                }));
            }
            clock.set(day.minusDays(1).atTime(12, 0));
            while (workers.stream().anyMatch(w -> !w.isDone())) {
                moved.addAndGet(release.moveDue(f.scope));
                assertCounted(slot, total, 32);
            }
            for (Future<?> w : workers) {
                w.get(60, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        moved.addAndGet(release.moveDue(f.scope)); // whatever came back after the last move
        assertCounted(slot, total, 0);
        int[] community = fx.counts(slot, "COMMUNITY");
        int[] pub = fx.counts(slot, "PUBLIC");
        assertThat(community[0] - community[1] - community[2]).as("COMMUNITY free after the move").isZero();
        assertThat(pub[0]).isEqualTo(10 + moved.get());
        Integer audited = jdbc.queryForObject("""
                SELECT SUM(places) FROM release_audit WHERE facility_id = ? AND action = 'MOVE_TO_PUBLIC'""",
                Integer.class, f.facility);
        assertThat(audited).isEqualTo(moved.get()).isPositive();
        assertThat(release.moveDue(f.scope)).isZero();
    }

    /** Σ capacity is constant, and each pool's counters match the holds and bookings that point at it. */
    void assertCounted(long slot, int total, int inFlight) {
        int sum = 0;
        for (String p : List.of("ONSITE", "COMMUNITY", "PUBLIC")) {
            int[] c = fx.counts(slot, p);
            sum += c[0];
            assertThat(c[1] + c[2]).isLessThanOrEqualTo(c[0]);
            Integer booked = jdbc.queryForObject("""
                    SELECT COUNT(*) FROM booking b JOIN quota_pool q ON q.id = b.pool_id
                    WHERE q.slot_id = ? AND q.pool = ? AND b.status = 'ACTIVE'""", Integer.class, slot, p);
            Integer held = jdbc.queryForObject("""
                    SELECT COUNT(*) FROM hold h JOIN quota_pool q ON q.id = h.pool_id
                    WHERE q.slot_id = ? AND q.pool = ? AND h.status = 'ACTIVE'""", Integer.class, slot, p);
            // read apart from the counters: while callers run, one may sit between the two reads
            assertThat(booked + held).as(p + " held + booked").isBetween(c[1] + c[2] - inFlight,
                    c[1] + c[2] + inFlight);
        }
        assertThat(sum).as("places of the slot").isEqualTo(total);
    }
}
