package org.hotline.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.BookingProperties;

/**
 * Loads demo facilities on the embedded default (never in production) and keeps 14 days of
 * sessions ahead. Idempotent: a restart only adds the days that are missing.
 *
 * <p>Quota per slot follows the policy: an ONSITE reserve at every facility, and at district
 * hospitals half of the bookable quota in COMMUNITY (policy minimum 40 %), opened 14 days ahead;
 * PUBLIC opens 7 days ahead at 08:00; booking closes at the cancellation cut-off before the slot.
 */
@Component
@Order(10)
@ConditionalOnProperty(name = "hotline.demo-data.enabled", havingValue = "true")
public class DemoData implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(DemoData.class);
    static final int DAYS = 14;

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final Duration closeBefore;

    public DemoData(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingProperties props) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.closeBefore = props.cancelCutoff();
    }

    record Quota(int onsite, int community, int pub) {
    }

    @Override
    public void run(ApplicationArguments args) {
        tx.executeWithoutResult(s -> {
            Integer facilities = jdbc.queryForObject("SELECT COUNT(*) FROM facility", Integer.class);
            if (facilities == 0) {
                loadCatalogue();
            }
        });
        int added = topUpSessions(LocalDate.now(clock), DAYS);
        log.info("Demo data ready: {} facilities, {} slots added for the next {} days",
                jdbc.queryForObject("SELECT COUNT(*) FROM facility", Integer.class), added, DAYS);
    }

    private void loadCatalogue() {
        vaccine("FLU", "流感疫苗", 1, 0, 3, 150, "请带身份证");
        vaccine("PPV23", "二十三价肺炎疫苗", 1, 0, 2, 150, "请带身份证和接种本");
        vaccine("HZV", "带状疱疹疫苗", 2, 60, 50, 150, "请带身份证和接种本");

        long h1 = facility("CY1", "朝阳区第一人民医院", "DISTRICT_HOSPITAL", "朝阳区", "朝阳路一号", 1);
        service(h1, "NK", "OUTPATIENT", "内科", null, null, 1);
        service(h1, "XNK", "OUTPATIENT", "心内科", "张建国", null, 2);
        service(h1, "YK", "OUTPATIENT", "眼科", null, null, 3);
        service(h1, "GK", "OUTPATIENT", "骨科", null, null, 4);
        long h2 = facility("HD1", "海淀区中心医院", "DISTRICT_HOSPITAL", "海淀区", "中关村南大街二号", 2);
        service(h2, "NK", "OUTPATIENT", "内科", null, null, 1);
        service(h2, "LNK", "OUTPATIENT", "老年病科", null, null, 2);
        service(h2, "PFK", "OUTPATIENT", "皮肤科", null, null, 3);
        long c1 = facility("WJ", "望京社区卫生服务中心", "COMMUNITY_CENTRE", "朝阳区", "望京西路三号", 3);
        service(c1, "QK", "OUTPATIENT", "全科", null, null, 1);
        long c2 = facility("SJ", "双井社区卫生服务中心", "COMMUNITY_CENTRE", "朝阳区", "双井桥南四号", 4);
        service(c2, "QK", "OUTPATIENT", "全科", null, null, 1);
        service(c2, "ZYK", "OUTPATIENT", "中医科", null, null, 2);
        long v1 = facility("CYV", "朝阳区预防接种门诊", "VACCINATION_CLINIC", "朝阳区", "朝阳北路五号", 5);
        service(v1, "FLU", "VACCINE", "流感疫苗", null, "FLU", 1);
        service(v1, "PPV23", "VACCINE", "二十三价肺炎疫苗", null, "PPV23", 2);
        service(v1, "HZV", "VACCINE", "带状疱疹疫苗", null, "HZV", 3);
    }

    /** Adds the sessions, slots and pools missing between {@code from} and {@code from + days}. */
    public int topUpSessions(LocalDate from, int days) {
        int added = 0;
        List<java.util.Map<String, Object>> services = jdbc.queryForList(
                "SELECT s.id, f.kind FROM service s JOIN facility f ON f.id = s.facility_id ORDER BY s.id");
        for (var svc : services) {
            long serviceId = ((Number) svc.get("id")).longValue();
            String kind = (String) svc.get("kind");
            Quota q = switch (kind) {
                case "DISTRICT_HOSPITAL" -> new Quota(2, 4, 4);
                case "COMMUNITY_CENTRE" -> new Quota(2, 0, 4);
                default -> new Quota(2, 0, 8);
            };
            for (int d = 0; d < days; d++) {
                LocalDate date = from.plusDays(d);
                added += session(serviceId, date, "MORNING", LocalTime.of(8, 0), LocalTime.of(12, 0), q);
                added += session(serviceId, date, "AFTERNOON", LocalTime.of(14, 0), LocalTime.of(17, 0), q);
            }
        }
        return added;
    }

    private int session(long serviceId, LocalDate date, String period, LocalTime start, LocalTime end, Quota q) {
        return tx.execute(s -> {
            int inserted = jdbc.update("""
                    INSERT IGNORE INTO clinic_session (service_id, session_date, period, starts_at, ends_at)
                    VALUES (?, ?, ?, ?, ?)""", serviceId, date, period, date.atTime(start), date.atTime(end));
            if (inserted == 0) {
                return 0;
            }
            long sessionId = jdbc.queryForObject(
                    "SELECT id FROM clinic_session WHERE service_id = ? AND session_date = ? AND period = ?",
                    Long.class, serviceId, date, period);
            int n = 0;
            List<Object[]> pools = new ArrayList<>();
            for (LocalTime t = start; t.isBefore(end); t = t.plusMinutes(30), n++) {
                LocalDateTime st = date.atTime(t);
                jdbc.update("""
                        INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at)
                        VALUES (?, ?, ?, ?, ?)""", sessionId, serviceId, date, st, st.plusMinutes(30));
                long slotId = jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?",
                        Long.class, serviceId, st);
                LocalDateTime closes = st.minus(closeBefore);
                // ONSITE is for walk-ins: it "opens" only on the day at the desk, never to a booking channel
                pools.add(new Object[] {slotId, "ONSITE", q.onsite(), date.atStartOfDay(), st.plusMinutes(30)});
                pools.add(new Object[] {slotId, "COMMUNITY", q.community(), date.minusDays(14).atTime(8, 0), closes});
                pools.add(new Object[] {slotId, "PUBLIC", q.pub(), date.minusDays(7).atTime(8, 0), closes});
            }
            jdbc.batchUpdate("""
                    INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, ?, ?, ?, ?)""",
                    pools);
            return n;
        });
    }

    private void vaccine(String code, String name, int doses, int interval, int minAge, int maxAge, String bring) {
        jdbc.update("""
                INSERT INTO vaccine (code, name, doses, min_interval_days, min_age_years, max_age_years, bring_note)
                VALUES (?, ?, ?, ?, ?, ?, ?)""", code, name, doses, interval, minAge, maxAge, bring);
    }

    private long facility(String code, String name, String kind, String district, String address, int order) {
        jdbc.update("INSERT INTO facility (code, name, kind, district, address, sort_order) VALUES (?, ?, ?, ?, ?, ?)",
                code, name, kind, district, address, order);
        return jdbc.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, code);
    }

    private void service(long facilityId, String code, String kind, String name, String doctor, String vaccineCode,
            int order) {
        Long vaccineId = vaccineCode == null ? null
                : jdbc.queryForObject("SELECT id FROM vaccine WHERE code = ?", Long.class, vaccineCode);
        jdbc.update("""
                INSERT INTO service (facility_id, code, kind, name, doctor_name, vaccine_id, sort_order)
                VALUES (?, ?, ?, ?, ?, ?, ?)""", facilityId, code, kind, name, doctor, vaccineId, order);
    }
}
