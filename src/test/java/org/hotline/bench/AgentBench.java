package org.hotline.bench;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.agent.ConsoleClient;
import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.ResidentId;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * The agent console over real HTTP (form login, CSRF, audit) on the embedded MariaDB: logins per
 * second (bcrypt), agents polling the transfer list, and bookings through {@code POST /api/bookings}
 * next to {@code BookingService.book} called directly. Run with {@code bin/bench-agent} (docs/bench.md).
 */
public final class AgentBench {

    static final int SECONDS = Integer.getInteger("bench.seconds", 5);
    static final String PASSWORD = "bench-password-1";
    static final AtomicLong PATIENT = new AtomicLong();

    public static void main(String[] args) throws Exception {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        String[] settings = {
                "--hotline.db.embedded.data-dir=target/bench-db/" + UUID.randomUUID(),
                "--hotline.db.embedded.base-dir=target/mariadb-base",
                "--hotline.db.embedded.pool-size=80",
                "--hotline.demo-data.enabled=false",
                "--server.port=0",
                // no phone calls here; the FastAGI listener's fixed port may be taken by another run
                "--hotline.agi.enabled=false",
                "--server.tomcat.threads.max=200",
                "--logging.level.root=WARN",
                "--logging.level.org.hotline=WARN",
                // the driver logs each duplicate booking code the core then draws again (about 1 % here)
                "--logging.level.org.mariadb.jdbc.message.server=ERROR",
                "--spring.quartz.auto-startup=false"};
        try (ConfigurableApplicationContext ctx = app.run(settings)) {
            run(ctx);
        }
        System.exit(0);
    }

    static void run(ConfigurableApplicationContext ctx) throws Exception {
        int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
        JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
        TestClock clock = new TestClock();
        Fixtures fx = new Fixtures(jdbc, clock);
        ConsoleUsers users = ctx.getBean(ConsoleUsers.class);
        TransferLog transfers = ctx.getBean(TransferLog.class);
        BookingService booking = ctx.getBean(BookingService.class);
        System.out.printf("MariaDB %s, %d s per measurement, %d cores, HTTP on 127.0.0.1:%d%n",
                jdbc.queryForObject("SELECT VERSION()", String.class), SECONDS,
                Runtime.getRuntime().availableProcessors(), port);

        List<String> agents = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String name = "bench-agent-" + i;
            users.create(null, name, PASSWORD, name, ConsoleRole.AGENT, null);
            agents.add(name);
        }
        for (int i = 0; i < 300; i++) {
            Map<String, String> choices = new java.util.LinkedHashMap<>();
            choices.put("医院", "朝阳区第一人民医院");
            choices.put("科室", "内科");
            String caller = Fixtures.mobile();
            transfers.record(new TransferContext("b-" + UUID.randomUUID(), "call-" + i, caller,
                    PhoneNumber.mask(caller), null, 80, TransferReason.ASKED_FOR_PERSON, "outpatient", "choose_date",
                    choices, 5, clock.now().minusMinutes(i)));
        }
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        LocalDateTime first = clock.now().plusDays(2).withHour(8).withMinute(0).withSecond(0).withNano(0);
        long[] slots = new long[256];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = fx.slot(dept, first.plusMinutes(30L * (i % 16)).plusDays(i / 16), 0, 0, 1000);
        }

        System.out.println();
        System.out.println("form login (bcrypt check + session + console page)");
        row("login", 1, measure(1, t -> new ConsoleClient(port).loggedIn(agents.get(t), PASSWORD)));
        row("login", 4, measure(4, t -> new ConsoleClient(port).loggedIn(agents.get(t), PASSWORD)));

        System.out.println();
        System.out.println("GET /api/transfers (300 transfers in the window), each thread one logged-in agent");
        for (int n : new int[] {1, 16, 64}) {
            ConsoleClient[] clients = clients(port, agents, n);
            row("poll transfers", n, measure(n, t -> expect(clients[t].get("/api/transfers"), 200)));
        }

        System.out.println();
        System.out.println("booking: POST /api/bookings (security, CSRF, audit row in the booking transaction)"
                + " vs BookingService.book directly; 256 slots");
        for (int n : new int[] {1, 8, 32}) {
            ConsoleClient[] clients = clients(port, agents, n);
            row("POST /api/bookings", n, measure(n, t -> {
                Map<String, Object> body = new HashMap<>();
                body.put("slotId", slots[ThreadLocalRandom.current().nextInt(slots.length)]);
                body.put("residentId", nextPatient());
                body.put("smsPhone", Fixtures.mobile());
                expect(clients[t].post("/api/bookings", body), 200);
            }));
            row("BookingService.book", n, measure(n, t -> {
                BookingOutcome out = booking.book(slots[ThreadLocalRandom.current().nextInt(slots.length)], null,
                        new BookingRequest(0, nextPatient(), Fixtures.mobile(), List.of(), null, Channel.AGENT,
                                "bench", null));
                if (!(out instanceof BookingOutcome.Booked)) {
                    throw new IllegalStateException(out.toString());
                }
            }));
        }
        int bookings = jdbc.queryForObject("SELECT COUNT(*) FROM booking", Integer.class);
        int audited = jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'BOOK' AND outcome = 'OK'",
                Integer.class);
        int viaBench = jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE actor = 'bench'", Integer.class);
        System.out.printf("%nbookings %d (console %d, direct %d); audit rows for console bookings %d%n", bookings,
                bookings - viaBench, viaBench, audited);
    }

    interface Task {
        void run(int thread) throws Exception;
    }

    record Result(double perSecond, double p50ms, double p99ms, long errors) {
    }

    static ConsoleClient[] clients(int port, List<String> agents, int n) {
        ConsoleClient[] c = new ConsoleClient[n];
        for (int i = 0; i < n; i++) {
            c[i] = new ConsoleClient(port).loggedIn(agents.get(i), PASSWORD);
        }
        return c;
    }

    static void expect(ConsoleClient.Answer a, int status) {
        if (a.status() != status) {
            throw new IllegalStateException(a.status() + " " + a.body());
        }
    }

    /** A fresh valid resident ID each call: births spread over days so the sequence part never repeats a person. */
    static String nextPatient() {
        long n = PATIENT.incrementAndGet();
        LocalDate birth = LocalDate.of(1940, 1, 1).plusDays(n / 1000);
        String first17 = "110105" + String.format("%04d%02d%02d", birth.getYear(), birth.getMonthValue(),
                birth.getDayOfMonth()) + String.format("%03d", n % 1000);
        return first17 + ResidentId.checkDigit(first17);
    }

    static Result measure(int threads, Task task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicBoolean counting = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong errors = new AtomicLong();
        List<Future<List<Long>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                List<Long> nanos = new ArrayList<>();
                while (!stop.get()) {
                    long s = System.nanoTime();
                    try {
                        task.run(thread);
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    if (counting.get()) {
                        nanos.add(System.nanoTime() - s);
                    }
                }
                return nanos;
            }));
        }
        Thread.sleep(1000);
        counting.set(true);
        long start = System.nanoTime();
        Thread.sleep(SECONDS * 1000L);
        counting.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        List<Long> all = new ArrayList<>();
        for (Future<List<Long>> f : futures) {
            all.addAll(f.get());
        }
        pool.shutdown();
        long[] sorted = all.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        double p50 = sorted.length == 0 ? 0 : sorted[sorted.length / 2] / 1e6;
        double p99 = sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6;
        return new Result(sorted.length / elapsed, p50, p99, errors.get());
    }

    static void row(String what, int threads, Result r) {
        System.out.printf("  %-22s %3d threads: %8.1f /s   p50 %7.1f ms   p99 %7.1f ms   errors %d%n", what, threads,
                r.perSecond(), r.p50ms(), r.p99ms(), r.errors());
    }
}
