package org.hotline.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quartz.CronScheduleBuilder;
import org.quartz.Scheduler;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.TimeConfig;
import org.hotline.booking.Pool;
import org.hotline.db.EmbeddedMariaDb;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * Gateway nodes as the real thing runs them: whole applications with clustered Quartz on one MariaDB
 * (started apart from them), on the real clock. Two nodes: each release fires once. No node at the
 * release time: the next node to start performs it, and the audit shows how late.
 */
@org.junit.jupiter.api.Tag("cluster") // alone, after the rest (pom.xml: several processes and databases each)
class ReleaseClusterTest {

    static EmbeddedMariaDb server;

    @BeforeAll
    static void startServer() throws Exception {
        server = EmbeddedMariaDb.start(Path.of("target/test-db/cluster-" + UUID.randomUUID()),
                Path.of("target/mariadb-base"), 0, true);
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + server.port() + "/", "root", "")) {
            c.createStatement().execute("CREATE DATABASE two_nodes CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
            c.createStatement().execute("CREATE DATABASE misfire CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.stopAndCleanUp();
    }

    static ConfigurableApplicationContext node(String database, String... extra) {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        List<String> args = new ArrayList<>(List.of("--hotline.db.embedded.enabled=false",
                "--spring.datasource.url=jdbc:mariadb://127.0.0.1:" + server.port() + "/" + database,
                "--spring.datasource.username=root", "--spring.datasource.password=",
                "--spring.datasource.hikari.maximum-pool-size=8", "--hotline.demo-data.enabled=false",
                // each node's call listeners on free ports: two nodes (and other test JVMs) share this machine
                "--hotline.agi.port=0", "--hotline.sip.port=0"));
        args.addAll(List.of(extra));
        // logging is JVM-wide: a node started here must not reconfigure it under the other tests' feet
        System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
        try {
            return app.run(args.toArray(String[]::new));
        } finally {
            System.clearProperty(LoggingSystem.SYSTEM_PROPERTY);
        }
    }

    /**
     * A second gateway node in its own JVM: Quartz keeps its connection providers in a JVM-wide registry by
     * scheduler name, so two clustered schedulers in one JVM would share one connection pool.
     */
    static Process nodeProcess(String database, Path logFile, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                HotlineApplication.class.getName(), "--spring.main.web-application-type=none",
                "--hotline.db.embedded.enabled=false",
                "--spring.datasource.url=jdbc:mariadb://127.0.0.1:" + server.port() + "/" + database,
                "--spring.datasource.username=root", "--spring.datasource.password=",
                "--spring.datasource.hikari.maximum-pool-size=8", "--hotline.demo-data.enabled=false",
                "--hotline.agi.port=0", "--hotline.sip.port=0",
                "--logging.level.root=WARN", "--logging.level.org.hotline.ReadyLog=INFO"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        long until = System.nanoTime() + 90_000_000_000L;
        while (!java.nio.file.Files.readString(logFile).contains("Hotline gateway ready")) {
            assertThat(p.isAlive()).as("node process running, see " + logFile).isTrue();
            assertThat(System.nanoTime()).as("node process ready, see " + logFile).isLessThan(until);
            Thread.sleep(200);
        }
        return p;
    }

    static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: a graceful shutdown, as an operator stops a node
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    static String instance(ConfigurableApplicationContext node) throws Exception {
        return node.getBean(Scheduler.class).getSchedulerInstanceId();
    }

    static void await(String what, int seconds, BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(until);
            Thread.sleep(200);
        }
    }

    /** A facility with {@code slots} slots tomorrow whose PUBLIC pools open at {@code at}. */
    static long facilityOpeningAt(ConfigurableApplicationContext node, LocalDateTime at, int slots) {
        JdbcTemplate jdbc = node.getBean(JdbcTemplate.class);
        Fixtures fx = new Fixtures(jdbc, new TestClock());
        long facility = fx.facility("DISTRICT_HOSPITAL");
        long service = fx.outpatientService(facility);
        ReleasePlan plan = node.getBean(ReleasePlan.class);
        LocalDateTime first = LocalDateTime.now(TimeConfig.ZONE).plusDays(1).truncatedTo(ChronoUnit.DAYS).withHour(8);
        for (int i = 0; i < slots; i++) {
            LocalDateTime start = first.plusMinutes(30L * i);
            long slot = fx.slot(service, start, 1, 0, 3, ReleasePlan.NOT_RELEASED, start.minusHours(2));
            plan.planOpen(slot, Pool.PUBLIC, at);
        }
        return facility;
    }

    @Test
    void twoNodesOnOneDatabaseFireEachReleaseExactlyOnce() throws Exception {
        String everySecond = "--hotline.release.cron.open=* * * * * ?";
        Path log = Path.of("target/test-db/cluster-node-b-" + UUID.randomUUID() + ".log");
        java.nio.file.Files.createDirectories(log.getParent());
        try (ConfigurableApplicationContext a = node("two_nodes", everySecond)) {
            Process b = nodeProcess("two_nodes", log, everySecond);
            try {
                JdbcTemplate jdbc = a.getBean(JdbcTemplate.class);
                List<String> nodes = jdbc.queryForList("SELECT INSTANCE_NAME FROM QRTZ_SCHEDULER_STATE", String.class);
                assertThat(nodes).as("both nodes checked in to the cluster").hasSize(2).contains(instance(a));
                LocalDateTime base = LocalDateTime.now(TimeConfig.ZONE).truncatedTo(ChronoUnit.SECONDS).plusSeconds(3);
                List<Long> facilities = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    facilities.add(facilityOpeningAt(a, base.plusSeconds(2L * i), 10));
                }
                String ids = String.join(",", facilities.stream().map(String::valueOf).toList());
                await("all 60 pools open", 40, () -> jdbc.queryForObject("""
                        SELECT COUNT(*) FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                        WHERE s.facility_id IN (%s) AND q.pool = 'PUBLIC' AND q.opens_at < '9999-01-01'""".formatted(ids),
                        Integer.class) == 60);
                Thread.sleep(2000); // a double fire would come now

                List<Map<String, Object>> audit = jdbc.queryForList(
                        "SELECT * FROM release_audit WHERE facility_id IN (" + ids + ") ORDER BY planned_at").stream()
                        .map(ReleaseFixture::local).toList();
                assertThat(audit).hasSize(6);
                for (int i = 0; i < 6; i++) {
                    Map<String, Object> row = audit.get(i);
                    LocalDateTime planned = base.plusSeconds(2L * i);
                    assertThat(row).containsEntry("facility_id", facilities.get(i)).containsEntry("action", "OPEN")
                            .containsEntry("pools", 10).containsEntry("places", 30).containsEntry("planned_at", planned);
                    assertThat((LocalDateTime) row.get("done_at")).isBetween(planned, planned.plusSeconds(3));
                    assertThat(row.get("node")).isIn(nodes);
                }
                // Quartz itself fired each second once across the cluster, not once per node
                assertThat(jdbc.queryForList("""
                        SELECT scheduled_at FROM release_job_run WHERE job = 'open'
                        GROUP BY scheduled_at HAVING COUNT(*) > 1""", LocalDateTime.class)).isEmpty();
                List<Map<String, Object>> byNode = jdbc.queryForList("""
                        SELECT node, COUNT(*) AS runs, SUM(changed) AS opened FROM release_job_run WHERE job = 'open'
                        GROUP BY node""");
                assertThat(byNode).extracting(r -> r.get("node")).isSubsetOf(nodes);
                System.out.println("open runs by node: " + byNode);
            } finally {
                stop(b);
            }
        }
    }

    @Test
    void aReleaseMissedWhileNoNodeRanIsPerformedWhenANodeStarts() throws Exception {
        LocalDateTime planned;
        String cron;
        long facility;
        try (ConfigurableApplicationContext a = node("misfire")) {
            planned = LocalDateTime.now(TimeConfig.ZONE).truncatedTo(ChronoUnit.SECONDS).plusSeconds(8);
            // this node's release is the daily one at `planned`, as an operator would set 08:00
            cron = "%d %d %d * * ?".formatted(planned.getSecond(), planned.getMinute(), planned.getHour());
            Scheduler scheduler = a.getBean(Scheduler.class);
            scheduler.rescheduleJob(TriggerKey.triggerKey("open", ReleaseScheduler.GROUP), TriggerBuilder.newTrigger()
                    .withIdentity("open", ReleaseScheduler.GROUP).forJob("open", ReleaseScheduler.GROUP)
                    .withSchedule(CronScheduleBuilder.cronSchedule(cron).inTimeZone(java.util.TimeZone.getTimeZone(
                            TimeConfig.ZONE)).withMisfireHandlingInstructionFireAndProceed()).build());
            facility = facilityOpeningAt(a, planned, 4);
        }
        assertThat(LocalDateTime.now(TimeConfig.ZONE)).as("the node stopped before the release").isBefore(planned);
        Thread.sleep(java.time.Duration.between(LocalDateTime.now(TimeConfig.ZONE), planned.plusSeconds(3)).toMillis());

        LocalDateTime starting = LocalDateTime.now(TimeConfig.ZONE);
        try (ConfigurableApplicationContext b = node("misfire", "--hotline.release.cron.open=" + cron,
                "--spring.quartz.properties.org.quartz.jobStore.misfireThreshold=1000")) {
            JdbcTemplate jdbc = b.getBean(JdbcTemplate.class);
            assertThat(jdbc.queryForObject("""
                    SELECT COUNT(*) FROM release_job_run WHERE job = 'open' AND started_at >= ? AND started_at < ?""",
                    Integer.class, planned, starting)).as("nobody ran the release at its time").isZero();
            // the node carries it out before it takes calls (ReleaseCatchUp, issue 16) or Quartz's misfire fire
            // does, whichever comes first: once, audited under the node's instance id
            await("the missed release", 30, () -> jdbc.queryForObject(
                    "SELECT COUNT(*) FROM release_audit WHERE facility_id = ?", Integer.class, facility) > 0);
            Map<String, Object> row = ReleaseFixture.local(jdbc.queryForMap(
                    "SELECT * FROM release_audit WHERE facility_id = ?", facility));
            assertThat(row).containsEntry("planned_at", planned).containsEntry("pools", 4)
                    .containsEntry("node", instance(b));
            LocalDateTime done = (LocalDateTime) row.get("done_at");
            assertThat(done).isAfterOrEqualTo(starting).isAfter(planned.plusSeconds(3));
            // fire-once-now, then on with the schedule: the next fire is tomorrow's
            java.util.Date next = b.getBean(Scheduler.class)
                    .getTrigger(TriggerKey.triggerKey("open", ReleaseScheduler.GROUP)).getNextFireTime();
            assertThat(LocalDateTime.ofInstant(next.toInstant(), TimeConfig.ZONE)).isEqualTo(planned.plusDays(1));
            assertThat(jdbc.queryForObject("""
                    SELECT COUNT(*) FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                    WHERE s.facility_id = ? AND q.pool = 'PUBLIC' AND q.opens_at = ?""", Integer.class, facility,
                    done.truncatedTo(ChronoUnit.SECONDS))).isEqualTo(4);
        }
    }
}
