package org.hotline.bench;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.ops.report.PolicyChecks;
import org.hotline.ops.report.ReportCsvFiles;
import org.hotline.ops.report.ReportRange;
import org.hotline.ops.report.SupervisionReports;

/**
 * How long the supervision reports take on a city-sized month: N district hospitals, 16 slots a day each
 * for 31 days, B bookings per slot, written in bulk with SQL (this measures reading, not booking). Prints
 * the median of 5 runs of each report. Run with {@code bin/bench-ops [hospitals] [bookings-per-slot]}.
 */
public final class ReportBench {

    public static void main(String[] args) throws Exception {
        int hospitals = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int perSlot = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        String[] settings = {
                "--hotline.db.embedded.data-dir=target/bench-db/" + UUID.randomUUID(),
                "--hotline.db.embedded.base-dir=target/mariadb-base",
                "--hotline.demo-data.enabled=false",
                "--hotline.sms.enabled=false",
                "--logging.level.root=WARN",
                "--logging.level.org.hotline=WARN",
                "--spring.quartz.auto-startup=false"};
        try (ConfigurableApplicationContext ctx = app.run(settings)) {
            run(ctx, hospitals, perSlot);
        }
        System.exit(0);
    }

    static void run(ConfigurableApplicationContext ctx, int hospitals, int perSlot) {
        JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
        LocalDate first = LocalDate.of(2036, 5, 1);
        long t0 = System.nanoTime();
        seed(jdbc, first, hospitals, perSlot);
        System.out.printf("MariaDB %s, %d cores; seeded %d hospitals, %d slots, %d bookings in %.1f s%n",
                jdbc.queryForObject("SELECT VERSION()", String.class), Runtime.getRuntime().availableProcessors(),
                hospitals, jdbc.queryForObject("SELECT COUNT(*) FROM slot", Long.class),
                jdbc.queryForObject("SELECT COUNT(*) FROM booking", Long.class), (System.nanoTime() - t0) / 1e9);
        jdbc.execute("ANALYZE TABLE booking, quota_pool, slot, service");
        SupervisionReports reports = ctx.getBean(SupervisionReports.class);
        PolicyChecks policy = ctx.getBean(PolicyChecks.class);
        ReportCsvFiles csv = ctx.getBean(ReportCsvFiles.class);
        ReportRange month = new ReportRange(first, first.plusDays(30), null);
        long oneHospital = jdbc.queryForObject("SELECT MIN(id) FROM facility", Long.class);
        System.out.println();
        System.out.println("report                                        median ms   (5 runs)");
        time("facility days, whole month, all facilities", () -> reports.facilityDays(month).size());
        time("facility days, one facility, one day", () -> reports.facilityDays(
                ReportRange.day(first.plusDays(9), oneHospital)).size());
        time("bookings per hour, one facility, one day", () -> reports.bookingsPerHour(first.minusDays(3), oneHospital).length);
        time("policy check, whole month", () -> policy.check(month).size());
        time("facility-days CSV, whole month", () -> csv.facilityDays(month).length);
        System.out.printf("facility-days CSV, whole month: %d rows, %d bytes%n",
                reports.facilityDays(month).size() + 1, csv.facilityDays(month).length);
    }

    static void time(String what, Supplier<Integer> report) {
        long[] ms = new long[5];
        report.get(); // warm-up
        for (int i = 0; i < ms.length; i++) {
            long t = System.nanoTime();
            report.get();
            ms[i] = (System.nanoTime() - t) / 1_000_000;
        }
        Arrays.sort(ms);
        System.out.printf("%-45s %8d   %s%n", what, ms[2], Arrays.toString(ms));
    }

    /** Facilities, sessions, slots, pools and bookings in a few INSERT … SELECT over MariaDB's seq tables. */
    static void seed(JdbcTemplate jdbc, LocalDate first, int hospitals, int perSlot) {
        List<Long> services = new ArrayList<>();
        for (int h = 0; h < hospitals; h++) {
            jdbc.update("INSERT INTO facility (code, name, kind) VALUES (?, ?, 'DISTRICT_HOSPITAL')", "BENCH" + h,
                    "区医院" + h);
            long f = jdbc.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, "BENCH" + h);
            jdbc.update("INSERT INTO service (facility_id, code, kind, name) VALUES (?, 'IM', 'OUTPATIENT', '内科')", f);
            services.add(jdbc.queryForObject("SELECT id FROM service WHERE facility_id = ?", Long.class, f));
        }
        String ids = services.toString().replace("[", "").replace("]", "");
        jdbc.update("""
                INSERT INTO clinic_session (service_id, session_date, period, starts_at, ends_at)
                SELECT s.id, ? + INTERVAL d.seq DAY, 'MORNING', (? + INTERVAL d.seq DAY) + INTERVAL 8 HOUR,
                       (? + INTERVAL d.seq DAY) + INTERVAL 16 HOUR
                FROM service s JOIN seq_0_to_30 d WHERE s.id IN (""" + ids + ")", first, first, first);
        jdbc.update("""
                INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at)
                SELECT cs.id, cs.service_id, cs.session_date, cs.starts_at + INTERVAL (30 * k.seq) MINUTE,
                       cs.starts_at + INTERVAL (30 * k.seq + 30) MINUTE
                FROM clinic_session cs JOIN seq_0_to_15 k WHERE cs.service_id IN (""" + ids + ")");
        int pub = perSlot + 4;
        jdbc.update("""
                INSERT INTO quota_pool (slot_id, pool, capacity, held, booked, opens_at, closes_at)
                SELECT sl.id, p.pool, p.cap, 0, 0, sl.starts_at - INTERVAL 14 DAY, sl.starts_at - INTERVAL 2 HOUR
                FROM slot sl JOIN (SELECT 'ONSITE' AS pool, 4 AS cap UNION ALL SELECT 'COMMUNITY', 10
                                   UNION ALL SELECT 'PUBLIC', ?) p
                WHERE sl.service_id IN (""" + ids + ")", pub);
        // bookings: channel, pool, age and status spread by the booking's number; all in PUBLIC or COMMUNITY
        jdbc.update("""
                INSERT INTO booking (code, status, slot_id, pool_id, pool, service_id, facility_id, slot_date,
                  slot_starts_at, patient_hash, patient_masked, patient_age, channel, created_at)
                SELECT LPAD(100000 + (sl.id * ? + n.seq) % 900000, 6, '0'),
                       ELT(1 + (sl.id + n.seq) % 10, 'ACTIVE','ACTIVE','ACTIVE','ACTIVE','ACTIVE','ATTENDED','ATTENDED',
                           'NO_SHOW','CANCELLED','ACTIVE'),
                       sl.id, q.id, q.pool, sl.service_id, s.facility_id, sl.slot_date, sl.starts_at,
                       CONCAT('bench-', sl.id, '-', n.seq), '**************0000',
                       30 + (sl.id * 7 + n.seq * 13) % 65,
                       IF(q.pool = 'COMMUNITY', 'COMMUNITY_DOCTOR', IF(n.seq % 3 = 0, 'AGENT', 'PHONE_MENU')),
                       (sl.starts_at - INTERVAL (1 + n.seq % 7) DAY) + INTERVAL ((n.seq * 37) % 600) MINUTE
                FROM slot sl JOIN service s ON s.id = sl.service_id JOIN seq_1_to_1000 n ON n.seq <= ?
                JOIN quota_pool q ON q.slot_id = sl.id AND q.pool = IF(n.seq % 4 = 0, 'COMMUNITY', 'PUBLIC')
                WHERE sl.service_id IN (""" + ids + ")", perSlot, perSlot);
        // the pools count what was booked (cancelled places went back)
        jdbc.update("""
                UPDATE quota_pool q JOIN (SELECT pool_id, COUNT(*) AS n FROM booking WHERE status <> 'CANCELLED'
                                          GROUP BY pool_id) b ON b.pool_id = q.id
                SET q.booked = b.n""");
    }
}
