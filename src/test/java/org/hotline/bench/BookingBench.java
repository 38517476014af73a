package org.hotline.bench;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.ResidentId;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * Booking throughput on the embedded MariaDB: the raw single-row UPDATE + COMMIT rate, then
 * hold + confirm with 1, 8 and 64 callers on one hot slot and on spread slots, then an oversell
 * check. Run with {@code bin/bench} (see docs/bench.md). Seconds per measurement: -Dbench.seconds (5).
 */
public final class BookingBench {

    static final int SECONDS = Integer.getInteger("bench.seconds", 5);
    static final AtomicLong ID_SEQ = new AtomicLong();

    public static void main(String[] args) throws Exception {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        // command-line arguments, not default properties: application.yml would override those and the
        // benchmark would run on (and fill) the developer's ./data/mariadb
        String[] settings = {
                "--hotline.db.embedded.data-dir=target/bench-db/" + UUID.randomUUID(),
                "--hotline.db.embedded.base-dir=target/mariadb-base",
                "--hotline.db.embedded.pool-size=80",
                "--hotline.demo-data.enabled=false", "--hotline.sip.enabled=false",
                "--logging.level.root=WARN",
                "--logging.level.org.hotline=WARN",
                "--spring.quartz.auto-startup=false"};
        try (ConfigurableApplicationContext ctx = app.run(settings)) {
            run(ctx);
        }
        System.exit(0);
    }

    static void run(ConfigurableApplicationContext ctx) throws Exception {
        JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
        BookingService booking = ctx.getBean(BookingService.class);
        TestClock clock = new TestClock();
        Fixtures fx = new Fixtures(jdbc, clock);
        System.out.printf("MariaDB %s, %d s per measurement, %d cores%n",
                jdbc.queryForObject("SELECT VERSION()", String.class), SECONDS,
                Runtime.getRuntime().availableProcessors());

        jdbc.execute("CREATE TABLE IF NOT EXISTS bench_counter (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB");
        for (int i = 0; i < 64; i++) {
            jdbc.update("INSERT IGNORE INTO bench_counter VALUES (?, 0)", i);
        }
        System.out.println();
        System.out.println("raw single-row UPDATE; COMMIT (autocommit)");
        double raw1 = measure(1, t -> jdbc.update("UPDATE bench_counter SET n = n + 1 WHERE id = 0"));
        double raw64hot = measure(64, t -> jdbc.update("UPDATE bench_counter SET n = n + 1 WHERE id = 0"));
        double raw64spread = measure(64, t -> jdbc.update("UPDATE bench_counter SET n = n + 1 WHERE id = ?", t));
        var tx = ctx.getBean(org.springframework.transaction.support.TransactionTemplate.class);
        double rawTx1 = measure(1, t -> tx.executeWithoutResult(st -> jdbc.update(
                "UPDATE bench_counter SET n = n + 1 WHERE id = 0")));
        double rawTx64 = measure(64, t -> tx.executeWithoutResult(st -> jdbc.update(
                "UPDATE bench_counter SET n = n + 1 WHERE id = 0")));
        System.out.printf("  1 thread            %8.0f /s%n", raw1);
        System.out.printf("  64 threads, one row %8.0f /s%n", raw64hot);
        System.out.printf("  64 threads, 64 rows %8.0f /s%n", raw64spread);
        System.out.printf("  as a Spring transaction (begin, UPDATE, COMMIT): 1 thread %.0f /s, 64 threads one row %.0f /s%n",
                rawTx1, rawTx64);

        long facility = fx.facility("DISTRICT_HOSPITAL");
        LocalDateTime base = LocalDateTime.now(clock).plusDays(2).withHour(8).withMinute(0).withSecond(0).withNano(0);
        System.out.println();
        System.out.println("bookings (hold + confirm) per second");
        double hot64 = 0;
        for (int callers : new int[] {1, 8, 64}) {
            long hotService = fx.outpatientService(facility);
            long hotSlot = fx.slot(hotService, base, 0, 0, 10_000_000);
            double hot = measure(callers, t -> book(booking, hotSlot));
            long spreadService = fx.outpatientService(facility);
            List<Long> slots = new ArrayList<>();
            for (int k = 0; k < 256; k++) {
                slots.add(fx.slot(spreadService, base.plusDays(k / 16).plusMinutes(30L * (k % 16)), 0, 0, 10_000_000));
            }
            AtomicLong rr = new AtomicLong();
            double spread = measure(callers, t -> book(booking, slots.get((int) (rr.incrementAndGet() % slots.size()))));
            System.out.printf("  %2d callers: hot slot %7.0f /s   spread over 256 slots %7.0f /s%n", callers, hot,
                    spread);
            if (callers == 64) {
                hot64 = hot;
            }
        }
        System.out.printf("  hot slot at 64 callers = %.0f %% of raw 1-thread autocommit rate, %.0f %% of raw 64-thread"
                + " one-row autocommit rate, %.0f %% of the 64-thread one-row transaction rate%n",
                100 * hot64 / raw1, 100 * hot64 / raw64hot, 100 * hot64 / rawTx64);

        // what one booking costs in statements (the server's own counters, one caller, 500 bookings)
        long perService = fx.outpatientService(facility);
        long perSlot = fx.slot(perService, base, 0, 0, 10_000_000);
        for (int i = 0; i < 50; i++) {
            book(booking, perSlot); // warm
        }
        java.util.Map<String, Long> before = serverCounters(jdbc);
        int n = 500;
        for (int i = 0; i < n; i++) {
            book(booking, perSlot);
        }
        java.util.Map<String, Long> after = serverCounters(jdbc);
        StringBuilder line = new StringBuilder();
        for (String k : before.keySet()) {
            line.append(String.format(" %s %.1f", k.replace("Com_", "").toLowerCase(java.util.Locale.ROOT),
                    (after.get(k) - before.get(k) - (k.equals("Questions") ? 1 : 0)) / (double) n));
        }
        System.out.println("  statements per booking (server counters, 1 caller):" + line);
        if (Boolean.getBoolean("bench.trace")) { // bin/bench with -Dbench.trace=true: the statements of one booking
            java.nio.file.Path log = java.nio.file.Path.of("target/bench-trace.log").toAbsolutePath();
            java.nio.file.Files.deleteIfExists(log);
            jdbc.execute("SET GLOBAL general_log_file = '" + log + "'");
            jdbc.execute("SET GLOBAL general_log = ON");
            book(booking, perSlot);
            jdbc.execute("SET GLOBAL general_log = OFF");
            System.out.println(java.nio.file.Files.readString(log));
        }

        // oversell: 64 callers hammer a slot with 500 places for the whole measurement
        long s = fx.outpatientService(facility);
        long slot = fx.slot(s, base, 0, 0, 500);
        measure(64, t -> book(booking, slot));
        int[] c = fx.counts(slot, "PUBLIC");
        int rows = jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE slot_id = ? AND status = 'ACTIVE'",
                Integer.class, slot);
        System.out.println();
        System.out.printf("oversell check: capacity %d, booked %d, held %d, booking rows %d -> oversell %d%n", c[0],
                c[2], c[1], rows, Math.max(0, rows - c[0]));
    }

    /** The server's statement counters (Questions counts every statement a client sent). */
    static java.util.Map<String, Long> serverCounters(JdbcTemplate jdbc) {
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (String k : List.of("Questions", "Com_select", "Com_insert", "Com_update", "Com_delete", "Com_call_procedure",
                "Com_commit", "Com_begin")) {
            m.put(k, 0L);
        }
        jdbc.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', 'Com_insert', 'Com_update',"
                + " 'Com_delete', 'Com_call_procedure', 'Com_commit', 'Com_begin')", rs -> {
                    m.put(rs.getString(1), rs.getLong(2));
                });
        return m;
    }

    static void book(BookingService booking, long slot) {
        String id = uniqueId();
        BookingOutcome out = booking.book(slot, null,
                new BookingRequest(0, id, null, List.of(), null, Channel.PHONE_MENU, "bench", null));
        if (out instanceof BookingOutcome.Refused r && r.reason() != org.hotline.booking.Refusal.FULL) {
            throw new IllegalStateException("unexpected refusal " + r.reason());
        }
    }

    /** Distinct valid IDs: the per-patient limits must not interfere with the measurement. */
    static String uniqueId() {
        long n = ID_SEQ.incrementAndGet();
        String first17 = String.format("%06d", 110000 + n / 1000 % 800000) + "19500101"
                + String.format("%03d", n % 1000);
        return first17 + ResidentId.checkDigit(first17);
    }

    interface Op {
        void run(int thread) throws Exception;
    }

    /** Runs op on n threads for SECONDS after a one-second warm-up; returns operations per second. */
    static double measure(int n, Op op) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        AtomicBoolean counting = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong ops = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(n);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int t = i;
            fs.add(pool.submit(() -> {
                ready.countDown();
                while (!stop.get()) {
                    op.run(t);
                    if (counting.get()) {
                        ops.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        ready.await();
        Thread.sleep(1000);
        counting.set(true);
        long t0 = System.nanoTime();
        Thread.sleep(SECONDS * 1000L);
        counting.set(false);
        long t1 = System.nanoTime();
        stop.set(true);
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        return ops.get() / ((t1 - t0) / 1e9);
    }
}
