package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.ResidentId;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Robustness: 10 000 calls pressing random keys (any key, timeouts, plausible and implausible IDs and
 * phone numbers, hang-ups at random points), four at a time. Every call ends in a goodbye (after a
 * booking or not), a transfer, a call-back or the caller's hang-up; nothing escapes the engine, nothing
 * breaks inside it, and no hold outlives its call.
 */
@IntegrationTest
class RandomCallsTest {

    static final int CALLS = 10_000;

    @Autowired ApplicationContext ctx;
    @Autowired FlowEngine engine;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    @AfterEach
    void reset() {
        clock.reset();
    }

    static final String SINGLE_KEYS = "11111111222233345678900**#";

    static String randomId(Random rnd, LocalDate today) {
        String first17 = "1101" + String.format("%02d", rnd.nextInt(99) + 1)
                + today.minusYears(1 + rnd.nextInt(95)).minusDays(rnd.nextInt(365)).toString().replace("-", "")
                + String.format("%03d", rnd.nextInt(1000));
        char check = ResidentId.checkDigit(first17);
        return first17 + (check == 'X' ? '*' : check);
    }

    static String randomDigits(Random rnd, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("0123456789*#".charAt(rnd.nextInt(12)));
        }
        return b.toString();
    }

    static Function<ScriptedCaller.Ask, String> randomAnswers(long seed, LocalDate today) {
        Random rnd = new Random(seed);
        return ask -> {
            double p = rnd.nextDouble();
            if (p < 0.02) {
                return ScriptedCaller.HANG_UP;
            }
            if (p < 0.09) {
                return ScriptedCaller.TIMEOUT;
            }
            return switch (ask.maxKeys()) {
                case 18 -> rnd.nextDouble() < 0.7 ? randomId(rnd, today) : randomDigits(rnd, 1 + rnd.nextInt(19));
                case 11 -> rnd.nextDouble() < 0.6 ? Fixtures.mobile() : randomDigits(rnd, 1 + rnd.nextInt(12));
                case 6 -> randomDigits(rnd, 1 + rnd.nextInt(7));
                default -> String.valueOf(SINGLE_KEYS.charAt(rnd.nextInt(SINGLE_KEYS.length())));
            };
        };
    }

    @Test
    void tenThousandRandomCallsAllEndProperlyAndLeaveNoHold() throws Exception {
        IvrWorld world = IvrWorld.open(fx, clock, 100_000);
        FlowEngine busy = Engines.withAgentQueue(ctx, () -> Duration.ofMinutes(30));
        Random seeds = new Random(20261201);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<CallResult>> futures = new ArrayList<>();
        List<ScriptedCaller> callers = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < CALLS; i++) {
            long seed = seeds.nextLong();
            double kind = new Random(seed).nextDouble();
            String number = kind < 0.7 ? Fixtures.mobile() : kind < 0.9 ? "010" + Fixtures.mobile().substring(3) : "";
            ScriptedCaller caller = new ScriptedCaller(number, randomAnswers(seed, world.today()));
            callers.add(caller);
            FlowEngine e = i % 5 == 0 ? busy : engine;
            futures.add(pool.submit(() -> e.run(caller)));
        }
        Map<CallResult.End, Integer> ends = new EnumMap<>(CallResult.End.class);
        List<Long> holds = new ArrayList<>();
        int bookings = 0;
        for (int i = 0; i < CALLS; i++) {
            CallResult r = futures.get(i).get();
            ScriptedCaller c = callers.get(i);
            assertThat(r.error()).as("call %s at %s", r.callId(), r.lastNode()).isNull();
            assertThat(r.end()).isIn(CallResult.End.GOODBYE, CallResult.End.TRANSFERRED, CallResult.End.CALLBACK,
                    CallResult.End.HUNG_UP);
            switch (r.end()) {
                case GOODBYE, CALLBACK -> assertThat(c.hungUpByUs).as(r.callId()).isTrue();
                case TRANSFERRED -> assertThat(c.transferId).as(r.callId()).isEqualTo(r.transferId()).isNotNull();
                default -> assertThat(c.transferId).isNull();
            }
            ends.merge(r.end(), 1, Integer::sum);
            holds.addAll(r.holdsTaken());
            bookings += r.bookings().size();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("random calls: %d in %.1f s, ends %s, %d bookings, %d holds taken%n", CALLS, seconds, ends,
                bookings, holds.size());

        // no hold outlives its call, and the pools agree with the bookings made
        int stillActive = 0;
        for (int i = 0; i < holds.size(); i += 1000) {
            List<Long> chunk = holds.subList(i, Math.min(holds.size(), i + 1000));
            stillActive += jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE status = 'ACTIVE' AND id IN ("
                    + String.join(",", chunk.stream().map(String::valueOf).toList()) + ")", Integer.class);
        }
        assertThat(stillActive).isZero();
        Map<String, Object> pools = jdbc.queryForMap("""
                SELECT COALESCE(SUM(q.held), 0) AS held, COALESCE(SUM(q.booked), 0) AS booked
                FROM quota_pool q JOIN slot s ON s.id = q.slot_id WHERE s.service_id IN (?, ?, ?, ?)""",
                world.dept, world.dept2, world.oneDoseService, world.twoDoseService);
        assertThat(((Number) pools.get("held")).intValue()).isZero();
        int activeBookings = jdbc.queryForObject("""
                SELECT COUNT(*) FROM booking WHERE status = 'ACTIVE' AND service_id IN (?, ?, ?, ?)""", Integer.class,
                world.dept, world.dept2, world.oneDoseService, world.twoDoseService);
        assertThat(((Number) pools.get("booked")).intValue()).isEqualTo(activeBookings);
        // the run is only worth something if it reached every ending and booked
        assertThat(ends.keySet()).contains(CallResult.End.GOODBYE, CallResult.End.TRANSFERRED,
                CallResult.End.CALLBACK, CallResult.End.HUNG_UP);
        assertThat(bookings).isGreaterThan(20);
    }
}
