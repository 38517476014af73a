package org.hotline.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.booking.BookingService;
import org.hotline.booking.ResidentId;
import org.hotline.ivr.CallHandler;
import org.hotline.ivr.agi.AgiSettings;
import org.hotline.ivr.agi.AsteriskCall;
import org.hotline.ivr.agi.FastAgiListener;
import org.hotline.ivr.agi.KeypadBookingFlow;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * 100, 500 and 1 000 concurrent FastAGI calls, each a whole keypad booking with the caller's pauses
 * (prompts play, the caller thinks before each answer), against the embedded MariaDB. Prints the
 * server's time per AGI step (from Asterisk's reply to the next command), CPU and heap. Run with
 * {@code bin/bench-agi [time-scale]} (see docs/bench.md).
 */
public final class AgiBench {

    /** 1 = real time; the default plays prompts and pauses 4x faster so a run takes ~2 minutes. */
    static final double SCALE = Double.parseDouble(System.getProperty("bench.scale", "0.25"));
    static final int[] LEVELS = Arrays.stream(System.getProperty("bench.calls", "100,500,1000").split(","))
            .mapToInt(Integer::parseInt).toArray();
    static final Duration PROMPT = Duration.ofSeconds(3);
    static final Duration THINK = Duration.ofSeconds(2);

    public static void main(String[] args) throws Exception {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        // command-line arguments, not default properties: application.yml would override those and the
        // benchmark would run on (and fill) the developer's ./data/mariadb
        String[] settings = {
                "--hotline.db.embedded.data-dir=target/bench-db/" + UUID.randomUUID(),
                "--hotline.db.embedded.base-dir=target/mariadb-base",
                "--hotline.db.embedded.pool-size=40",
                "--hotline.demo-data.enabled=false",
                "--hotline.agi.port=0", "--hotline.sip.enabled=false",
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
        Fixtures fx = new Fixtures(jdbc, new TestClock());
        CallHandler engine = ctx.getBeanProvider(CallHandler.class).getIfAvailable();
        Map<String, Duration> lengths = promptLengths();
        System.out.printf("FastAGI benchmark: %d cores, heap max %d MB, time scale %.2f (prompts as long as their"
                + " WAV (%d of them), caller pause %d s before each answer, both x scale), flow: %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, SCALE,
                lengths.size(), THINK.toSeconds(), engine != null ? "the flow engine (ivr-flows), pressing 1 at every"
                        + " question and keying the ID" : "stand-in keypad booking flow (no flow engine in this build)");
        System.out.println();
        System.out.println("calls | booked | wall s | AGI steps | in server p50 / p99 / max ms | at Asterisk p50 / p99 / max ms"
                + " | prompt steps p50 / p99 ms"
                + " | hold, book steps p50 / p99 ms | JVM CPU s | call threads CPU s | mariadbd CPU s | heap peak MB"
                + " | rejected");
        for (int calls : LEVELS) {
            level(calls, booking, fx, jdbc, engine, lengths);
        }
    }

    static void level(int calls, BookingService booking, Fixtures fx, JdbcTemplate jdbc, CallHandler engine,
            Map<String, Duration> lengths) throws Exception {
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        long dept = fx.outpatientService(hospital);
        List<Long> slots = new ArrayList<>();
        LocalDateTime day = LocalDate.now().plusDays(5).atTime(8, 0);
        // key 1 is the common path: every caller takes the first slot, so it has a place for each of them
        // (one hot pool row), and the stand-in spreads its callers over all slots
        int places = engine != null ? calls : 20;
        for (int i = 0; i < (engine != null ? 2 : (calls + places - 1) / places + 1); i++) {
            slots.add(fx.slot(dept, day.plusMinutes(30L * i), 0, 0, places));
        }
        AtomicInteger next = new AtomicInteger();
        KeypadBookingFlow flow = new KeypadBookingFlow(booking,
                () -> slots.get(Math.floorMod(next.getAndIncrement(), slots.size())), Duration.ofSeconds(10));
        FastAgiListener agi = new FastAgiListener(AgiSettings.defaults().port(0).build(),
                engine != null ? engine : flow);
        long bookingsBefore = jdbc.queryForObject("SELECT COUNT(*) FROM booking", Long.class);
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        agi.bindMetrics(registry);
        agi.start();

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long cpu0 = processCpuNanos();
        long db0 = mariadbCpuTicks();
        AtomicLong heapPeak = new AtomicLong();
        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicLong callThreadCpu = new AtomicLong();
        Map<Long, Long> seen = new java.util.concurrent.ConcurrentHashMap<>();
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                heapPeak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                // CPU of the server's call threads (the callers run in this JVM too)
                for (ThreadInfo ti : threads.getThreadInfo(threads.getAllThreadIds())) {
                    if (ti != null && ti.getThreadName().startsWith("agi-call-")) {
                        long c = threads.getThreadCpuTime(ti.getThreadId());
                        if (c > 0) {
                            seen.put(ti.getThreadId(), c);
                        }
                    }
                }
                sleep(200);
            }
        }, "bench-sampler");
        sampler.setDaemon(true);
        sampler.start();

        ExecutorService callers = Executors.newFixedThreadPool(calls);
        long t0 = System.nanoTime();
        List<Future<AsteriskCall.Transcript>> results = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            String id = residentId(calls, i);
            String phone = String.format("137%08d", calls * 10_000L + i);
            long ramp = (long) (1000.0 * i / calls); // calls arrive over one second
            results.add(callers.submit(() -> {
                sleep(ramp);
                AsteriskCall.Builder b = AsteriskCall.to(agi.port()).callerId(phone)
                        .soundLengths(lengths, PROMPT).thinkTime(THINK).timeScale(SCALE)
                        .readTimeout(Duration.ofMinutes(2));
                return engine != null
                        ? b.answers(q -> q.number() > 40 ? AsteriskCall.HANG_UP : q.maxKeys() == 18 ? id : "1").run()
                        : b.keys("1").keys(id).keys("1").run();
            }));
        }
        List<Long> steps = new ArrayList<>();
        List<Long> dbSteps = new ArrayList<>();
        List<Long> menuSteps = new ArrayList<>();
        int failed = 0;
        for (Future<AsteriskCall.Transcript> f : results) {
            AsteriskCall.Transcript t = f.get(5, TimeUnit.MINUTES);
            if (t.error != null || !t.serverHungUp) {
                failed++;
            }
            for (int i = 1; i < t.commands.size(); i++) {
                steps.add(t.serverNanos.get(i));
                // the stand-in holds after the menu key and books after the confirm key; the engine holds
                // after the time slice is chosen and books after the read-back is confirmed
                String prev = t.commands.get(i - 1);
                if (prev.contains("main_menu") || prev.contains("confirm_menu") || prev.contains("choose_slot")
                        || prev.contains("confirm_booking")) {
                    dbSteps.add(t.serverNanos.get(i));
                } else {
                    menuSteps.add(t.serverNanos.get(i));
                }
            }
        }
        long wall = System.nanoTime() - t0;
        sampling.set(false);
        sampler.join();
        callers.shutdown();
        for (long c : seen.values()) {
            callThreadCpu.addAndGet(c);
        }
        long cpu = processCpuNanos() - cpu0;
        long dbTicks = mariadbCpuTicks() - db0;
        long booked = jdbc.queryForObject("SELECT COUNT(*) FROM booking", Long.class) - bookingsBefore;
        long held = jdbc.queryForObject(
                "SELECT COALESCE(SUM(held),0) FROM quota_pool", Long.class);
        agi.stop();
        // this level's places are no longer offered: the next level's callers start on their own slots
        jdbc.update("UPDATE quota_pool q JOIN slot s ON s.id = q.slot_id SET q.closes_at = q.opens_at"
                + " WHERE s.service_id = ?", dept);
        var snap = registry.get("hotline.agi.step").timer().takeSnapshot();
        double serverP50 = snap.percentileValues()[0].value(TimeUnit.MILLISECONDS);
        double serverP99 = snap.percentileValues()[1].value(TimeUnit.MILLISECONDS);
        double serverMax = snap.max(TimeUnit.MILLISECONDS);
        System.out.printf("%5d | %6d | %6.1f | %9d | %.2f / %.1f / %.1f | %.2f / %.1f / %.1f | %.2f / %.1f | %.1f / %.1f"
                + " | %.1f | %.1f | %s | %d | %d%s%n", calls, booked, wall / 1e9, steps.size(), serverP50, serverP99,
                serverMax, pct(steps, 50), pct(steps, 99), pct(steps, 100),
                pct(menuSteps, 50), pct(menuSteps, 99), pct(dbSteps, 50), pct(dbSteps, 99), cpu / 1e9, callThreadCpu.get() / 1e9,
                dbTicks < 0 ? "?" : String.format("%.1f", dbTicks / 100.0), heapPeak.get() >> 20, agi.rejectedCalls(),
                (failed > 0 ? "  (" + failed + " calls did not finish)" : "")
                        + (held != 0 ? "  (" + held + " places still held!)" : ""));
    }

    /** Each prompt as long as its WAV in prompts/zh-CN (8 kHz 16-bit mono: 16 000 bytes a second). */
    static Map<String, Duration> promptLengths() throws java.io.IOException {
        Map<String, Duration> m = new java.util.HashMap<>();
        Path dir = Path.of("prompts/zh-CN");
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                files.filter(f -> f.toString().endsWith(".wav")).forEach(f -> {
                    try {
                        String id = f.getFileName().toString().replaceFirst("\\.wav$", "");
                        m.put("hotline/zh-CN/" + id, Duration.ofMillis((Files.size(f) - 44) / 16));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
        }
        return m;
    }

    static String residentId(int level, int i) {
        LocalDate birth = LocalDate.of(1940, 1, 1).plusDays(i % 9000);
        String first17 = "110105" + String.format("%04d%02d%02d", birth.getYear(), birth.getMonthValue(),
                birth.getDayOfMonth()) + String.format("%03d", (level / 100 + i / 9000) % 1000);
        return (first17 + ResidentId.checkDigit(first17)).replace('X', '*');
    }

    static double pct(List<Long> nanos, int p) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        long[] a = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        int idx = Math.min(a.length - 1, (int) Math.ceil(p / 100.0 * a.length) - 1);
        return a[Math.max(0, idx)] / 1e6;
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** utime + stime of the embedded mariadbd, in clock ticks (1/100 s), or -1. */
    static long mariadbCpuTicks() {
        // the embedded server is a child of this JVM
        return ProcessHandle.current().descendants()
                .filter(p -> Files.exists(Path.of("/proc/" + p.pid() + "/stat")))
                .filter(p -> p.info().command().map(c -> c.endsWith("mariadbd")).orElse(true))
                .mapToLong(p -> {
                    try {
                        String[] f = Files.readString(Path.of("/proc/" + p.pid() + "/stat")).replaceAll(".*\\) ", "")
                                .split(" ");
                        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    } catch (Exception e) {
                        return -1;
                    }
                }).findFirst().orElse(-1);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
