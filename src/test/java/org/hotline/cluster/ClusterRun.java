package org.hotline.cluster;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import org.hotline.booking.ResidentId;

/**
 * The cluster scenario: seeds a few hot slots, sends many concurrent booking calls spread over the
 * gateways, lets the test inject faults while they run, then reads the database truth.
 */
public final class ClusterRun {

    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");

    /** How a call ended as the caller heard it: "booked CODE", "refused REASON", or "failed ...". */
    public final Map<Integer, String> answers = new ConcurrentHashMap<>();
    public final Map<Integer, Integer> gatewayOfCall = new ConcurrentHashMap<>();
    public final List<Long> slots = new ArrayList<>();
    final JdbcTemplate db;
    final HttpClient http;

    public ClusterRun(String checkUrl, String user, String password, HttpClient http) {
        SingleConnectionDataSource ds = new SingleConnectionDataSource(checkUrl, user, password, true);
        this.db = new JdbcTemplate(ds);
        this.http = http;
    }

    public JdbcTemplate db() {
        return db;
    }

    /** {@code count} slots tomorrow (09:00, 09:30, …) of one new department, each with {@code places} PUBLIC places. */
    public void seedHotSlots(int count, int places) {
        LocalDateTime now = LocalDateTime.now(ZONE);
        String code = "CL" + System.nanoTime() % 1_000_000_000;
        db.update("INSERT INTO facility (code, name, kind, sort_order) VALUES (?, ?, 'DISTRICT_HOSPITAL', 1)", code,
                "集群测试医院" + code);
        long facility = db.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, code);
        db.update("INSERT INTO service (facility_id, code, kind, name, sort_order) VALUES (?, 'HOT', 'OUTPATIENT', '内科', 1)",
                facility);
        long service = db.queryForObject("SELECT id FROM service WHERE facility_id = ?", Long.class, facility);
        LocalDateTime first = now.toLocalDate().plusDays(1).atTime(9, 0);
        db.update("""
                INSERT INTO clinic_session (service_id, session_date, period, starts_at, ends_at)
                VALUES (?, ?, 'MORNING', ?, ?)""", service, first.toLocalDate(), first, first.plusHours(4));
        long session = db.queryForObject("SELECT id FROM clinic_session WHERE service_id = ?", Long.class, service);
        for (int i = 0; i < count; i++) {
            LocalDateTime start = first.plusMinutes(30L * i);
            db.update("INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
                    session, service, start.toLocalDate(), start, start.plusMinutes(30));
            long slot = db.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class,
                    service, start);
            for (String pool : List.of("ONSITE", "COMMUNITY", "PUBLIC")) {
                db.update("""
                        INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, ?, ?, ?, ?)""",
                        slot, pool, pool.equals("PUBLIC") ? places : 2, now.minusHours(1), start.minusHours(2));
            }
            slots.add(slot);
        }
    }

    /** A valid resident ID unique to call {@code n} (birth dates a day apart). */
    static String residentId(int n) {
        LocalDate birth = LocalDate.of(1940, 1, 1).plusDays(n * 7L);
        String first17 = "110105" + String.format("%04d%02d%02d", birth.getYear(), birth.getMonthValue(),
                birth.getDayOfMonth()) + "123";
        return first17 + ResidentId.checkDigit(first17);
    }

    static String mobile(int n) {
        return String.format("1391%07d", n);
    }

    /**
     * Places {@code calls} calls, call n on gateway n % gateways and hot slot n % slots, arriving over
     * {@code arrivalSpread}; each caller keys the ID for {@code pauseMin}..{@code pauseMax} ms between hold
     * and confirm. Returns a future that completes when every call has ended.
     */
    public CompletableFuture<Void> placeCalls(List<GatewayProcess> gateways, int calls, Duration arrivalSpread,
            int pauseMin, int pauseMax) {
        List<CompletableFuture<?>> all = new ArrayList<>();
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor();
        java.util.Random rnd = new java.util.Random(42);
        for (int i = 0; i < calls; i++) {
            int call = i;
            int g = i % gateways.size();
            long slot = slots.get(i % slots.size());
            long delay = arrivalSpread.toMillis() * i / calls;
            int pause = pauseMin + rnd.nextInt(Math.max(1, pauseMax - pauseMin));
            CompletableFuture<Void> done = new CompletableFuture<>();
            all.add(done);
            timer.schedule(() -> {
                String q = "slot=" + slot + "&id=" + residentId(call) + "&phone=" + mobile(call) + "&call=c-" + call
                        + "&pauseMs=" + pause;
                send(gateways, call, g, q, done, 1);
            }, delay, TimeUnit.MILLISECONDS);
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> timer.shutdown());
    }

    /** Nanos when gateway g was killed (0 while alive). */
    private final java.util.concurrent.atomic.AtomicLongArray deadSince = new java.util.concurrent.atomic.AtomicLongArray(16);

    public void markDead(int gateway) {
        deadSince.set(gateway, System.nanoTime());
    }

    private void send(List<GatewayProcess> gateways, int call, int g, String q, CompletableFuture<Void> done,
            int tries) {
        long sentAt = System.nanoTime();
        HttpRequest req = HttpRequest.newBuilder(gateways.get(g).uri("/cluster-test/call?" + q))
                .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.noBody()).build();
        http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, thrown) -> {
            Throwable e = thrown instanceof java.util.concurrent.CompletionException && thrown.getCause() != null
                    ? thrown.getCause() : thrown;
            if (e != null) {
                long dead = deadSince.get(g);
                boolean refused = e instanceof java.net.ConnectException
                        || e.getCause() instanceof java.net.ConnectException;
                if ((refused || (dead != 0 && sentAt >= dead)) && tries < gateways.size()) {
                    // as Asterisk's dialplan does: a gateway that does not answer, the next one takes the call
                    send(gateways, call, (g + 1) % gateways.size(), q, done, tries + 1);
                    return;
                }
                answers.put(call, (dead != 0 ? "cut off " : "failed ") + e.getClass().getSimpleName() + ": " + e.getMessage());
            } else if (r.statusCode() != 200) {
                answers.put(call, "failed HTTP " + r.statusCode());
            } else {
                answers.put(call, r.body());
            }
            gatewayOfCall.put(call, g);
            done.complete(null);
        });
    }

    /** Answers by kind: booked, refused REASON, cut off, failed. */
    public Map<String, Long> summary() {
        Map<String, Long> m = new java.util.TreeMap<>();
        for (String a : answers.values()) {
            String k = a.startsWith("booked") ? "booked" : a.startsWith("cut off") ? "cut off" : a.startsWith("failed") ? a.substring(0, Math.min(a.length(), 60)) : a;
            m.merge(k, 1L, Long::sum);
        }
        return m;
    }

    public long count(String prefix) {
        return answers.values().stream().filter(a -> a.startsWith(prefix)).count();
    }

    /** Waits until no place is held on the hot slots (the sweeper has given back the dead gateway's holds). */
    public boolean awaitNoHolds(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (heldOnHotSlots() == 0) {
                return true;
            }
            Thread.sleep(1000);
        }
        return false;
    }

    public int heldOnHotSlots() {
        return db.queryForObject("SELECT COALESCE(SUM(held), 0) FROM quota_pool WHERE slot_id IN (" + slotList() + ")",
                Integer.class);
    }

    String slotList() {
        return String.join(",", slots.stream().map(String::valueOf).toList());
    }

    /** One pool as the counters and the rows say. */
    public record PoolTruth(long poolId, int capacity, int held, int booked, int activeHolds, int activeBookings) {
    }

    public List<PoolTruth> pools() {
        return db.query("""
                SELECT q.id, q.capacity, q.held, q.booked,
                       (SELECT COUNT(*) FROM hold h WHERE h.pool_id = q.id AND h.status = 'ACTIVE'),
                       (SELECT COUNT(*) FROM booking b WHERE b.pool_id = q.id AND b.status = 'ACTIVE')
                FROM quota_pool q WHERE q.slot_id IN (""" + slotList() + ") ORDER BY q.id",
                (rs, i) -> new PoolTruth(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getInt(4), rs.getInt(5),
                        rs.getInt(6)));
    }

    public List<String> activeCodes() {
        return db.queryForList("SELECT code FROM booking WHERE status = 'ACTIVE' AND slot_id IN (" + slotList() + ")",
                String.class);
    }

    public Map<String, Integer> holdsByStatus() {
        Map<String, Integer> m = new java.util.TreeMap<>();
        db.query("SELECT status, COUNT(*) FROM hold WHERE slot_id IN (" + slotList() + ") GROUP BY status",
                rs -> {
                    m.put(rs.getString(1), rs.getInt(2));
                });
        return m;
    }

    /** Bookings whose hold is not CONFIRMED (must be none). */
    public int bookingsWithoutConfirmedHold() {
        return db.queryForObject("""
                SELECT COUNT(*) FROM booking b LEFT JOIN hold h ON h.id = b.hold_id
                WHERE b.slot_id IN (""" + slotList() + ") AND (h.id IS NULL OR h.status <> 'CONFIRMED')",
                Integer.class);
    }

    /** SMS of the hot slots' bookings not yet accepted by the SMSC. */
    public int smsWaiting() {
        return db.queryForObject("""
                SELECT COUNT(*) FROM sms_message m JOIN booking b ON b.id = m.booking_id
                WHERE b.slot_id IN (""" + slotList() + ") AND m.status IN ('PENDING', 'SENDING')", Integer.class);
    }

    public List<Map<String, Object>> smsOfBookings() {
        return db.queryForList("""
                SELECT m.id, m.phone, m.parts, m.status, m.kind FROM sms_message m JOIN booking b ON b.id = m.booking_id
                WHERE b.slot_id IN (""" + slotList() + ")");
    }

    /** Confirmation SMS per active booking with an SMS number (each must be 1). */
    public List<Integer> confirmationsPerBooking() {
        return db.queryForList("""
                SELECT (SELECT COUNT(*) FROM sms_message m WHERE m.booking_id = b.id AND m.kind = 'CONFIRMATION')
                FROM booking b WHERE b.slot_id IN (""" + slotList() + ") AND b.sms_phone IS NOT NULL",
                Integer.class);
    }

    /** hotline_booking_retries_total summed over operations, from one gateway's /actuator/prometheus. */
    public double retries(GatewayProcess g) throws Exception {
        return metric(g, "hotline_booking_retries_total");
    }

    public double metric(GatewayProcess g, String name) throws Exception {
        String body = http.send(HttpRequest.newBuilder(g.uri("/actuator/prometheus")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
