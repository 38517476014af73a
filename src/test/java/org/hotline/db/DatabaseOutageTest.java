package org.hotline.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;

import org.hotline.handoff.TransferLog;
import org.hotline.ivr.agi.AsteriskCall;
import org.hotline.ivr.agi.FastAgiListener;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;
import org.hotline.testsupport.TestSupportConfig;

/**
 * kill -9 of the service's own mariadbd while fifty callers are in the voice menu over FastAGI (Asterisk's
 * wire, {@link AsteriskCall}), with Asterisk's dialplan as sip-config/extensions.conf has it: the gateway
 * node, and when it leaves {@code HOTLINE_NEXT} empty (it refused the call, or dropped it) the fallback
 * {@code Set(HOTLINE_NEXT=AGENT)} to the queue. Every caller must end with their booking or a person; none
 * hung up on. Meanwhile readiness must read DOWN within 5 s and new calls must not be taken; the service
 * restarts mariadbd, turns back UP, writes the transfer records it kept, and books again.
 */
@org.junit.jupiter.api.Tag("cluster") // alone, after the rest (pom.xml: several processes and databases each)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "hotline.demo-data.enabled=false",
        // a person answers at any hour: a caller sent to one is queued, not offered a call-back
        "hotline.ivr.agent-hours-open=00:00", "hotline.ivr.agent-hours-close=23:59:59",
        "logging.level.org.hotline.db=INFO", "logging.level.org.hotline.handoff.TransferLog=INFO"})
@ActiveProfiles("test")
@Import(TestSupportConfig.class)
@DirtiesContext
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class DatabaseOutageTest {

    private static final Logger log = LoggerFactory.getLogger(DatabaseOutageTest.class);
    static final int CALLERS = 50;

    @Autowired FastAgiListener agi;
    @Autowired EmbeddedMariaDb db;
    @Autowired DatabaseWatch watch;
    @Autowired TransferLog transfers;
    @Autowired JdbcTemplate jdbc;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired Environment env;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** How one call ended for the caller, through the dialplan. */
    record Outcome(String kind, AsteriskCall.Transcript transcript) {
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void killingMariadbDuringFiftyCallsLeavesEveryCallerWithAPersonOrTheirBooking() throws Exception {
        // the database stays away until this test starts it again (the service would restart it in ~2 s)
        db.stopRestarting();
        long slot = ensureSlot();
        assertThat(readiness()).isEqualTo(200);

        ExecutorService lines = Executors.newFixedThreadPool(CALLERS + 5);
        List<CompletableFuture<Outcome>> calls = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < CALLERS; i++) {
            String id = Fixtures.residentIdAged(30 + i % 40);
            String phone = Fixtures.mobile();
            long arrive = 3000L * i / CALLERS;
            calls.add(CompletableFuture.supplyAsync(() -> {
                sleep(arrive);
                return dial(phone, id);
            }, lines));
        }
        // mid-way: some callers have booked, most are somewhere in the menu
        sleep(13_000 - (System.nanoTime() - start) / 1_000_000);
        long killedAt = killMariadbd();
        try {
            outage(killedAt, calls, lines, slot);
        } finally {
            if (!db.listening()) {
                try {
                    db.start();
                } catch (Exception e) {
                    log.warn("mariadbd not started again: {}", e.toString());
                }
            }
            db.restartWhenDead();
        }
    }

    void outage(long killedAt, List<CompletableFuture<Outcome>> calls, ExecutorService lines, long slot)
            throws Exception {
        long downMs = awaitReadiness(503, killedAt, Duration.ofSeconds(30));
        log.info("readiness DOWN {} ms after kill -9 of mariadbd", downMs);
        assertThat(downMs).as("readiness DOWN after the kill (ms)").isBetween(0L, 5000L);
        long watchMs = awaitWatch(false, killedAt, Duration.ofSeconds(10));
        log.info("database watcher says away {} ms after kill -9 of mariadbd", watchMs);
        assertThat(watchMs).as("watcher: database away after the kill (ms)").isBetween(0L, 5000L);

        // a caller arriving now is not taken: not one prompt, HOTLINE_NEXT empty, so the dialplan goes on
        AsteriskCall.Transcript late = AsteriskCall.to(agi.port()).callerId(Fixtures.mobile()).repositoryPrompts()
                .answers(q -> "1").readTimeout(Duration.ofSeconds(10)).run();
        assertThat(late.connected).isTrue();
        assertThat(late.sounds).as("no welcome, then silence: " + late).isEmpty();
        assertThat(late.variable("HOTLINE_NEXT")).isNull();
        assertThat(agi.notTakenCalls()).isPositive();
        assertThat(dialplan(late, "")).isEqualTo("queued by the dialplan");

        Map<String, Integer> kinds = new TreeMap<>();
        List<Outcome> outcomes = new ArrayList<>();
        for (CompletableFuture<Outcome> c : calls) {
            Outcome o = c.get(120, TimeUnit.SECONDS);
            outcomes.add(o);
            kinds.merge(o.kind().replaceAll(" [0-9]+$", ""), 1, Integer::sum);
        }
        lines.shutdown();
        log.info("outcomes of {} callers: {}", CALLERS, kinds);
        for (Outcome o : outcomes) {
            assertThat(o.kind()).as("every caller ends with a booking or a person: " + o.transcript())
                    .matches("booked [0-9]{6}|person|queued by the dialplan");
            if (!o.kind().startsWith("booked")) {
                assertThat(o.transcript().commands).as("never hung up on").noneMatch(c -> c.startsWith("HANGUP"));
            } else if (o.transcript().commands.contains("HANGUP")) {
                assertThat(o.transcript().sounds).as("hung up only after goodbye").contains("hotline/zh-CN/goodbye");
            }
        }
        assertThat(kinds.getOrDefault("person", 0)).as("callers handed to a person by the gateway " + kinds)
                .isPositive();
        // nobody waited out the pool's 10 s connection timeout in silence: a step waiting for a connection when
        // the database went is woken as soon as the watcher sees it away
        long longestSilenceMs = outcomes.stream().flatMap(o -> o.transcript().serverNanos.stream())
                .mapToLong(n -> n / 1_000_000).max().orElse(0);
        log.info("longest server silence on any call: {} ms", longestSilenceMs);
        assertThat(longestSilenceMs).as("longest wait for the gateway's next command (ms)").isLessThan(5000);

        long awayMs = (System.nanoTime() - killedAt) / 1_000_000;
        db.start();
        long upMs = awaitReadiness(200, killedAt, Duration.ofSeconds(90));
        log.info("readiness UP again {} ms after the kill ({} ms after mariadbd was started again)", upMs,
                upMs - awayMs);
        assertThat(upMs).isPositive();
        assertThat(watch.reachable()).isTrue();

        // the records the gateway kept while the database was away are written once it is back
        // (of the calls handed to a person: since issue 16 a caller's transfer id is set as soon as their age is
        // known, so that a node dying later still queues them at their priority; a caller who then booked was
        // never transferred and has no record)
        List<String> transferIds = outcomes.stream().filter(o -> !o.kind().startsWith("booked"))
                .map(o -> o.transcript().variable("HOTLINE_TRANSFER_ID")).filter(t -> t != null && !t.isEmpty())
                .toList();
        assertThat(transferIds).isNotEmpty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (missing(transferIds) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(missing(transferIds)).as("transfer records missing after the database came back").isZero();
        assertThat(transfers.writtenLaterCount()).as("records kept in memory and written later").isPositive();
        assertThat(transfers.deferredCount()).isZero();

        // every code a caller heard exists
        for (Outcome o : outcomes) {
            if (o.kind().startsWith("booked ")) {
                String code = o.kind().substring("booked ".length());
                assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE code = ?", Integer.class, code))
                        .as("booking " + code + " heard by a caller").isEqualTo(1);
            }
        }
        // and the service books again
        Outcome after = dial(Fixtures.mobile(), Fixtures.residentIdAged(45));
        assertThat(after.kind()).as(after.transcript().toString()).startsWith("booked ");
        log.info("booking again {} ms after the kill", (System.nanoTime() - killedAt) / 1_000_000);
        assertThat(fx.counts(slot, "PUBLIC")[2]).isPositive();
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void aKilledMariadbIsStartedAgainByTheServiceWhichBooksAgain() throws Exception {
        ensureSlot();
        int before = db.restarts();
        long killedAt = killMariadbd();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (db.restarts() == before && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long restartedMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertThat(db.restarts()).as("mariadbd started again by the service").isEqualTo(before + 1);
        long upMs = awaitReadiness(200, killedAt, Duration.ofSeconds(60));
        Outcome again = dial(Fixtures.mobile(), Fixtures.residentIdAged(52));
        long bookedMs = (System.nanoTime() - killedAt) / 1_000_000;
        log.info("after kill -9 of mariadbd: restarted by the service in {} ms, readiness UP at {} ms, a caller "
                + "booked at {} ms", restartedMs, upMs, bookedMs);
        assertThat(again.kind()).as(again.transcript().toString()).startsWith("booked ");
        assertThat(watch.reachable()).isTrue();
    }

    static Long slot;

    /** The one hospital, department and slot (200 phone places) the callers book. */
    long ensureSlot() {
        if (slot == null) {
            long hospital = fx.facility("DISTRICT_HOSPITAL");
            long dept = fx.outpatientService(hospital);
            LocalDateTime at = LocalDateTime.now(org.hotline.TimeConfig.ZONE).plusDays(2).withHour(9).withMinute(0)
                    .withSecond(0).withNano(0);
            slot = fx.slot(dept, at, 0, 0, 200);
        }
        return slot;
    }

    private int missing(List<String> transferIds) {
        int n = 0;
        for (String t : transferIds) {
            if (jdbc.queryForObject("SELECT COUNT(*) FROM call_transfer WHERE transfer_id = ?", Integer.class, t) == 0) {
                n++;
            }
        }
        return n;
    }

    /** One caller booking by keypad: 1 at every list (one hospital, department, date, slot), the ID, yes. */
    Outcome dial(String phone, String id) {
        Function<AsteriskCall.Question, String> caller = q -> {
            if (q.prompts().stream().anyMatch(p -> p.startsWith("refusal_")) || q.heard("no_places")
                    || q.heard("way_on") || q.heard("full_everywhere")) {
                return AsteriskCall.HANG_UP;
            }
            if (q.heard("ask_own_id")) {
                return id.replace('X', '*');
            }
            if (q.heard("returning_again")) {
                return "2";
            }
            return q.number() > 20 ? AsteriskCall.HANG_UP : "1";
        };
        AsteriskCall.Transcript t = AsteriskCall.to(agi.port()).callerId(phone).repositoryPrompts()
                .soundLengths(Map.of(), Duration.ofMillis(150)).thinkTime(Duration.ofMillis(250)).timeScale(1.0)
                .readTimeout(Duration.ofSeconds(60)).answers(caller).run();
        return new Outcome(dialplan(t, t.heardCode()), t);
    }

    /**
     * extensions.conf after AGI(): HOTLINE_NEXT=AGENT → the queue; empty (refused or dropped: every node
     * tried) → Set(HOTLINE_NEXT=AGENT) → the queue; HANGUP → the call ends (fine only after a booking).
     */
    static String dialplan(AsteriskCall.Transcript t, String code) {
        String next = t.variable("HOTLINE_NEXT");
        if (!code.isEmpty()) {
            return "booked " + code;
        }
        if ("AGENT".equals(next)) {
            return "person";
        }
        if (next == null && !t.callerHungUp && !t.serverHungUp && t.sounds.isEmpty()) {
            return "queued by the dialplan";
        }
        return "hung up (HOTLINE_NEXT=" + next + ", sounds " + t.sounds.size() + ")";
    }

    /** kill -9 of this context's mariadbd (found by its data dir); returns System.nanoTime() of the kill. */
    long killMariadbd() throws Exception {
        String datadir = "--datadir=" + db.dataDir().getPath();
        ProcessHandle victim = ProcessHandle.current().descendants().filter(p -> {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                        StandardCharsets.UTF_8).replace('\0', ' ');
                return cmd.contains("mariadbd") && cmd.contains(datadir);
            } catch (java.io.IOException e) {
                return false;
            }
        }).findFirst().orElseThrow(() -> new AssertionError("no mariadbd with " + datadir));
        new ProcessBuilder("kill", "-9", Long.toString(victim.pid())).inheritIO().start().waitFor();
        long at = System.nanoTime();
        victim.onExit().get(10, TimeUnit.SECONDS);
        log.info("killed mariadbd pid {}", victim.pid());
        return at;
    }

    int readiness() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + env.getProperty("local.server.port")
                    + "/actuator/health/readiness")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Polls readiness until it answers {@code status}; ms since {@code since} (System.nanoTime()). */
    long awaitReadiness(int status, long since, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (readiness() == status) {
                return (System.nanoTime() - since) / 1_000_000;
            }
            Thread.sleep(100);
        }
        return -1;
    }

    long awaitWatch(boolean reachable, long since, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (watch.reachable() == reachable) {
                return (System.nanoTime() - since) / 1_000_000;
            }
            Thread.sleep(20);
        }
        return -1;
    }

    static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
