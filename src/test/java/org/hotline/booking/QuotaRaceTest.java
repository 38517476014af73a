package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** Many callers on few places, on the real MariaDB: never more bookings than places. */
@IntegrationTest
class QuotaRaceTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired Holds holdsBean;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @Test
    void tenPlacesGoToExactlyTenOfTwoHundredCallers() throws Exception {
        long facility = fx.facility("DISTRICT_HOSPITAL");
        long service = fx.outpatientService(facility);
        long slot = fx.slot(service, clock.now().plusDays(2).withHour(9).withMinute(0).withSecond(0).withNano(0), 2, 0,
                10);
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        runConcurrently(200, i -> {
            BookingOutcome out = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(30 + i % 50),
                    Fixtures.mobile(), List.of(), Fixtures.mobile(), Channel.PHONE_MENU, "race-" + i, null));
            String key = out instanceof BookingOutcome.Refused r ? r.reason().name() : "BOOKED";
            outcomes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        });
        assertThat(outcomes.get("BOOKED").get()).isEqualTo(10);
        assertThat(outcomes.get("FULL").get()).isEqualTo(190);
        assertThat(outcomes).hasSize(2);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(10, 0, 10);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE slot_id = ? AND status = 'ACTIVE'",
                Integer.class, slot)).isEqualTo(10);
        assertThat(fx.counts(slot, "ONSITE")).containsExactly(2, 0, 0);
    }

    @Test
    void countsStayConsistentWhileHoldsExpireAndBookingsConfirmAndCancel() throws Exception {
        long facility = fx.facility("DISTRICT_HOSPITAL");
        long service = fx.outpatientService(facility);
        LocalDateTime start = clock.now().plusDays(3).withHour(10).withMinute(0).withSecond(0).withNano(0);
        long slot = fx.slot(service, start, 0, 0, 8);
        List<Long> holds = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> codes = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger violations = new AtomicInteger();
        runConcurrently(120, i -> {
            switch (i % 4) {
                case 0 -> { // hold and leave it to expire
                    if (booking.hold(slot, Channel.PHONE_MENU) instanceof HoldOutcome.Held h) {
                        holds.add(h.holdId());
                    }
                }
                case 1 -> { // book
                    BookingOutcome out = booking.book(slot, null, new BookingRequest(0,
                            Fixtures.residentIdAged(40 + i % 30), Fixtures.mobile(), List.of(), null,
                            Channel.PHONE_MENU, "mix-" + i, null));
                    if (out instanceof BookingOutcome.Booked b) {
                        codes.add(b.booking().code());
                    }
                }
                case 2 -> { // cancel one of the bookings made so far
                    String code = codes.isEmpty() ? null : codes.remove(0);
                    if (code != null) {
                        booking.cancel(code, Channel.AGENT, null, "agent");
                    }
                }
                default -> booking.expireHolds();
            }
            int[] c = fx.counts(slot, "PUBLIC");
            if (c[1] < 0 || c[2] < 0 || c[1] + c[2] > c[0]) {
                violations.incrementAndGet();
            }
        });
        assertThat(violations.get()).isZero();
        // everything still held expires once the hold time has passed
        clock.set(clock.now().plus(Duration.ofMinutes(6)));
        booking.expireHolds();
        int[] c = fx.counts(slot, "PUBLIC");
        int active = jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE slot_id = ? AND status = 'ACTIVE'",
                Integer.class, slot);
        int activeHolds = jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ? AND status = 'ACTIVE'",
                Integer.class, slot);
        assertThat(c[1]).isZero();
        assertThat(activeHolds).isZero();
        assertThat(c[2]).isEqualTo(active);
        assertThat(c[0]).isEqualTo(8);
    }

    /**
     * A dead node's callers leave holds the scheduled sweep may miss while the cluster scheduler recovers: every
     * node's own sweeper gives them back once they are one sweep period overdue, each place exactly once
     * though four nodes' sweepers run at the same time.
     */
    @Test
    void everyNodesOwnSweeperGivesBackOverdueHoldsOnceEach() throws Exception {
        long facility = fx.facility("DISTRICT_HOSPITAL");
        long service = fx.outpatientService(facility);
        LocalDateTime start = clock.now().plusDays(5).withHour(11).withMinute(0).withSecond(0).withNano(0);
        long slot = fx.slot(service, start, 0, 0, 30);
        for (int i = 0; i < 30; i++) {
            assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Held.class);
        }
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Refused.class);
        List<HoldSweeper> nodes = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            nodes.add(new HoldSweeper(holdsBean, clock, Duration.ofSeconds(15)));
        }
        // expired 5 s ago: the scheduled sweep's turn, not yet the node's own
        clock.set(clock.now().plus(Duration.ofMinutes(5)).plusSeconds(5));
        assertThat(nodes.get(0).sweep()).isZero();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(30, 30, 0);
        clock.set(clock.now().plusSeconds(20));
        AtomicInteger given = new AtomicInteger();
        runConcurrently(16, i -> given.addAndGet(nodes.get(i % 4).sweep()));
        assertThat(given.get()).isGreaterThanOrEqualTo(30); // other tests' stale holds may be swept too
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(30, 0, 0);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ? AND status = 'EXPIRED'",
                Integer.class, slot)).isEqualTo(30);
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Held.class);
    }

    @Test
    void samePatientRacingForOneDayGetsExactlyOneBooking() throws Exception {
        long facility = fx.facility("DISTRICT_HOSPITAL");
        long service = fx.outpatientService(facility);
        LocalDateTime start = clock.now().plusDays(4).withHour(8).withMinute(0).withSecond(0).withNano(0);
        List<Long> slots = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            slots.add(fx.slot(service, start.plusMinutes(30L * k), 0, 0, 5));
        }
        String id = Fixtures.residentIdAged(79);
        AtomicInteger booked = new AtomicInteger();
        AtomicInteger duplicate = new AtomicInteger();
        runConcurrently(40, i -> {
            BookingOutcome out = booking.book(slots.get(i % slots.size()), null, new BookingRequest(0, id, null,
                    List.of(), null, Channel.PHONE_MENU, "dup-" + i, null));
            if (out instanceof BookingOutcome.Booked) {
                booked.incrementAndGet();
            } else if (((BookingOutcome.Refused) out).reason() == Refusal.DUPLICATE_SAME_DAY) {
                duplicate.incrementAndGet();
            }
        });
        assertThat(booked.get()).isEqualTo(1);
        assertThat(duplicate.get()).isEqualTo(39);
        int heldOrBooked = 0;
        for (long s : slots) {
            int[] c = fx.counts(s, "PUBLIC");
            assertThat(c[1]).isZero();
            heldOrBooked += c[2];
        }
        assertThat(heldOrBooked).isEqualTo(1);
    }

    interface Task {
        void run(int i) throws Exception;
    }

    static void runConcurrently(int n, Task task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            fs.add(pool.submit(() -> {
                start.await();
                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                task.run(k);
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }
}
