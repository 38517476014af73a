package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.Refusal;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/** Many agents at once: moves into the last place, and two agents grabbing one transferred call. */
@ConsoleTest
class ConsoleRaceTest {

    static final int AGENTS = 16;

    @Autowired AgentDesk desk;
    @Autowired TransferDesk transfers;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;

    static <T> List<T> race(int n, java.util.function.IntFunction<Callable<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Callable<T> c = task.apply(i);
            futures.add(pool.submit(() -> {
                go.await();
                return c.call();
            }));
        }
        go.countDown();
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            out.add(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        return out;
    }

    @Test
    void sixteenAgentsMovingIntoTheLastPlaceMoveExactlyOneAndKeepEveryOtherPatientBooked() throws Exception {
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        LocalDateTime day = clock.now().plusDays(3).withHour(8).withMinute(0).withSecond(0).withNano(0);
        long target = fx.slot(dept, day.plusHours(6), 0, 0, 1);
        List<Actor> agents = new ArrayList<>();
        List<Booking> bookings = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        for (int i = 0; i < AGENTS; i++) {
            Actor a = users.find(cfx.user(ConsoleRole.AGENT, null)).orElseThrow().actor();
            long from = fx.slot(dept, day.plusMinutes(30L * (i % 8)).plusDays(i / 8), 0, 0, 1);
            String id = Fixtures.residentIdAged(60 + i);
            BookingOutcome b = desk.book(a, new AgentDesk.BookRequest(from, null, id, Fixtures.mobile(), List.of(),
                    null, null));
            agents.add(a);
            ids.add(id);
            bookings.add(((BookingOutcome.Booked) b).booking());
        }

        List<AgentDesk.MoveOutcome> outs = race(AGENTS, i -> () -> desk.move(agents.get(i), bookings.get(i).id(),
                target, null, ids.get(i), null));

        assertThat(outs).filteredOn(o -> o instanceof AgentDesk.MoveOutcome.Moved).hasSize(1);
        List<AgentDesk.MoveOutcome.Refused> refused = outs.stream()
                .filter(o -> o instanceof AgentDesk.MoveOutcome.Refused).map(o -> (AgentDesk.MoveOutcome.Refused) o)
                .toList();
        assertThat(refused).hasSize(AGENTS - 1).allSatisfy(r -> {
            assertThat(r.reason()).isEqualTo(Refusal.FULL);
            assertThat(r.standing()).isNotNull();
        });
        assertThat(fx.counts(target, "PUBLIC")).containsExactly(1, 0, 1);
        // every patient still has exactly one active booking, and no place is held or lost
        for (int i = 0; i < AGENTS; i++) {
            assertThat(jdbc.queryForObject(
                    "SELECT COUNT(*) FROM booking WHERE patient_masked = ? AND service_id = ? AND status = 'ACTIVE'",
                    Integer.class, bookings.get(i).patientMasked(), dept)).isOne();
            int[] c = fx.counts(bookings.get(i).slotId(), "PUBLIC");
            assertThat(c[1]).isZero();
        }
        assertThat(jdbc.queryForObject("SELECT SUM(booked) FROM quota_pool q JOIN slot s ON s.id = q.slot_id "
                + "WHERE s.service_id = ?", Integer.class, dept)).isEqualTo(AGENTS);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'MOVE' AND outcome = 'FULL' "
                + "AND username LIKE 'agent-%' AND booking_id IN (" + String.join(",",
                        bookings.stream().map(b -> Long.toString(b.id())).toList()) + ")", Integer.class))
                .isEqualTo(AGENTS - 1);
    }

    @Test
    void whenManyAgentsPickUpOneCallExactlyOneGetsIt() throws Exception {
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        TransferContext t = cfx.transfer(Fixtures.mobile(), Map.of());
        List<Actor> agents = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            agents.add(users.find(cfx.user(ConsoleRole.AGENT, null)).orElseThrow().actor());
        }
        List<String> winners = race(8, i -> () -> transfers.pickUp(agents.get(i), t.transferId()).orElseThrow()
                .pickedBy());
        assertThat(winners).containsOnly(winners.get(0));
        assertThat(agents).extracting(Actor::username).contains(winners.get(0));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE transfer_id = ? AND action = 'PICK_UP' "
                + "AND outcome = 'OK'", Integer.class, t.transferId())).isOne();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE transfer_id = ? AND action = 'PICK_UP' "
                + "AND outcome = 'TAKEN'", Integer.class, t.transferId())).isEqualTo(7);
    }
}
