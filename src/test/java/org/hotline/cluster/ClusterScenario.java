package org.hotline.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.hotline.cluster.ClusterRun.PoolTruth;
import org.hotline.sms.PerlSmsc;

/**
 * The cluster test as one procedure, run on Galera and on a single MariaDB: three gateway processes,
 * {@value #CALLS} concurrent booking calls on {@value #HOT_SLOTS} hot slots, a database node killed (2.2 s)
 * and a gateway killed (2.8 s) while confirmations are in flight, then the database truth: no oversell, counters equal rows, every place the
 * callers were told about is booked, the dead gateway's holds given back by the sweeper.
 */
abstract class ClusterScenario {

    static final int CALLS = 600;
    static final int HOT_SLOTS = 4;
    static final int PLACES = 40;
    static final Duration HOLD_TTL = Duration.ofSeconds(12);

    /** What the procedure found, for the report line and the subclass's own assertions. */
    record Outcome(ClusterRun run, Map<String, Long> answers, Map<String, Integer> holds, double retries) {
    }

    /**
     * @param label       for the log line
     * @param urls        the JDBC URL of each gateway (its first host is where it writes)
     * @param checkUrl    where the checks read (wsrep_sync_wait=1 on Galera)
     * @param killDbNode  kills a database node mid-run (null: none)
     */
    Outcome run(String label, List<String> urls, String user, String password, String checkUrl,
            ThrowingRunnable killDbNode, Map<String, String> extraEnv) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Path logs = Path.of("target/cluster-logs", label);
        List<GatewayProcess> gateways = new ArrayList<>();
        PerlSmsc smsc = PerlSmsc.start(Map.of());
        try {
            Map<String, String> env = new HashMap<>();
            env.put("HOTLINE_SMPP_HOST", "127.0.0.1");
            env.put("HOTLINE_SMPP_PORT", Integer.toString(smsc.port()));
            // a dead gateway's claimed SMS go back to the others after this lease
            env.put("HOTLINE_SMS_DISPATCH_LEASE", "10s");
            // then its parts in doubt wait this long for their receipts before they are sent again
            env.put("HOTLINE_SMS_DISPATCH_IN_DOUBT_WAIT", "30s");
            env.put("HOTLINE_BOOKING_HOLD_TTL", HOLD_TTL.toSeconds() + "s");
            env.put("HOTLINE_RELEASE_CRON_EXPIRE_HOLDS", "0/3 * * * * ?");
            env.put("SERVER_TOMCAT_THREADS_MAX", "400");
            env.put("HOTLINE_AGI_PORT", "0"); // three gateways on one host: each its own FastAGI port
            env.put("HOTLINE_AGI_BIND_ADDRESS", "127.0.0.1");
            env.put("HOTLINE_SIP_PORT", "0"); // and its own SIP port
            env.put("SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE", "24");
            env.put("LOGGING_LEVEL_ROOT", "WARN");
            env.put("LOGGING_LEVEL_ORG_HOTLINE", "INFO");
            env.putAll(extraEnv);
            // the first gateway migrates the schema alone (Flyway's lock is a GET_LOCK, which Galera does not
            // replicate); the others then find it migrated and start together
            gateways.add(GatewayProcess.start("gw1", logs, urls.get(0), user, password, env));
            gateways.get(0).awaitStarted(http, Duration.ofSeconds(150));
            for (int i = 1; i < urls.size(); i++) {
                gateways.add(GatewayProcess.start("gw" + (i + 1), logs, urls.get(i), user, password, env));
            }
            for (GatewayProcess g : gateways) {
                g.awaitStarted(http, Duration.ofSeconds(150));
            }

            ClusterRun run = new ClusterRun(checkUrl, user, password, http);
            run.seedHotSlots(HOT_SLOTS, PLACES);
            long t0 = System.nanoTime();
            CompletableFuture<Void> calls = run.placeCalls(gateways, CALLS, Duration.ofSeconds(2), 1500, 4000);
            GatewayProcess victim = gateways.get(gateways.size() - 1);
            // every caller has arrived and the hot slots are sold out; confirms are in flight
            sleepUntil(t0, 2200);
            if (killDbNode != null) {
                killDbNode.run();
            }
            sleepUntil(t0, 2800);
            victim.kill();
            run.markDead(gateways.size() - 1);
            calls.get(180, TimeUnit.SECONDS);
            long callsMs = (System.nanoTime() - t0) / 1_000_000;

            boolean swept = run.awaitNoHolds(HOLD_TTL.plusSeconds(60));
            List<PoolTruth> pools = run.pools();
            Map<String, Integer> holds = run.holdsByStatus();
            Map<String, Long> answers = run.summary();
            double retries = 0;
            for (GatewayProcess g : gateways) {
                if (g.alive()) {
                    retries += run.retries(g);
                }
            }
            System.out.printf("cluster %s: %d calls in %d ms → %s; holds %s; retries %.0f; swept %s%n", label, CALLS,
                    callsMs, answers, holds, retries, swept);

            // zero oversell, and the counters are the rows: capacity = free + held + booked everywhere
            for (PoolTruth p : pools) {
                assertThat(p.held() + p.booked()).as("pool %d", p.poolId()).isLessThanOrEqualTo(p.capacity());
                assertThat(p.booked()).as("pool %d booked = active bookings", p.poolId()).isEqualTo(p.activeBookings());
                assertThat(p.held()).as("pool %d held = active holds", p.poolId()).isEqualTo(p.activeHolds());
            }
            // the sweeper gave back every place still held (the dead gateway's calls)
            assertThat(swept).as("no place held at the end").isTrue();
            assertThat(holds.getOrDefault("ACTIVE", 0)).isZero();
            assertThat(holds.getOrDefault("EXPIRED", 0)).as("the dead gateway's holds expired").isPositive();
            assertThat((long) holds.getOrDefault("EXPIRED", 0))
                    .as("only calls cut off by a fault leave a hold to the sweeper")
                    .isLessThanOrEqualTo(run.count("cut off") + run.count("failed"));
            // nothing lost: every booking a caller heard is in the database, every booking has its confirmed hold
            List<String> codes = run.activeCodes();
            List<String> heard = run.answers.values().stream().filter(a -> a.startsWith("booked "))
                    .map(a -> a.substring(7)).toList();
            assertThat(codes).containsAll(heard);
            assertThat(run.bookingsWithoutConfirmedHold()).isZero();
            // the hot slots sold out (callers heard FULL) and every place is free, held or booked, none lost
            int capacity = pools.stream().filter(p -> p.capacity() == PLACES).mapToInt(PoolTruth::capacity).sum();
            int booked = pools.stream().mapToInt(PoolTruth::booked).sum();
            assertThat(capacity).isEqualTo(HOT_SLOTS * PLACES);
            assertThat(booked).as("booked places").isPositive().isLessThanOrEqualTo(capacity);
            assertThat(booked).isEqualTo(codes.size());
            assertThat(run.count("refused FULL")).isPositive();
            assertEverySmsSentOnce(run, smsc);
            assertThat(run.confirmationsPerBooking()).as("one confirmation per booking").containsOnly(1);
            // the gateways' logs carry call ids and never a whole resident ID or phone number
            StringBuilder logText = new StringBuilder();
            for (GatewayProcess g : gateways) {
                logText.append(java.nio.file.Files.readString(g.log));
            }
            assertThat(logText).contains("[callId=c-");
            for (int i = 0; i < CALLS; i++) {
                if (logText.indexOf(ClusterRun.residentId(i)) >= 0 || logText.indexOf(ClusterRun.mobile(i)) >= 0) {
                    throw new AssertionError("call c-" + i + ": a whole resident ID or phone number in a gateway log");
                }
            }
            return new Outcome(run, answers, holds, retries);
        } finally {
            for (GatewayProcess g : gateways) {
                g.close();
            }
            smsc.close();
        }
    }

    /**
     * Every SMS of the hot slots' bookings left the outbox and every part of it was accepted by the SMSC
     * exactly once: none missing, none twice, also for the parts the killed gateway had submitted without
     * recording (their receipts settle them, docs/sms.md). Returns how many parts went twice (always 0).
     */
    static int assertEverySmsSentOnce(ClusterRun run, PerlSmsc smsc) throws InterruptedException {
        // the killed gateway's rows wait out its lease, then (in doubt) their receipts
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        List<Map<String, Object>> messages = run.smsOfBookings();
        while (System.nanoTime() < end && (messages.isEmpty() || messages.stream()
                .anyMatch(m -> !List.of("SUBMITTED", "DELIVERED").contains((String) m.get("status"))))) {
            Thread.sleep(1000);
            messages = run.smsOfBookings();
        }
        assertThat(run.smsWaiting()).as("SMS still in the outbox").isZero();
        assertThat(messages).as("SMS of the bookings").isNotEmpty();
        Map<String, Integer> parts = new HashMap<>();
        for (Map<String, Object> m : messages) {
            assertThat(m.get("status")).as("SMS %s", m.get("id")).isIn("SUBMITTED", "DELIVERED");
            parts.merge((String) m.get("phone"), ((Number) m.get("parts")).intValue(), Integer::sum);
        }
        Map<String, Long> accepted = new HashMap<>();
        Map<String, Long> samePart = new HashMap<>();
        for (PerlSmsc.Submit sub : smsc.submits()) {
            if ("ESME_ROK".equals(sub.status()) && parts.containsKey(sub.destination())) {
                accepted.merge(sub.destination(), 1L, Long::sum);
                samePart.merge(sub.destination() + "|" + sub.seq() + "|" + sub.text(), 1L, Long::sum);
            }
        }
        int twice = 0;
        for (Map.Entry<String, Integer> e : parts.entrySet()) {
            long got = accepted.getOrDefault(e.getKey(), 0L);
            if (got != e.getValue()) {
                twice += (int) Math.max(0, got - e.getValue());
                assertThat(got).as("parts accepted by the SMSC for %s (its SMS have %d)",
                        org.hotline.booking.PhoneNumber.mask(e.getKey()), e.getValue())
                        .isEqualTo(e.getValue().longValue());
            }
        }
        assertThat(samePart.values()).as("no part accepted twice").containsOnly(1L);
        System.out.printf("SMS: %d messages to %d phones, every part accepted by the SMSC exactly once%n",
                messages.size(), parts.size());
        return twice;
    }

    private static void sleepUntil(long t0, long ms) throws InterruptedException {
        long left = ms - (System.nanoTime() - t0) / 1_000_000;
        if (left > 0) {
            Thread.sleep(left);
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
