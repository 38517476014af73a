package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import org.hotline.db.EmbeddedMariaDb;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * What the database keeps of a patient (docs/security.md, "Personal data"): the keyed hash, the last four
 * characters of the ID and the age on the slot's day. No region digit, no birth date, nowhere: with the hash
 * key those left about 9 candidates per ID.
 */
@IntegrationTest
class PersonalDataTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired EmbeddedMariaDb server;

    @Test
    void aBookingKeepsTheLastFourAndTheAgeOnTheSlotsDayAndNothingElseOfTheId() {
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        LocalDateTime at = clock.now().plusDays(3).withHour(9).withMinute(0).withSecond(0).withNano(0);
        long slot = fx.slot(dept, at, 0, 0, 2);
        // the day before the 80th birthday is the slot's day: 79 then
        LocalDate birth = at.toLocalDate().minusYears(80).plusDays(1);
        String id = Fixtures.residentId(birth);
        Booking b = ((BookingOutcome.Booked) booking.book(slot, null, new BookingRequest(0, id, Fixtures.mobile(),
                List.of(), null, Channel.AGENT, "agent-pd", null))).booking();

        assertThat(b.patientMasked()).isEqualTo("*".repeat(14) + id.substring(14));
        assertThat(b.patientAge()).isEqualTo(79);
        assertThat(booking.findById(b.id()).orElseThrow().patientAge()).isEqualTo(79);

        String hash = booking.hashOf(id);
        Map<String, Object> patient = jdbc.queryForMap("SELECT * FROM patient WHERE id_hash = ?", hash);
        Map<String, Object> row = jdbc.queryForMap("SELECT * FROM booking WHERE id = ?", b.id());
        assertThat(patient.keySet()).map(String::toLowerCase)
                .containsExactlyInAnyOrder("id_hash", "phone_blocked_until", "created_at");
        for (Map<String, Object> r : List.of(patient, row)) {
            r.forEach((column, value) -> {
                String v = String.valueOf(value);
                assertThat(v).as(column).doesNotContain(id.substring(0, 6)).doesNotContain(id.substring(6, 14))
                        .doesNotContain(birth.toString());
            });
        }
        assertThat(row.keySet()).map(String::toLowerCase).doesNotContain("patient_birth_date");
    }

    /**
     * The attacker with the database and the hash key: from what a booking row keeps, how many IDs must be
     * hashed to find this patient's? Counted as docs/security.md does: region codes (3,000 when none of the
     * region shows; the 100 counties under a prefecture when its first four digits show) × birth dates the row
     * allows × the 1 in 11 that pass the check character. Was about 9; must now be at least 50,000.
     */
    @Test
    void whatARowKeepsLeavesTheKeyHolderTensOfThousandsOfCandidates() {
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        LocalDateTime at = clock.now().plusDays(4).withHour(10).withMinute(0).withSecond(0).withNano(0);
        long slot = fx.slot(dept, at, 0, 0, 2);
        String id = Fixtures.residentIdAged(70);
        Booking b = ((BookingOutcome.Booked) booking.book(slot, null, new BookingRequest(0, id, Fixtures.mobile(),
                List.of(), null, Channel.AGENT, "agent-pd", null))).booking();
        Map<String, Object> row = jdbc.queryForMap("SELECT * FROM booking WHERE id = ?", b.id());
        Map<String, Object> patient = jdbc.queryForMap("SELECT * FROM patient WHERE id_hash = ?", booking.hashOf(id));
        row.putAll(patient);

        String masked = String.valueOf(row.get(row.containsKey("id_masked") ? "id_masked" : "patient_masked"));
        LocalDate slotDay = b.date();
        // the birth dates the row allows: one if it keeps the date, a year's worth if it keeps the age on a day
        LocalDate from;
        LocalDate to;
        if (row.get("birth_date") != null || row.get("patient_birth_date") != null) {
            Object d = row.get("birth_date") != null ? row.get("birth_date") : row.get("patient_birth_date");
            from = to = LocalDate.parse(String.valueOf(d).substring(0, 10));
        } else {
            int age = ((Number) row.get("patient_age")).intValue();
            from = slotDay.minusYears(age + 1L).plusDays(1);
            to = slotDay.minusYears(age);
        }
        int shownRegionDigits = 0;
        while (shownRegionDigits < 6 && Character.isDigit(masked.charAt(shownRegionDigits))) {
            shownRegionDigits++;
        }
        int shown = shownRegionDigits;
        long regions = shownRegionDigits == 0 ? 3_000 : (long) Math.pow(10, 6 - shownRegionDigits);
        String sequence = masked.substring(14, 17);
        char check = masked.charAt(17);
        // how many (region, date) pairs pass the check: counted over sample regions, scaled to all of them
        List<String> sample = shownRegionDigits == 0
                ? List.of("110105", "310104", "440106", "510107", "330106", "420111", "610113", "230103")
                : java.util.stream.IntStream.range(0, (int) regions)
                        .mapToObj(i -> masked.substring(0, shown) + String.format("%0" + (6 - shown) + "d", i))
                        .toList();
        long passing = 0;
        for (String region : sample) {
            for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
                String first17 = region + d.format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE) + sequence;
                if (ResidentId.checkDigit(first17) == check) {
                    passing++;
                }
            }
        }
        long candidates = passing * regions / sample.size();
        System.out.printf("candidates for the key holder, from one booking row: %d (%d regions x %d birth dates"
                + " / check)%n", candidates, regions, from.datesUntil(to.plusDays(1)).count());
        assertThat(candidates).isGreaterThanOrEqualTo(50_000);
    }

    /** V7_5 on a database that has rows of the old shape: converted, the birth date and region gone. */
    @Test
    void theMigrationConvertsRowsWrittenBeforeIt() {
        String db = "pd_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        jdbc.execute("CREATE DATABASE " + db + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        try {
            DriverManagerDataSource ds = new DriverManagerDataSource(
                    "jdbc:mariadb://127.0.0.1:" + server.port() + "/" + db, "root", "");
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").outOfOrder(true).target("6.1")
                    .load().migrate();
            JdbcTemplate old = new JdbcTemplate(ds);
            old.update("INSERT INTO facility (id, code, name, kind) VALUES (1, 'H1', 'H', 'DISTRICT_HOSPITAL')");
            old.update("INSERT INTO service (id, facility_id, code, name, kind) VALUES (1, 1, 'S1', 'S', 'OUTPATIENT')");
            old.update("""
                    INSERT INTO clinic_session (id, service_id, session_date, period, starts_at, ends_at)
                    VALUES (1, 1, '2026-03-10', 'MORNING', '2026-03-10 08:00', '2026-03-10 12:00')""");
            old.update("""
                    INSERT INTO slot (id, session_id, service_id, slot_date, starts_at, ends_at)
                    VALUES (1, 1, 1, '2026-03-10', '2026-03-10 09:00', '2026-03-10 09:30')""");
            old.update("""
                    INSERT INTO quota_pool (id, slot_id, pool, capacity, booked, opens_at, closes_at)
                    VALUES (1, 1, 'PUBLIC', 5, 1, '2026-03-01', '2026-03-10 07:00')""");
            old.update("""
                    INSERT INTO patient (id_hash, id_masked, birth_date, created_at)
                    VALUES ('h1', '1101**********002X', '1946-03-11', '2026-03-01')""");
            old.update("""
                    INSERT INTO booking (code, status, slot_id, pool_id, pool, service_id, facility_id, slot_date,
                      slot_starts_at, patient_hash, patient_masked, patient_birth_date, channel, created_at)
                    VALUES ('123456', 'ACTIVE', 1, 1, 'PUBLIC', 1, 1, '2026-03-10', '2026-03-10 09:00', 'h1',
                      '1101**********002X', '1946-03-11', 'AGENT', '2026-03-01')""");
            old.update("""
                    INSERT INTO audit_event (at, username, role, action, outcome, detail)
                    VALUES ('2026-03-01', 'a', 'AGENT', 'BOOK', 'OK', '患者 1101**********002X，短信 139****1234')""");
            old.update("""
                    INSERT INTO call_transfer (transfer_id, call_id, caller_masked, patient_masked, patient_age, reason,
                      flow, node, choices_json, priority, created_at)
                    VALUES ('T1', 'c1', '139****1234', '1101**********002X', 80, 'ASKED_FOR_PERSON', 'main', 'menu',
                      '{"身份证":"1101**********002X"}', 5, '2026-03-01')""");

            Flyway.configure().dataSource(ds).locations("classpath:db/migration").outOfOrder(true).load().migrate();

            // the day before the 80th birthday: 79 on the slot's day
            assertThat(old.queryForObject("SELECT patient_masked FROM booking WHERE code = '123456'", String.class))
                    .isEqualTo("**************002X");
            assertThat(old.queryForObject("SELECT patient_age FROM booking WHERE code = '123456'", Integer.class))
                    .isEqualTo(79);
            assertThat(old.queryForList("SELECT column_name FROM information_schema.columns WHERE table_schema = ?"
                    + " AND table_name IN ('patient', 'booking') AND (column_name LIKE '%birth%' OR column_name ="
                    + " 'id_masked')", String.class, db)).isEmpty();
            assertThat(old.queryForMap("SELECT patient_masked, choices_json FROM call_transfer"))
                    .containsEntry("patient_masked", "**************002X")
                    .containsEntry("choices_json", "{\"身份证\":\"**************002X\"}");
            assertThat(old.queryForObject("SELECT detail FROM audit_event", String.class))
                    .isEqualTo("患者 **************002X，短信 139****1234");
        } finally {
            jdbc.execute("DROP DATABASE " + db);
        }
    }
}
