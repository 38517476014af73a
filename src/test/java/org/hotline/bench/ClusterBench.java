package org.hotline.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.HotlineApplication;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.ResidentId;
import org.hotline.cluster.GaleraCluster;
import org.hotline.db.EmbeddedMariaDb;

/**
 * Bookings per second (hold + confirm, all rules) by three gateways at once — three application
 * contexts in this JVM, production profile, each with its own pool — on a single MariaDB, on Galera
 * with every gateway writing to node 1 (one sequential URL), and on Galera with each gateway writing to
 * its own node. On one hot slot and spread over 64 slots; with the conflict retries
 * (hotline_booking_retries_total) and calls that failed after the last retry. Run with
 * {@code bin/bench-cluster [seconds]} (docs/bench.md).
 */
public final class ClusterBench {

    static final int SECONDS = Integer.getInteger("bench.seconds", 10);
    static final int THREADS_PER_GATEWAY = Integer.getInteger("bench.threads", 8);
    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
    static final AtomicLong SEQ = new AtomicLong();
    static final java.util.Map<String, Integer> FAILURES = new java.util.concurrent.ConcurrentHashMap<>();
    /** Comma-separated subset of single, one, all (default: all three). */
    static final String ONLY = System.getProperty("bench.only", "single,one,all");

    public static void main(String[] args) throws Exception {
        List<String> rows = new ArrayList<>();
        if (ONLY.contains("single")) {
            rows.addAll(single());
        }
        if (ONLY.contains("one") || ONLY.contains("all")) {
            try (GaleraCluster galera = GaleraCluster.start(3)) {
                if (ONLY.contains("one")) {
                    String one = galera.sequentialUrl(1);
                    rows.addAll(measure("Galera, writes to one node", List.of(one, one, one), GaleraCluster.USER,
                            GaleraCluster.PASSWORD));
                }
                if (ONLY.contains("all")) {
                    rows.addAll(measure("Galera, writes to all three",
                            List.of(galera.sequentialUrl(1), galera.sequentialUrl(2), galera.sequentialUrl(3)),
                            GaleraCluster.USER, GaleraCluster.PASSWORD));
                }
            }
        }
        System.out.println();
        System.out.printf("%d gateways x %d callers, %d s per measurement, %d cores (shared machine)%n", 3,
                THREADS_PER_GATEWAY, SECONDS, Runtime.getRuntime().availableProcessors());
        System.out.println("| database | slots | bookings/s | retries (1213) | retries per booking | failed calls | oversell |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.exit(0);
    }

    static List<String> single() throws Exception {
        List<String> rows = new ArrayList<>();
        EmbeddedMariaDb single = EmbeddedMariaDb.start(Path.of("target/bench-db/cluster-" + UUID.randomUUID()),
                Path.of("target/mariadb-base"), 0);
        try {
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + single.port() + "/", "root",
                    "")) {
                c.createStatement().execute("CREATE DATABASE hotline CHARACTER SET utf8mb4");
            }
            String url = "jdbc:mariadb://127.0.0.1:" + single.port() + "/hotline";
            rows.addAll(measure("single MariaDB 11.4", List.of(url, url, url), "root", "any-password")); // no grant tables
        } finally {
            single.stop();
        }
        return rows;
    }

    static List<String> measure(String label, List<String> urls, String user, String password) throws Exception {
        List<ConfigurableApplicationContext> gateways = new ArrayList<>();
        try {
            for (String url : urls) {
                gateways.add(gateway(url, user, password)); // the first migrates; the others find it done
            }
            JdbcTemplate jdbc = gateways.get(0).getBean(JdbcTemplate.class);
            long hot = slots(jdbc, 1, 1_000_000).get(0);
            List<Long> spread = slots(jdbc, 64, 100_000);
            List<String> out = new ArrayList<>();
            out.add(run(label, "1 hot slot", gateways, jdbc, List.of(hot)));
            out.add(run(label, "64 slots", gateways, jdbc, spread));
            return out;
        } finally {
            for (ConfigurableApplicationContext g : gateways) {
                g.close();
            }
        }
    }

    static ConfigurableApplicationContext gateway(String url, String user, String password) {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setAdditionalProfiles("production");
        return app.run("--spring.datasource.url=" + url, "--spring.datasource.username=" + user,
                "--spring.datasource.password=" + password, "--hotline.agent.bootstrap-admin.password=Hm2-willow-granite-86",
                "--spring.datasource.hikari.maximum-pool-size=" + (THREADS_PER_GATEWAY + 2),
                "--hotline.booking.id-hash-key=cluster-bench-key-of-enough-length", "--spring.quartz.auto-startup=false",
                "--hotline.sms.enabled=false", "--hotline.agi.enabled=false", "--hotline.sip.enabled=false",
                "--logging.level.root=ERROR", "--logging.level.org.hotline=ERROR");
    }

    static String run(String label, String what, List<ConfigurableApplicationContext> gateways, JdbcTemplate jdbc,
            List<Long> slots) throws Exception {
        double retriesBefore = retries(gateways);
        AtomicLong booked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicBoolean counting = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        int threads = gateways.size() * THREADS_PER_GATEWAY;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch ready = new CountDownLatch(threads);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            BookingService booking = gateways.get(t % gateways.size()).getBean(BookingService.class);
            int thread = t;
            fs.add(pool.submit(() -> {
                ready.countDown();
                int i = 0;
                while (!stop.get()) {
                    long slot = slots.get((thread + i++ * threads) % slots.size());
                    try {
                        BookingOutcome o = booking.book(slot, null, new BookingRequest(0, residentId(), null,
                                List.of(), null, Channel.AGENT, "bench", null));
                        if (o instanceof BookingOutcome.Booked && counting.get()) {
                            booked.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        if (counting.get()) {
                            failed.incrementAndGet();
                            Throwable root = e;
                            while (root.getCause() != null) {
                                root = root.getCause();
                            }
                            String why = e.getClass().getSimpleName() + " / " + String.valueOf(root.getMessage());
                            FAILURES.merge(why.substring(0, Math.min(160, why.length())), 1, Integer::sum);
                        }
                    }
                }
            }));
        }
        ready.await();
        Thread.sleep(2000); // warm-up
        double retriesAtStart = retries(gateways);
        counting.set(true);
        long t0 = System.nanoTime();
        Thread.sleep(SECONDS * 1000L);
        counting.set(false);
        double secs = (System.nanoTime() - t0) / 1e9;
        double retried = retries(gateways) - retriesAtStart;
        stop.set(true);
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        long b = booked.get();
        int oversell = jdbc.queryForObject("SELECT COUNT(*) FROM quota_pool WHERE held + booked > capacity",
                Integer.class);
        String row = String.format("| %s | %s | %.0f | %.0f | %.2f | %d | %d |", label, what, b / secs, retried,
                b == 0 ? 0 : retried / b, failed.get(), oversell);
        System.out.println(row + "   (retries before warm-up " + (long) retriesBefore + ")");
        FAILURES.forEach((why, n) -> System.out.println("    failed " + n + "x: " + why));
        FAILURES.clear();
        return row;
    }

    static double retries(List<ConfigurableApplicationContext> gateways) {
        double sum = 0;
        for (ConfigurableApplicationContext g : gateways) {
            MeterRegistry r = g.getBean(MeterRegistry.class);
            sum += r.find("hotline.booking.retries").counters().stream().mapToDouble(c -> c.count()).sum();
        }
        return sum;
    }

    /** Slots of a new department tomorrow, each with {@code places} PUBLIC places, open now. */
    static List<Long> slots(JdbcTemplate db, int count, int places) {
        LocalDateTime now = LocalDateTime.now(ZONE);
        String code = "BN" + System.nanoTime() % 1_000_000_000;
        db.update("INSERT INTO facility (code, name, kind, sort_order) VALUES (?, ?, 'DISTRICT_HOSPITAL', 1)", code,
                "压测医院" + code);
        long facility = db.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, code);
        db.update("INSERT INTO service (facility_id, code, kind, name, sort_order) VALUES (?, 'B', 'OUTPATIENT', '内科', 1)",
                facility);
        long service = db.queryForObject("SELECT id FROM service WHERE facility_id = ?", Long.class, facility);
        LocalDateTime first = now.toLocalDate().plusDays(2).atTime(8, 0);
        db.update("""
                INSERT INTO clinic_session (service_id, session_date, period, starts_at, ends_at)
                VALUES (?, ?, 'MORNING', ?, ?)""", service, first.toLocalDate(), first, first.plusHours(4));
        long session = db.queryForObject("SELECT id FROM clinic_session WHERE service_id = ?", Long.class, service);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            LocalDateTime start = first.plusMinutes(i);
            db.update("INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
                    session, service, start.toLocalDate(), start, start.plusMinutes(30));
            long slot = db.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class,
                    service, start);
            db.update("""
                    INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, 'PUBLIC', ?, ?, ?)""",
                    slot, places, now.minusHours(1), start.minusHours(2));
            ids.add(slot);
        }
        return ids;
    }

    /** A valid resident ID never used before in this run (birth dates and sequence both vary). */
    static String residentId() {
        long n = SEQ.incrementAndGet();
        LocalDate birth = LocalDate.of(1930, 1, 1).plusDays(n % 25_000);
        String first17 = "110105" + String.format("%04d%02d%02d", birth.getYear(), birth.getMonthValue(),
                birth.getDayOfMonth()) + String.format("%03d", (n / 25_000) % 1000);
        return first17 + ResidentId.checkDigit(first17);
    }
}
