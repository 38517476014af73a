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
 * {@value #CALLS} concurrent FastAGI booking calls through the real voice menu on {@value #HOT_SLOTS} hot
 * slots, releases planned to open and close quota every few seconds meanwhile, a database node killed
 * (2.2 s) and a gateway killed (2.8 s) while confirmations are in flight, then the database truth: no
 * oversell, counters equal rows, every code a caller heard read back is booked, the dead gateway's holds
 * given back by the sweeper, every planned release done once and on time.
 */
abstract class ClusterScenario {

    static final int CALLS = 600;
    static final int HOT_SLOTS = 4;
    static final int PLACES = 40;
    static final Duration HOLD_TTL = Duration.ofSeconds(12);
    /** Releases planned during the run, 3 s apart: PUBLIC quota of a department opening, or closing (moved to walk-ins). */
    static final int RELEASE_OPENS = 4;
    static final int RELEASE_MOVES = 2;
    static final Duration RELEASE_EVERY = Duration.ofSeconds(3);
    /**
     * How late a release may run. The open and move jobs fire every second, but a fire waits while the
     * trigger is held by the gateway that was killed after acquiring it: the others find that node dead
     * when its check-in is 7.5 s overdue beyond the 7.5 s interval, at their own next check-in (every 7.5 s),
     * so up to ~22.5 s after the kill; writes also stall 4-5 s while Galera evicts a killed node. Measured:
     * up to ~9 s (docs/deploy.md).
     */
    static final Duration RELEASE_TOLERANCE = Duration.ofSeconds(30);

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
            // releases a few seconds apart: the jobs look for due steps every second
            env.put("HOTLINE_RELEASE_CRON_OPEN", "* * * * * ?");
            env.put("HOTLINE_RELEASE_CRON_MOVE", "* * * * * ?");
            // each gateway its own FastAGI port (GatewayProcess picks it), on loopback
            env.put("HOTLINE_AGI_BIND_ADDRESS", "127.0.0.1");
            env.put("HOTLINE_SIP_PORT", "0"); // and its own SIP port
            env.put("SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE", "24");
            env.put("LOGGING_LEVEL_ROOT", "WARN");
            env.put("LOGGING_LEVEL_ORG_HOTLINE", "INFO");
            // Quartz's cluster manager logs through the job store's class: check-ins that fail, nodes recovered
            env.put("LOGGING_LEVEL_ORG_SPRINGFRAMEWORK_SCHEDULING_QUARTZ", "INFO");
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
            run.planReleases(RELEASE_OPENS, RELEASE_MOVES,
                    java.time.LocalDateTime.now(ClusterRun.ZONE).plusSeconds(3), RELEASE_EVERY);
            GatewayProcess victim = gateways.get(gateways.size() - 1);
            int victimIndex = gateways.size() - 1;
            // the faults on threads of their own, timed from the first caller: placing 600 callers (a thread
            // each) can itself take seconds on a busy machine, and a SIGKILLed mariadbd seconds to be gone
            java.util.concurrent.ExecutorService faults = java.util.concurrent.Executors.newFixedThreadPool(2);
            long t0 = System.nanoTime();
            CompletableFuture<Void> dbNodeKilled = killDbNode == null ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.runAsync(() -> {
                        try {
                            sleepUntil(t0, 2200); // every caller has arrived and the hot slots are sold out
                            killDbNode.run();
                        } catch (Exception e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    }, faults);
            CompletableFuture<String> gatewayKilled = CompletableFuture.supplyAsync(() -> {
                try {
                    sleepUntil(t0, 2800); // confirms are in flight
                    // a slow machine brings callers to their hold later than planned: kill while one is held there
                    boolean midBooking = run.awaitHolding(victimIndex, Duration.ofSeconds(20));
                    long at = (System.nanoTime() - t0) / 1_000_000;
                    victim.kill();
                    return at + " ms (a place held there: " + midBooking + ")";
                } catch (InterruptedException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, faults);
            CompletableFuture<Void> calls = run.placeCalls(gateways, CALLS, Duration.ofSeconds(2), 1500, 4000);
            calls.get(180, TimeUnit.SECONDS);
            String killedAt = gatewayKilled.get(60, TimeUnit.SECONDS);
            dbNodeKilled.get(60, TimeUnit.SECONDS);
            faults.shutdown();
            long callsMs = (System.nanoTime() - t0) / 1_000_000;

            boolean swept = run.awaitNoHolds(HOLD_TTL.plusSeconds(60));
            long releaseWait = Duration.between(java.time.LocalDateTime.now(ClusterRun.ZONE), run.lastReleaseAt())
                    .plus(RELEASE_TOLERANCE).toMillis();
            boolean released = run.awaitReleases(Duration.ofMillis(Math.max(1000, releaseWait)));
            // when a wait ran out: what the scheduler and the gateways were doing, so a failure on a CI machine
            // can be read from its output alone
            String why = swept && released ? "" : run.schedulerState() + problems(gateways);
            List<PoolTruth> pools = run.pools();
            Map<String, Integer> holds = run.holdsByStatus();
            Map<String, Long> answers = run.summary();
            double retries = 0;
            for (GatewayProcess g : gateways) {
                if (g.alive()) {
                    retries += run.retries(g);
                }
            }
            System.out.printf("cluster %s: %d AGI calls in %d ms → %s; gateway killed at %s;"
                    + " %d went on at another gateway; holds %s; retries %.0f; swept %s%n", label, CALLS, callsMs, answers,
                    killedAt, run.failedOver.get(), holds, retries, swept);
            assertEveryReleaseFiredOnce(label, run, released, why);

            // zero oversell, and the counters are the rows: capacity = free + held + booked everywhere
            for (PoolTruth p : pools) {
                assertThat(p.held() + p.booked()).as("pool %d", p.poolId()).isLessThanOrEqualTo(p.capacity());
                assertThat(p.booked()).as("pool %d booked = active bookings", p.poolId()).isEqualTo(p.activeBookings());
                assertThat(p.held()).as("pool %d held = active holds", p.poolId()).isEqualTo(p.activeHolds());
            }
            // the sweeper gave back every place still held (the dead gateway's calls)
            assertThat(swept).as("no place held at the end%s", why).isTrue();
            assertThat(holds.getOrDefault("ACTIVE", 0)).isZero();
            assertThat(holds.getOrDefault("EXPIRED", 0)).as("the dead gateway's holds expired").isPositive();
            assertThat((long) holds.getOrDefault("EXPIRED", 0))
                    .as("only calls cut off by a fault leave a hold to the sweeper")
                    .isLessThanOrEqualTo(run.cutOff.size() + run.count("failed") + run.count("agent"));
            assertThat(run.cutOff).as("calls the killed gateway dropped").isNotEmpty();
            assertThat(run.answers).as("every call ended").hasSize(CALLS);
            // nothing lost: every booking a caller heard is in the database, every booking has its confirmed hold
            List<String> codes = run.activeCodes();
            List<String> heard = run.answers.values().stream().filter(a -> a.startsWith("booked "))
                    .map(a -> a.substring(7)).toList();
            assertThat(heard).as("codes read back").doesNotHaveDuplicates().allMatch(c -> c.matches("[0-9]{6}"));
            assertThat(codes).containsAll(heard);
            assertThat(run.bookingsWithoutConfirmedHold()).isZero();
            // the hot slots sold out (callers heard FULL) and every place is free, held or booked, none lost
            int capacity = pools.stream().filter(p -> p.capacity() == PLACES).mapToInt(PoolTruth::capacity).sum();
            int booked = pools.stream().mapToInt(PoolTruth::booked).sum();
            assertThat(capacity).isEqualTo(HOT_SLOTS * PLACES);
            assertThat(booked).as("booked places").isPositive().isLessThanOrEqualTo(capacity);
            assertThat(booked).isEqualTo(codes.size());
            // the callers who got no place were told so by the menu: FULL at the hold, or their time no longer offered
            assertThat(run.count("refused FULL") + run.count("no places")).as("callers told it is sold out")
                    .isPositive();
            // every caller got an answer from some gateway: none was left without one (a call dropped by the
            // killed gateway went on at the next); a call whose database write failed went to a person
            assertThat(run.answers.values()).as("calls that got no answer").noneMatch(x -> x.startsWith("failed"));
            if (killDbNode == null) {
                assertThat(run.count("agent")).as("calls handed to a person with no database fault").isZero();
            }
            assertEverySmsSentOnce(run, smsc);
            assertThat(run.confirmationsPerBooking()).as("one confirmation per booking").containsOnly(1);
            // the gateways' logs carry call ids and never a whole resident ID or phone number
            StringBuilder logText = new StringBuilder();
            for (GatewayProcess g : gateways) {
                logText.append(java.nio.file.Files.readString(g.log()));
            }
            assertThat(logText).contains("[callId=" + run.uniqueId(0, 0) + "]");
            for (int i = 0; i < CALLS; i++) {
                if (logText.indexOf(run.residentId(i)) >= 0 || logText.indexOf(run.mobile(i)) >= 0) {
                    throw new AssertionError("call " + i + ": a whole resident ID or phone number in a gateway log");
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

    /** The gateways' ERROR lines and Quartz cluster-manager lines (first line of each, at most 40). */
    static String problems(List<GatewayProcess> gateways) {
        StringBuilder b = new StringBuilder("\ngateway log lines:");
        int n = 0;
        for (GatewayProcess g : gateways) {
            try {
                for (String line : java.nio.file.Files.readAllLines(g.log())) {
                    if ((line.contains(" ERROR ") || line.contains("ClusterManager") || line.contains("Hold sweeper"))
                            && n++ < 40) {
                        b.append("\n  ").append(line, 0, Math.min(line.length(), 400));
                    }
                }
            } catch (java.io.IOException e) {
                b.append("\n  (").append(g.log()).append(": ").append(e).append(')');
            }
        }
        return b.toString();
    }

    /**
     * From the release audit and the steps: every planned release ran exactly once (one audit row, no second
     * one from another Quartz node, none missed though a gateway died), within {@link #RELEASE_TOLERANCE} of
     * its planned time, and left its pools as planned: opened at the planned time with all places, or closed
     * with the unused places moved to walk-ins (nobody booked that department).
     */
    static void assertEveryReleaseFiredOnce(String label, ClusterRun run, boolean released, String why) {
        List<ClusterRun.StepTruth> steps = run.releaseSteps();
        List<ClusterRun.AuditRow> audit = run.releaseAudit();
        StringBuilder line = new StringBuilder();
        long maxLateMs = 0;
        for (ClusterRun.AuditRow a : audit) {
            long late = Duration.between(a.plannedAt(), a.doneAt()).toMillis();
            maxLateMs = Math.max(maxLateMs, late);
            line.append(String.format(" %s@%s+%.1fs(%s)", a.action(), a.plannedAt().toLocalTime(), late / 1000.0,
                    a.node().replaceAll(".*-", "")));
        }
        System.out.printf("releases %s: %d planned, %d audited, latest %.1f s late:%s; open/move job runs by node %s,"
                + " fires run on two nodes %d%n", label, run.releases.size(), audit.size(), maxLateMs / 1000.0, line,
                run.releaseJobRunsByNode(), run.releaseFiresRunTwice());
        assertThat(released).as("every planned release ran: %s%s", steps, why).isTrue();
        assertThat(steps).as("one step per planned release").hasSize(run.releases.size());
        assertThat(audit).as("one audit row per planned release, none twice%s", why).hasSize(run.releases.size());
        for (ClusterRun.PlannedRelease p : run.releases) {
            ClusterRun.StepTruth st = steps.stream()
                    .filter(s -> s.action().equals(p.action()) && s.slotId() == p.slotId()).findFirst().orElseThrow();
            List<ClusterRun.AuditRow> rows = audit.stream()
                    .filter(a -> a.action().equals(p.action()) && a.plannedAt().equals(p.plannedAt())).toList();
            assertThat(rows).as("audit of %s", p).hasSize(1);
            ClusterRun.AuditRow a = rows.get(0);
            assertThat(st.status()).as("%s", p).isEqualTo("DONE");
            assertThat(st.plannedAt()).isEqualTo(p.plannedAt());
            // a fire up to 1 s early acts as of its scheduled time, never before the planned second
            assertThat(a.doneAt()).as("%s ran on time", p).isAfterOrEqualTo(p.plannedAt().minusSeconds(1))
                    .isBeforeOrEqualTo(p.plannedAt().plus(RELEASE_TOLERANCE));
            assertThat(a.followUp()).isFalse();
            assertThat(a.places()).as("places of %s", p).isEqualTo(ClusterRun.RELEASE_PUBLIC);
            assertThat(st.held() + st.booked()).as("nobody books the release department").isZero();
            boolean moved = run.releases.stream()
                    .anyMatch(r -> r.action().equals("MOVE_TO_ONSITE") && r.slotId() == p.slotId());
            if (p.action().equals("OPEN")) {
                assertThat(a.pool()).isEqualTo("PUBLIC");
                assertThat(st.opensAt()).as("opened at the planned time (the actual one if late)")
                        .isAfterOrEqualTo(p.plannedAt()).isBeforeOrEqualTo(a.doneAt().plusSeconds(1));
            } else {
                assertThat(a.pool()).isEqualTo("PUBLIC");
                assertThat(a.targetPool()).isEqualTo("ONSITE");
                assertThat(st.closesAt()).as("the phone pool closed when moved").isBeforeOrEqualTo(a.doneAt());
            }
            if (moved) {
                assertThat(st.capacity()).as("PUBLIC after the move").isZero();
                assertThat(st.onsiteCapacity()).as("walk-ins got the unused places")
                        .isEqualTo(ClusterRun.RELEASE_ONSITE + ClusterRun.RELEASE_PUBLIC);
            } else {
                assertThat(st.capacity()).isEqualTo(ClusterRun.RELEASE_PUBLIC);
                assertThat(st.onsiteCapacity()).isEqualTo(ClusterRun.RELEASE_ONSITE);
                assertThat(st.closesAt()).as("closes at the booking cut-off").isEqualTo(st.slotStartsAt().minusHours(2));
            }
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
