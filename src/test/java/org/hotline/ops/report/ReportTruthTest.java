package org.hotline.ops.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.agent.Actor;
import org.hotline.agent.CallbackDesk;
import org.hotline.agent.ConsoleFixtures;
import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;
import org.hotline.agent.TransferDesk;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.Pool;
import org.hotline.handoff.TransferLog;
import org.hotline.ops.report.SeededMonth.Seeded;
import org.hotline.release.NoShowRule;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * The report's figures equal the database's truth on a seeded month: two district hospitals, two slots a
 * day each, bookings from every channel at every age (and on the edges of the bands), cancellations,
 * no-shows, attendance, holds left open, transfers and call-backs. Expected figures come from the seed's
 * ledger and from plain SQL, never from the report code.
 */
@ReportWebTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportTruthTest {

    @Autowired BookingService booking;
    @Autowired TransferLog transferLog;
    @Autowired NoShowRule noShows;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired SupervisionReports reports;
    @Autowired PolicyChecks policy;
    @Autowired SmsReports smsReports;
    @Autowired TransferDesk transferDesk;
    @Autowired CallbackDesk callbackDesk;
    @Autowired ConsoleUsers users;
    @LocalServerPort int port;

    SeededMonth month;
    final ReportRange wholeMonth = new ReportRange(SeededMonth.FIRST, SeededMonth.LAST, null);

    int failedBySeed;
    String supervisor;
    String agent;

    @BeforeAll
    void seed() throws InterruptedException {
        ConsoleFixtures console = new ConsoleFixtures(users, transferLog, clock);
        supervisor = console.user(ConsoleRole.SUPERVISOR, null);
        agent = console.user(ConsoleRole.AGENT, null);
        month = new SeededMonth(booking, transferLog, noShows, transferDesk, callbackDesk,
                new Actor(agent, ConsoleRole.AGENT, null), fx, clock);
        assertThat(month.bookings).hasSizeGreaterThan(250);
        sendTheMonthsSms();
    }

    /**
     * Lets the real dispatcher send the month's SMS through the embedded SMSC (which delivers them all) and
     * waits until its receipts are in; then five receipts of hospital B are made failures, as an SMSC's
     * UNDELIV would record them (the embedded SMSC never fails one).
     */
    void sendTheMonthsSms() throws InterruptedException {
        String busy = "SELECT COUNT(*) FROM sms_message m JOIN booking b ON b.id = m.booking_id WHERE b.facility_id IN ("
                + month.hospitalA + "," + month.hospitalB + ") AND m.status IN ('PENDING', 'SENDING', 'SUBMITTED')";
        clock.set(SeededMonth.LAST.plusDays(1).atTime(12, 0));
        try {
            long end = System.nanoTime() + 90_000_000_000L;
            while (jdbc.queryForObject(busy, Integer.class) > 0) {
                assertThat(System.nanoTime()).as("the month's SMS still not delivered after 90 s").isLessThan(end);
                Thread.sleep(100);
            }
        } finally {
            clock.reset();
        }
        failedBySeed = jdbc.update("""
                UPDATE sms_message SET status = 'FAILED', last_error = 'UNDELIV'
                WHERE id IN (SELECT id FROM (SELECT m.id FROM sms_message m JOIN booking b ON b.id = m.booking_id
                                             WHERE b.facility_id = ? AND m.status = 'DELIVERED'
                                             ORDER BY m.id LIMIT 5) five)""", month.hospitalB);
        assertThat(failedBySeed).isEqualTo(5);
    }

    static String band(int age) {
        return age < 60 ? "UNDER_60" : age < 80 ? "FROM_60_TO_79" : "FROM_80";
    }

    record Key(long facility, LocalDate day) {
    }

    /** The ledger's figures per facility and day, as string-keyed counters. */
    Map<Key, Map<String, Integer>> expected() {
        Map<Key, Map<String, Integer>> m = new HashMap<>();
        for (Seeded s : month.bookings) {
            Map<String, Integer> c = m.computeIfAbsent(new Key(s.facility(), s.day()), k -> new TreeMap<>());
            c.merge("bookings", 1, Integer::sum);
            c.merge("channel." + s.channel(), 1, Integer::sum);
            c.merge("band." + band(s.age()), 1, Integer::sum);
            c.merge("pool." + s.pool(), 1, Integer::sum);
            c.merge("status." + s.status(), 1, Integer::sum);
            if (!s.status().equals("CANCELLED")) {
                c.merge("booked." + s.pool(), 1, Integer::sum);
            }
            m.computeIfAbsent(new Key(s.facility(), s.createdAt().toLocalDate()), k -> new TreeMap<>())
                    .merge("made", 1, Integer::sum);
        }
        for (Object[] h : month.openHolds) {
            m.computeIfAbsent(new Key((Long) h[0], (LocalDate) h[1]), k -> new TreeMap<>()).merge("held.PUBLIC", 1,
                    Integer::sum);
        }
        return m;
    }

    /** The same figures read from a report row. */
    static Map<String, Integer> actual(FacilityDay d) {
        Map<String, Integer> c = new TreeMap<>();
        put(c, "bookings", d.bookings());
        d.byChannel().forEach((k, v) -> put(c, "channel." + k, v));
        d.byAgeBand().forEach((k, v) -> put(c, "band." + k, v));
        d.byPool().forEach((k, v) -> put(c, "pool." + k, v));
        put(c, "status.CANCELLED", d.cancelled());
        put(c, "status.NO_SHOW", d.noShows());
        put(c, "status.ATTENDED", d.attended());
        put(c, "status.ACTIVE", d.bookings() - d.cancelled() - d.noShows() - d.attended());
        for (PoolUse u : d.pools().values()) {
            put(c, "booked." + u.pool(), u.booked());
            put(c, "held." + u.pool(), u.held());
        }
        put(c, "made", d.madeThatDay());
        return c;
    }

    static void put(Map<String, Integer> c, String k, int v) {
        if (v != 0) {
            c.put(k, v);
        }
    }

    List<FacilityDay> ours(ReportRange range) {
        return reports.facilityDays(range).stream().filter(d -> month.facilities().contains(d.facility().id()))
                .toList();
    }

    @Test
    void everyFacilityDayEqualsTheLedger() {
        Map<Key, Map<String, Integer>> expected = expected();
        List<FacilityDay> days = ours(wholeMonth);
        // 31 clinic days at each hospital, plus days before the month when bookings were made
        assertThat(days.stream().filter(d -> !d.day().isBefore(SeededMonth.FIRST))).hasSize(62);
        for (FacilityDay d : days) {
            Key k = new Key(d.facility().id(), d.day());
            if (d.day().isBefore(SeededMonth.FIRST)) {
                continue; // made-that-day for days outside the range is not asked for
            }
            assertThat(actual(d)).as("%s %s", d.facility().name(), d.day())
                    .isEqualTo(expected.getOrDefault(k, Map.of()));
        }
    }

    @Test
    void poolsAreWhatWasOfferedBookedAndLeftAsTheDatabaseCountsThem() {
        for (FacilityDay d : ours(wholeMonth)) {
            if (d.day().isBefore(SeededMonth.FIRST)) {
                continue;
            }
            Map<String, Integer> cap = month.capacity.get(d.facility().id()).get(d.day());
            for (Pool p : Pool.values()) {
                PoolUse u = d.use(p);
                // plain SQL over the booking rows and holds of that facility's day
                int booked = jdbc.queryForObject("""
                        SELECT COUNT(*) FROM booking WHERE facility_id = ? AND slot_date = ? AND pool = ?
                          AND status <> 'CANCELLED'""", Integer.class, d.facility().id(), d.day(), p.name());
                int held = jdbc.queryForObject("""
                        SELECT COUNT(*) FROM hold h JOIN quota_pool q ON q.id = h.pool_id JOIN slot sl ON sl.id = q.slot_id
                        JOIN service s ON s.id = sl.service_id
                        WHERE s.facility_id = ? AND sl.slot_date = ? AND q.pool = ? AND h.status = 'ACTIVE'""",
                        Integer.class, d.facility().id(), d.day(), p.name());
                assertThat(u.slots()).isEqualTo(2);
                assertThat(u.offered()).as("%s %s %s offered", d.facility().id(), d.day(), p).isEqualTo(cap.get(p.name()));
                assertThat(u.capacity()).isEqualTo(cap.get(p.name())); // nothing moved in this seed
                assertThat(u.movedOut() + u.movedIn()).isZero();
                assertThat(u.booked()).as("%s %s %s booked", d.facility().id(), d.day(), p).isEqualTo(booked);
                assertThat(u.held()).isEqualTo(held);
                assertThat(u.left()).isEqualTo(cap.get(p.name()) - booked - held);
            }
            assertThat(d.use(Pool.ONSITE).booked()).isZero();
            assertThat(d.onsiteShare()).isEqualTo(4.0 / 24);
        }
    }

    @Test
    void oneFacilityOneDayIsTheSameAsItsRowInTheMonth() {
        LocalDate day = SeededMonth.FIRST.plusDays(9);
        FacilityDay inMonth = ours(wholeMonth).stream()
                .filter(d -> d.facility().id() == month.hospitalB && d.day().equals(day)).findFirst().orElseThrow();
        List<FacilityDay> alone = reports.facilityDays(ReportRange.day(day, month.hospitalB));
        assertThat(alone).hasSize(1);
        assertThat(actual(alone.get(0))).isEqualTo(actual(inMonth));
    }

    @Test
    void bookingsPerHourAreCountedByTheHourTheyWereMade() {
        for (LocalDate day : List.of(SeededMonth.FIRST.minusDays(1), SeededMonth.FIRST.plusDays(4),
                SeededMonth.FIRST.plusDays(20))) {
            int[] expected = new int[24];
            for (Seeded s : month.bookings) {
                if (s.facility() == month.hospitalA && s.createdAt().toLocalDate().equals(day)) {
                    expected[s.createdAt().getHour()]++;
                }
            }
            assertThat(Arrays.stream(expected).sum()).isPositive();
            assertThat(reports.bookingsPerHour(day, month.hospitalA)).as("%s", day).containsExactly(expected);
        }
    }

    @Test
    void transfersAndCallbacksPerDayAndReasonEqualTheLedger() {
        Map<String, List<Integer>> waits = new TreeMap<>();
        month.transfers.forEach(t -> waits.computeIfAbsent(t.day() + " " + t.reason(), k -> new ArrayList<>())
                .add(t.waitSeconds()));
        Map<String, String> expected = new TreeMap<>();
        waits.forEach((k, w) -> {
            List<Integer> answered = w.stream().filter(x -> x != null).toList();
            expected.put(k, w.size() + " answered=" + answered.size() + " avg="
                    + (answered.isEmpty() ? null : String.format("%.1f", answered.stream().mapToInt(x -> x).average()
                            .orElseThrow()))
                    + " max=" + (answered.isEmpty() ? null : answered.stream().mapToInt(x -> x).max().orElseThrow()));
        });
        Map<String, String> actual = new TreeMap<>();
        reports.transfers(wholeMonth).forEach(t -> actual.put(t.day() + " " + t.reason(), t.transfers() + " answered="
                + t.answered() + " avg=" + (t.avgSecondsToAnswer() == null ? null
                        : String.format("%.1f", t.avgSecondsToAnswer()))
                + " max=" + t.maxSecondsToAnswer()));
        assertThat(actual).isEqualTo(expected).isNotEmpty();

        Map<String, Map<String, Integer>> expectedCallbacks = new TreeMap<>();
        Map<String, List<Integer>> firsts = new TreeMap<>();
        for (SeededMonth.Callback c : month.callbacks) {
            String k = c.day() + " " + c.reason();
            Map<String, Integer> m = expectedCallbacks.computeIfAbsent(k, x -> new TreeMap<>());
            m.merge("status." + c.status(), 1, Integer::sum);
            c.outcomes().forEach(o -> m.merge("try." + o, 1, Integer::sum));
            if (c.firstAfterSeconds() != null) {
                firsts.computeIfAbsent(k, x -> new ArrayList<>()).add(c.firstAfterSeconds());
            }
        }
        firsts.forEach((k, f) -> expectedCallbacks.get(k).put("first",
                (int) Math.round(f.stream().mapToInt(x -> x).average().orElseThrow())));
        Map<String, Map<String, Integer>> actualCallbacks = new TreeMap<>();
        for (SupervisionReports.CallbackFigures c : reports.callbacks(wholeMonth)) {
            Map<String, Integer> m = new TreeMap<>();
            c.byStatus().forEach((st, n) -> m.put("status." + st, n));
            c.attemptsByOutcome().forEach((o, n) -> m.put("try." + o, n));
            if (c.avgSecondsToFirstAttempt() != null) {
                m.put("first", (int) Math.round(c.avgSecondsToFirstAttempt()));
            }
            assertThat(c.requested()).isEqualTo(c.byStatus().values().stream().mapToInt(x -> x).sum());
            actualCallbacks.put(c.day() + " " + c.reason(), m);
        }
        assertThat(actualCallbacks).isEqualTo(expectedCallbacks).isNotEmpty();
        assertThat(month.callbacks.stream().filter(c -> !c.outcomes().isEmpty())).isNotEmpty();
    }

    @Test
    void onlySupervisorsAndAdministratorsReadTheReports() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/ops/reports")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(302);
        assertThat(anonymous.headers().firstValue("Location").orElseThrow()).endsWith("/login");
        assertThat(get("/ops/policy.csv", agent).statusCode()).isEqualTo(403);
        assertThat(get("/ops/reports/charts/age-bands.svg", agent).statusCode()).isEqualTo(403);
        assertThat(get("/ops/policy.csv", supervisor).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> wrong = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/ops/policy.csv")).header("Authorization", "Basic " + java.util.Base64.getEncoder()
                        .encodeToString((supervisor + ":wrong-password").getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(wrong.statusCode()).isIn(302, 401);
    }

    @Test
    void smsQueuedSentDeliveredAndFailedEqualTheOutbox() throws Exception {
        // the ledger: one confirmation per booking on the day it was made, one cancellation notice per cancel
        Map<String, Integer> queued = new TreeMap<>();
        for (Seeded s : month.bookings) {
            queued.merge(s.facility() + " " + s.createdAt().toLocalDate(), 1, Integer::sum);
            if (s.cancelledAt() != null) {
                queued.merge(s.facility() + " " + s.cancelledAt().toLocalDate(), 1, Integer::sum);
            }
        }
        // the database: every message of the month's bookings, counted in Java
        Map<String, int[]> truth = new TreeMap<>();
        jdbc.query("""
                SELECT b.facility_id, m.created_at, m.status, m.submitted_at FROM sms_message m
                JOIN booking b ON b.id = m.booking_id WHERE b.facility_id IN (?, ?)""", rs -> {
                    String key = rs.getLong(1) + " " + rs.getTimestamp(2).toLocalDateTime().toLocalDate();
                    int[] c = truth.computeIfAbsent(key, k -> new int[7]);
                    String st = rs.getString(3);
                    c[0]++;
                    if (rs.getTimestamp(4) != null) {
                        c[1]++;
                    }
                    c[2] += st.equals("DELIVERED") ? 1 : 0;
                    c[3] += st.equals("FAILED") || st.equals("EXPIRED") ? 1 : 0;
                    c[4] += st.equals("SUBMITTED") ? 1 : 0;
                    c[5] += st.equals("PENDING") || st.equals("SENDING") ? 1 : 0;
                    c[6] += st.equals("CANCELLED") ? 1 : 0;
                }, month.hospitalA, month.hospitalB);
        Map<String, int[]> actual = new TreeMap<>();
        for (SmsReports.SmsFigures f : smsReports.sms(new ReportRange(SeededMonth.FIRST.minusDays(5), SeededMonth.LAST,
                null))) {
            if (f.facilityId() != null && month.facilities().contains(f.facilityId())) {
                actual.put(f.facilityId() + " " + f.day(), new int[] {f.queued(), f.sent(), f.delivered(), f.failed(),
                        f.awaitingReceipt(), f.pending(), f.cancelled()});
            }
        }
        assertThat(actual.keySet()).isEqualTo(truth.keySet()).isEqualTo(queued.keySet());
        for (String k : truth.keySet()) {
            assertThat(actual.get(k)).as(k).containsExactly(truth.get(k));
            assertThat(actual.get(k)[0]).as("%s queued, by the ledger", k).isEqualTo(queued.get(k));
        }
        int[] sum = truth.values().stream().reduce(new int[7], (a, b) -> {
            int[] c = a.clone();
            for (int i = 0; i < 7; i++) {
                c[i] += b[i];
            }
            return c;
        });
        assertThat(sum[2]).as("some delivered through the embedded SMSC").isPositive();
        assertThat(sum[3]).as("failed").isEqualTo(failedBySeed);
        assertThat(sum[0]).isEqualTo(sum[2] + sum[3] + sum[4] + sum[5] + sum[6]);

        HttpResponse<byte[]> csv = get("/ops/reports/sms.csv?from=" + SeededMonth.FIRST + "&to=" + SeededMonth.LAST
                + "&facility=" + month.hospitalB);
        List<List<String>> rows = parseCsv(strictUtf8(csv.body(), 3));
        assertThat(rows.get(0)).containsExactly("日期（入队）", "机构", "入队", "已发送", "已送达", "失败", "待回执", "待发送", "已撤销");
        for (List<String> r : rows.subList(1, rows.size())) {
            int[] t = truth.get(month.hospitalB + " " + r.get(0));
            assertThat(t).as(r.get(0)).isNotNull();
            for (int i = 0; i < 7; i++) {
                assertThat(Integer.parseInt(r.get(2 + i))).isEqualTo(t[i]);
            }
        }
    }

    @Test
    void policyCheckAnswersWithItsEvidence() {
        List<PolicyCheck> checks = policy.check(wholeMonth);
        PolicyCheck share = checks.stream().filter(c -> c.id().equals(PolicyChecks.COMMUNITY_SHARE)).findFirst()
                .orElseThrow();
        assertThat(share.verdict()).isEqualTo(PolicyCheck.Verdict.NO);
        String nameB = jdbc.queryForObject("SELECT name FROM facility WHERE id = ?", String.class, month.hospitalB);
        String nameA = jdbc.queryForObject("SELECT name FROM facility WHERE id = ?", String.class, month.hospitalA);
        List<String> rowB = share.evidence().stream().filter(r -> r.get(0).equals(nameB)).findFirst().orElseThrow();
        List<String> rowA = share.evidence().stream().filter(r -> r.get(0).equals(nameA)).findFirst().orElseThrow();
        int shortDays = (int) (SeededMonth.LAST.toEpochDay() - SeededMonth.B_SHORT_FROM.toEpochDay() + 1);
        assertThat(rowB.get(6)).startsWith(shortDays + "：" + SeededMonth.B_SHORT_FROM + "（30.0%）");
        assertThat(rowB.get(5)).startsWith("30.0%");
        assertThat(rowA.get(6)).isEqualTo("0");
        assertThat(rowA.get(2)).isEqualTo(String.valueOf(31 * 2 * 4));
        assertThat(rowA.get(3)).isEqualTo(String.valueOf(31 * 2 * 6));

        // before hospital B cut its share, every district hospital kept 40 %
        List<PolicyCheck> early = policy.check(new ReportRange(SeededMonth.FIRST, SeededMonth.B_SHORT_FROM.minusDays(1), null));
        assertThat(early.get(0).verdict()).isEqualTo(PolicyCheck.Verdict.YES);

        // this month's quota was made outside the release jobs: no opening is recorded, so it cannot be proven
        PolicyCheck ahead = checks.stream().filter(c -> c.id().equals(PolicyChecks.COMMUNITY_DAYS_AHEAD)).findFirst()
                .orElseThrow();
        assertThat(ahead.verdict()).isEqualTo(PolicyCheck.Verdict.NO);
        assertThat(ahead.evidence()).anySatisfy(r -> assertThat(r).containsExactly(nameA, "62", "0", "—", "0", "62"));

        PolicyCheck onsite = checks.stream().filter(c -> c.id().equals(PolicyChecks.ONSITE_NOT_BY_PHONE)).findFirst()
                .orElseThrow();
        assertThat(onsite.verdict()).isEqualTo(PolicyCheck.Verdict.YES);
        int onsitePlaces = jdbc.queryForObject("""
                SELECT SUM(q.capacity) FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id
                WHERE q.pool = 'ONSITE' AND sl.slot_date BETWEEN ? AND ?""", Integer.class, SeededMonth.FIRST,
                SeededMonth.LAST);
        assertThat(onsite.evidence().get(0).get(1)).isEqualTo(String.valueOf(onsitePlaces));
    }

    @Test
    void onsiteBookedByAnyRouteTurnsTheAnswerToNo() {
        // the booking API refuses ONSITE to every channel, so a broken writer is simulated with SQL
        LocalDate day = LocalDate.of(2034, 6, 10);
        clock.set(day.minusDays(3).atTime(9, 0));
        try {
            long h = fx.facility("DISTRICT_HOSPITAL");
            long slot = fx.slot(fx.outpatientService(h), day.atTime(9, 0), 2, 4, 6);
            long pool = jdbc.queryForObject("SELECT id FROM quota_pool WHERE slot_id = ? AND pool = 'ONSITE'",
                    Long.class, slot);
            jdbc.update("""
                    INSERT INTO booking (code, status, slot_id, pool_id, pool, service_id, facility_id, slot_date,
                      slot_starts_at, patient_hash, patient_masked, patient_age, channel, created_at)
                    SELECT '999001', 'ACTIVE', sl.id, ?, 'ONSITE', sl.service_id, ?, sl.slot_date, sl.starts_at,
                      'x', '**************0000', 84, 'AGENT', NOW(3) FROM slot sl WHERE sl.id = ?""",
                    pool, h, slot);
            PolicyCheck onsite = policy.check(ReportRange.day(day, null)).get(2);
            assertThat(onsite.id()).isEqualTo(PolicyChecks.ONSITE_NOT_BY_PHONE);
            assertThat(onsite.verdict()).isEqualTo(PolicyCheck.Verdict.NO);
            assertThat(onsite.evidence()).anySatisfy(r -> assertThat(r).containsExactly("预约（人工坐席）", "1"));
        } finally {
            jdbc.update("UPDATE booking SET status = 'CANCELLED' WHERE code = '999001' AND status = 'ACTIVE'");
            clock.reset();
        }
    }

    // ---------------------------------------------------------------- CSV over HTTP

    HttpResponse<byte[]> get(String path) throws Exception {
        return get(path, supervisor);
    }

    /** As a console user, with HTTP Basic (how a script fetches a CSV). */
    HttpResponse<byte[]> get(String path, String user) throws Exception {
        String basic = java.util.Base64.getEncoder()
                .encodeToString((user + ":" + ConsoleFixtures.PASSWORD).getBytes(StandardCharsets.UTF_8));
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Basic " + basic).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Decodes strictly: a byte that is not UTF-8 fails the test instead of turning into U+FFFD. */
    static String strictUtf8(byte[] bytes, int from) throws Exception {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, from, bytes.length - from)).toString();
    }

    /** RFC 4180, as a spreadsheet reads it. */
    static List<List<String>> parseCsv(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                row.add(cell.toString());
                cell.setLength(0);
            } else if (ch == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                row.add(cell.toString());
                cell.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                i++;
            } else {
                assertThat(ch).as("bare line feed or carriage return").isNotIn('\r', '\n');
                cell.append(ch);
            }
        }
        assertThat(cell.length() + row.size()).as("file ends with CRLF").isZero();
        return rows;
    }

    @Test
    void facilityDaysCsvHasTheBomOpensAsUtf8AndCarriesTheSameFigures() throws Exception {
        HttpResponse<byte[]> r = get("/ops/reports/facility-days.csv?from=" + SeededMonth.FIRST + "&to="
                + SeededMonth.LAST + "&facility=" + month.hospitalA);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).isEqualToIgnoringCase("text/csv;charset=UTF-8");
        assertThat(r.headers().firstValue("Content-Disposition").orElseThrow()).startsWith("attachment;")
                .contains("filename*=UTF-8''%E6%9C%BA%E6%9E%84%E6%97%A5%E6%8A%A5_2034-03-01_2034-03-31.csv");
        byte[] body = r.body();
        assertThat(Arrays.copyOf(body, 3)).containsExactly(0xEF, 0xBB, 0xBF);
        String text = strictUtf8(body, 3);
        assertThat(text).doesNotStartWith("\uFEFF");
        List<List<String>> rows = parseCsv(text);
        List<String> head = rows.get(0);
        assertThat(head.subList(0, 4)).containsExactly("就诊日", "机构代码", "机构", "预约合计");
        assertThat(head).contains("语音菜单", "人工坐席", "社区医生", "短信回复", "60岁以下", "60–79岁", "80岁及以上", "取消", "爽约");
        for (List<String> row : rows) {
            assertThat(row).hasSameSizeAs(head);
        }
        Map<Key, Map<String, Integer>> expected = expected();
        int checked = 0;
        for (List<String> row : rows.subList(1, rows.size())) {
            LocalDate day = LocalDate.parse(row.get(0));
            if (day.isBefore(SeededMonth.FIRST)) {
                continue;
            }
            Map<String, Integer> e = expected.getOrDefault(new Key(month.hospitalA, day), Map.of());
            assertThat(Integer.parseInt(row.get(3))).as("%s total", day).isEqualTo(e.getOrDefault("bookings", 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("语音菜单"))))
                    .isEqualTo(e.getOrDefault("channel." + Channel.PHONE_MENU, 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("社区医生"))))
                    .isEqualTo(e.getOrDefault("channel." + Channel.COMMUNITY_DOCTOR, 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("80岁及以上")))).isEqualTo(e.getOrDefault("band.FROM_80", 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("60–79岁"))))
                    .isEqualTo(e.getOrDefault("band.FROM_60_TO_79", 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("取消")))).isEqualTo(e.getOrDefault("status.CANCELLED", 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("爽约")))).isEqualTo(e.getOrDefault("status.NO_SHOW", 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("社区号已约")))).isEqualTo(e.getOrDefault("booked.COMMUNITY", 0));
            assertThat(Integer.parseInt(row.get(head.indexOf("普通号剩余"))))
                    .isEqualTo(12 - e.getOrDefault("booked.PUBLIC", 0) - e.getOrDefault("held.PUBLIC", 0));
            assertThat(row.get(2)).isEqualTo(jdbc.queryForObject("SELECT name FROM facility WHERE id = ?",
                    String.class, month.hospitalA));
            checked++;
        }
        assertThat(checked).isEqualTo(31);
    }

    @Test
    void policyCsvAndPagesAnswerInChinese() throws Exception {
        HttpResponse<byte[]> csv = get("/ops/policy.csv?from=" + SeededMonth.FIRST + "&to=" + SeededMonth.LAST);
        assertThat(Arrays.copyOf(csv.body(), 3)).containsExactly(0xEF, 0xBB, 0xBF);
        List<List<String>> rows = parseCsv(strictUtf8(csv.body(), 3));
        assertThat(rows.get(0)).containsExactly("检查项", "结论", "说明");
        assertThat(rows.get(1).get(1)).isEqualTo("否");
        assertThat(rows.get(3).get(1)).isEqualTo("是");

        HttpResponse<byte[]> page = get("/ops/policy?from=" + SeededMonth.FIRST + "&to=" + SeededMonth.LAST);
        assertThat(page.statusCode()).isEqualTo(200);
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertThat(html).contains("政策核查", "区级医院社区下沉号源是否不低于 40.0%", "现场号是否从未被电话预约",
                "class=\"verdict NO\"", "class=\"verdict YES\"");
        HttpResponse<byte[]> day = get("/ops/reports/day?facility=" + month.hospitalA + "&date=" + SeededMonth.FIRST);
        assertThat(day.statusCode()).isEqualTo(200);
        String dayHtml = new String(day.body(), StandardCharsets.UTF_8);
        assertThat(dayHtml).contains("日报", "号源池", "转人工（全热线）", "回拨（全热线）", "短信", "放号是否准时");
        assertThat(get("/ops/reports?from=2034-01-01&to=2034-12-31").statusCode()).isEqualTo(400);
    }
}
