package org.hotline.bench;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.TimeConfig;
import org.hotline.release.QuotaRelease;
import org.hotline.release.ReleaseScope;
import org.hotline.release.ScheduleGenerator;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * Release timing on a fresh embedded MariaDB, with the real clustered Quartz scheduler: generate
 * 10 000 slots (10 district hospitals × 10 departments × 100 six-minute slots on one day), plan their
 * PUBLIC opening a few seconds ahead, and measure from the Quartz fire to the moment every pool is open
 * (the run's own log, and a client polling the pools). Then the COMMUNITY → PUBLIC move of the same
 * 10 000 slots, by hand. Run with {@code bin/bench-release} (see docs/bench.md).
 */
public final class ReleaseBench {

    public static void main(String[] args) throws Exception {
        int hospitals = Integer.getInteger("bench.hospitals", 10);
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        try (ConfigurableApplicationContext ctx = app.run(
                "--hotline.db.embedded.data-dir=target/bench-release-db/" + UUID.randomUUID(),
                "--hotline.db.embedded.base-dir=target/mariadb-base", "--hotline.demo-data.enabled=false", "--hotline.sip.enabled=false",
                "--logging.level.root=WARN", "--hotline.release.cron.open=* * * * * ?",
                "--hotline.release.cron.move=0 0 0 1 1 ? 2099")) {
            run(ctx, hospitals);
        }
        System.exit(0);
    }

    static void run(ConfigurableApplicationContext ctx, int hospitals) throws Exception {
        JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
        ScheduleGenerator generator = ctx.getBean(ScheduleGenerator.class);
        Fixtures fx = new Fixtures(jdbc, new TestClock());
        System.out.printf("MariaDB %s, %d cores%n", jdbc.queryForObject("SELECT VERSION()", String.class),
                Runtime.getRuntime().availableProcessors());

        // 20 days ahead: neither pool of the day is due yet (COMMUNITY opens 14 days ahead)
        LocalDate day = LocalDate.now(TimeConfig.ZONE).plusDays(20);
        Long[] facilities = new Long[hospitals];
        for (int h = 0; h < hospitals; h++) {
            facilities[h] = fx.facility("DISTRICT_HOSPITAL");
            for (int s = 0; s < 10; s++) {
                long service = fx.outpatientService(facilities[h]);
                generator.saveTemplate(new ScheduleGenerator.WeeklyTemplate(service, day.getDayOfWeek(), "MORNING",
                        LocalTime.of(8, 0), LocalTime.of(18, 0), 6, 2, 4, 4));
            }
        }
        long t0 = System.nanoTime();
        int slots = generator.generate(day, 1, ReleaseScope.facilities(facilities));
        System.out.printf("generated %d slots (%d pools, %d release steps) in %.1f s%n", slots, slots * 3,
                jdbc.queryForObject("SELECT COUNT(*) FROM release_step", Integer.class), secs(t0));

        // the planned opening of every PUBLIC pool, a few seconds from now on the real clock
        LocalDateTime planned = LocalDateTime.now(TimeConfig.ZONE).truncatedTo(ChronoUnit.SECONDS).plusSeconds(4);
        jdbc.update("UPDATE release_step SET planned_at = ? WHERE action = 'OPEN' AND pool = 'PUBLIC'", planned);
        jdbc.update("UPDATE release_step SET planned_at = ? WHERE action = 'OPEN' AND pool = 'COMMUNITY'",
                planned.plusDays(1));
        long deadline = System.nanoTime() + 120_000_000_000L;
        String countOpen = """
                SELECT COUNT(*) FROM quota_pool WHERE pool = 'PUBLIC' AND opens_at < '9999-01-01'""";
        while (jdbc.queryForObject(countOpen, Integer.class) < slots && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        LocalDateTime seen = LocalDateTime.now(TimeConfig.ZONE);
        Map<String, Object> run = jdbc.queryForMap("""
                SELECT r.node, r.scheduled_at, r.started_at, r.finished_at, r.changed FROM release_job_run r
                WHERE r.job = 'open' AND r.changed > 0 AND r.scheduled_at >= ? ORDER BY r.id LIMIT 1""", planned);
        LocalDateTime fired = ((java.sql.Timestamp) run.get("started_at")).toLocalDateTime();
        LocalDateTime finished = ((java.sql.Timestamp) run.get("finished_at")).toLocalDateTime();
        Integer early = jdbc.queryForObject("SELECT COUNT(*) FROM release_step WHERE done_at < ?", Integer.class,
                planned);
        Integer auditRows = jdbc.queryForObject("SELECT COUNT(*) FROM release_audit WHERE action = 'OPEN'",
                Integer.class);
        System.out.println();
        System.out.printf("PUBLIC release of %d pools planned %s, fired %s on %s%n", run.get("changed"), planned.toLocalTime(),
                fired.toLocalTime(), run.get("node"));
        System.out.printf("  fire -> every pool open (run log):     %d ms%n", Duration.between(fired, finished).toMillis());
        System.out.printf("  planned -> client sees all open:       %d ms%n", Duration.between(planned, seen).toMillis());
        System.out.printf("  audit rows written: %d (one per department and day)%n", auditRows);

        QuotaRelease release = ctx.getBean(QuotaRelease.class);
        // the same slots' COMMUNITY → PUBLIC move, by hand, made due now
        jdbc.update("UPDATE release_step SET planned_at = ? WHERE action = 'MOVE_TO_PUBLIC'",
                LocalDateTime.now(TimeConfig.ZONE).minusSeconds(1));
        long t1 = System.nanoTime();
        int moved = release.moveDue(ReleaseScope.ALL);
        System.out.printf("move COMMUNITY -> PUBLIC of %d slots: %d places in %.2f s%n", slots, moved, secs(t1));
        long t2 = System.nanoTime();
        int again = release.moveDue(ReleaseScope.ALL) + release.openDue(ReleaseScope.ALL);
        System.out.printf("second run of open and move: %d changes in %.2f s%n", again, secs(t2));
        if (jdbc.queryForObject(countOpen, Integer.class) != slots || moved != slots * 4 || again != 0 || early != 0
                || ((Number) run.get("changed")).intValue() != slots) {
            System.out.println("FAILED: not every pool opened or moved exactly once");
            System.exit(1);
        }
        System.out.println(DayOfWeek.from(day) + " " + day + ": ok");
    }

    static double secs(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
