package org.hotline.testsupport;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.ResidentId;

/**
 * Creates facilities, services, slots and pools of a test's own, with unique codes, so tests in a
 * shared database never see each other's rows. Also makes valid resident IDs.
 */
public class Fixtures {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private final JdbcTemplate jdbc;
    private final TestClock clock;

    public Fixtures(JdbcTemplate jdbc, TestClock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public long facility(String kind) {
        String code = "T" + System.nanoTime() % 1_000_000_000 + "-" + SEQ.incrementAndGet();
        jdbc.update("INSERT INTO facility (code, name, kind, sort_order) VALUES (?, ?, ?, 1000)", code,
                "测试" + code, kind);
        return jdbc.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, code);
    }

    public long outpatientService(long facilityId) {
        String code = "S" + SEQ.incrementAndGet();
        jdbc.update("INSERT INTO service (facility_id, code, kind, name, sort_order) VALUES (?, ?, 'OUTPATIENT', ?, 1)",
                facilityId, code, "科室" + code);
        return jdbc.queryForObject("SELECT id FROM service WHERE facility_id = ? AND code = ?", Long.class, facilityId,
                code);
    }

    public long vaccine(int doses, int intervalDays, int minAge, int maxAge) {
        String code = "V" + System.nanoTime() % 1_000_000_000 + SEQ.incrementAndGet();
        jdbc.update("""
                INSERT INTO vaccine (code, name, doses, min_interval_days, min_age_years, max_age_years)
                VALUES (?, ?, ?, ?, ?, ?)""", code, "疫苗" + code, doses, intervalDays, minAge, maxAge);
        return jdbc.queryForObject("SELECT id FROM vaccine WHERE code = ?", Long.class, code);
    }

    public long vaccineService(long facilityId, long vaccineId) {
        String code = "VS" + SEQ.incrementAndGet();
        jdbc.update("""
                INSERT INTO service (facility_id, code, kind, name, vaccine_id, sort_order)
                VALUES (?, ?, 'VACCINE', ?, ?, 1)""", facilityId, code, "疫苗服务" + code, vaccineId);
        return jdbc.queryForObject("SELECT id FROM service WHERE facility_id = ? AND code = ?", Long.class, facilityId,
                code);
    }

    /** A 30-minute slot starting at {@code start}, with the three pools open from now-1h until 2 h before start. */
    public long slot(long serviceId, LocalDateTime start, int onsite, int community, int pub) {
        return slot(serviceId, start, onsite, community, pub, clock.now().minusHours(1), start.minusHours(2));
    }

    public long slot(long serviceId, LocalDateTime start, int onsite, int community, int pub, LocalDateTime opens,
            LocalDateTime closes) {
        LocalDate date = start.toLocalDate();
        String period = start.getHour() < 12 ? "MORNING" : start.getHour() < 18 ? "AFTERNOON" : "EVENING";
        jdbc.update("""
                INSERT IGNORE INTO clinic_session (service_id, session_date, period, starts_at, ends_at)
                VALUES (?, ?, ?, ?, ?)""", serviceId, date, period, start, start.plusHours(4));
        long sessionId = jdbc.queryForObject(
                "SELECT id FROM clinic_session WHERE service_id = ? AND session_date = ? AND period = ?", Long.class,
                serviceId, date, period);
        jdbc.update("INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
                sessionId, serviceId, date, start, start.plusMinutes(30));
        long slotId = jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class,
                serviceId, start);
        pool(slotId, "ONSITE", onsite, opens, closes);
        pool(slotId, "COMMUNITY", community, opens, closes);
        pool(slotId, "PUBLIC", pub, opens, closes);
        return slotId;
    }

    private void pool(long slotId, String pool, int capacity, LocalDateTime opens, LocalDateTime closes) {
        jdbc.update("INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, ?, ?, ?, ?)",
                slotId, pool, capacity, opens, closes);
    }

    /** capacity, held, booked of one pool. */
    public int[] counts(long slotId, String pool) {
        return jdbc.queryForObject("SELECT capacity, held, booked FROM quota_pool WHERE slot_id = ? AND pool = ?",
                (rs, i) -> new int[] {rs.getInt(1), rs.getInt(2), rs.getInt(3)}, slotId, pool);
    }

    private static final AtomicInteger ID_SEQ = new AtomicInteger(1000);

    /** A valid resident ID born on the given date, unique within this JVM. */
    public static String residentId(LocalDate birth) {
        int seq = ID_SEQ.incrementAndGet() % 1000;
        String first17 = "110105" + String.format("%04d%02d%02d", birth.getYear(), birth.getMonthValue(),
                birth.getDayOfMonth()) + String.format("%03d", seq);
        return first17 + ResidentId.checkDigit(first17);
    }

    public static String residentIdAged(int years) {
        return residentId(LocalDate.now().minusYears(years).minusDays(SEQ.incrementAndGet() % 300 + 1));
    }

    private static final AtomicInteger PHONE_SEQ = new AtomicInteger();

    /** A unique valid mobile number. */
    public static String mobile() {
        return String.format("139%08d", (System.nanoTime() / 1000 + PHONE_SEQ.incrementAndGet()) % 100_000_000);
    }
}
