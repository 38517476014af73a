package org.hotline.cluster;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import org.hotline.booking.Pool;
import org.hotline.booking.QuotaPools;
import org.hotline.booking.ResidentId;
import org.hotline.release.ReleasePlan;

/**
 * The cluster scenario: seeds a hospital with a few hot slots and a department whose quota is released
 * while the calls run, places many concurrent FastAGI booking calls spread over the gateways (the test is
 * Asterisk and the callers), lets the test inject faults meanwhile, then reads the database truth.
 */
public final class ClusterRun {

    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
    /** The seeded hospital and departments: codes with recorded names, so the menu says them (fac_hd1, svc_nk, svc_yk). */
    static final String HOSPITAL = "HD1";
    static final String HOT_DEPARTMENT = "NK";
    static final String RELEASE_DEPARTMENT = "YK";
    /** Places of each release slot's pools (PUBLIC, and ONSITE before a move adds to it). */
    static final int RELEASE_PUBLIC = 10;
    static final int RELEASE_ONSITE = 2;
    /** Runs in this JVM so far: each run's callers have their own IDs and phones (the database outlives a run). */
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** How each call ended as the caller heard it: "booked CODE", "refused REASON", "no places", "agent …", "failed …". */
    public final Map<Integer, String> answers = new ConcurrentHashMap<>();
    public final Map<Integer, Integer> gatewayOfCall = new ConcurrentHashMap<>();
    /** Calls a gateway dropped mid-way (the dialplan then tried the next gateway). */
    public final Set<Integer> cutOff = ConcurrentHashMap.newKeySet();
    /** Calls that needed another gateway than their first (refused connection or cut off). */
    public final AtomicInteger failedOver = new AtomicInteger();
    /** Per gateway: callers keying their ID right now, a place held for each at that gateway. */
    public final java.util.concurrent.atomic.AtomicIntegerArray holding = new java.util.concurrent.atomic.AtomicIntegerArray(16);
    public final List<Long> slots = new ArrayList<>();
    public final List<LocalTime> slotTimes = new ArrayList<>();
    /** The release slots, and each planned release step: what, on which slot, when. */
    public final List<Long> releaseSlots = new ArrayList<>();
    public final List<PlannedRelease> releases = new ArrayList<>();
    LocalDate day;
    LocalDateTime plannedAt;
    long facility;
    long releaseService;
    final JdbcTemplate db;
    final HttpClient http;
    final ReleasePlan plan;
    final int idBase;
    final String uniqueIdPrefix;

    public ClusterRun(String checkUrl, String user, String password, HttpClient http) {
        SingleConnectionDataSource ds = new SingleConnectionDataSource(checkUrl, user, password, true);
        this.db = new JdbcTemplate(ds);
        this.http = http;
        // the release module's own planner (ReleasePlan.planOpen / planMove: "a special release at a set time")
        this.plan = new ReleasePlan(db, new DataSourceTransactionManager(ds), Clock.system(ZONE), null,
                new QuotaPools(db));
        int run = RUNS.getAndIncrement();
        this.idBase = run * 2000;
        // as Asterisk's uniqueid: epoch seconds and a sequence number
        this.uniqueIdPrefix = Long.toString(System.currentTimeMillis() / 1000 + run);
    }

    public JdbcTemplate db() {
        return db;
    }

    /**
     * The hospital {@value #HOSPITAL} (海淀区中心医院) with department {@value #HOT_DEPARTMENT} (内科): {@code count}
     * slots tomorrow (09:00, 09:30, …), each with {@code places} PUBLIC places, open now. A hospital of that
     * code left by an earlier run on this database is renamed and its phone quota closed, so the callers
     * hear only this run's hospital.
     */
    public void seedHotSlots(int count, int places) {
        LocalDateTime now = LocalDateTime.now(ZONE);
        db.update("""
                UPDATE quota_pool q JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                JOIN facility f ON f.id = s.facility_id SET q.closes_at = LEAST(q.closes_at, ?)
                WHERE f.code = ?""", now.minusMinutes(1), HOSPITAL);
        db.update("UPDATE facility SET code = CONCAT('old-', id) WHERE code = ?", HOSPITAL);
        db.update("INSERT INTO facility (code, name, kind, sort_order) VALUES (?, '海淀区中心医院', 'DISTRICT_HOSPITAL', 1)",
                HOSPITAL);
        facility = db.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, HOSPITAL);
        day = now.toLocalDate().plusDays(1);
        long service = service(HOT_DEPARTMENT, "内科", 1);
        LocalDateTime first = day.atTime(9, 0);
        long session = session(service, "MORNING", first);
        for (int i = 0; i < count; i++) {
            LocalDateTime start = first.plusMinutes(30L * i);
            long slot = slot(session, service, start, places, now.minusHours(1), start.minusHours(2));
            slots.add(slot);
            slotTimes.add(start.toLocalTime());
        }
    }

    private long service(String code, String name, int sortOrder) {
        db.update("INSERT INTO service (facility_id, code, kind, name, sort_order) VALUES (?, ?, 'OUTPATIENT', ?, ?)",
                facility, code, name, sortOrder);
        return db.queryForObject("SELECT id FROM service WHERE facility_id = ? AND code = ?", Long.class, facility, code);
    }

    private long session(long service, String period, LocalDateTime start) {
        db.update("""
                INSERT INTO clinic_session (service_id, session_date, period, starts_at, ends_at)
                VALUES (?, ?, ?, ?, ?)""", service, start.toLocalDate(), period, start, start.plusHours(4));
        return db.queryForObject("SELECT id FROM clinic_session WHERE service_id = ? AND period = ?", Long.class,
                service, period);
    }

    private long slot(long session, long service, LocalDateTime start, int publicPlaces, LocalDateTime opens,
            LocalDateTime closes) {
        db.update("INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
                session, service, start.toLocalDate(), start, start.plusMinutes(30));
        long slot = db.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class,
                service, start);
        for (String pool : List.of("ONSITE", "COMMUNITY", "PUBLIC")) {
            db.update("INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, ?, ?, ?, ?)",
                    slot, pool, pool.equals("PUBLIC") ? publicPlaces : RELEASE_ONSITE, opens, closes);
        }
        return slot;
    }

    /** A planned release step: OPEN of a slot's PUBLIC pool, or MOVE_TO_ONSITE of its unused places (the phone pool closes). */
    public record PlannedRelease(String action, long slotId, LocalDateTime plannedAt) {
    }

    /**
     * Department {@value #RELEASE_DEPARTMENT} (眼科) tomorrow afternoon, with releases planned through the
     * release module's planner from {@code firstAt}, one every {@code every}, openings and closings taking
     * turns: {@code opens} slots whose PUBLIC quota is closed until its planned opening, and {@code moves}
     * slots whose PUBLIC quota is open now and whose unused places are planned to go to walk-ins (ONSITE),
     * closing the phone pool. Different slots: a late opening (its trigger held by a dead node) must not
     * meet a punctual closing of the same pool. The gateways' clustered Quartz jobs carry them out.
     */
    public void planReleases(int opens, int moves, LocalDateTime firstAt, Duration every) {
        LocalDateTime now = LocalDateTime.now(ZONE);
        plannedAt = now;
        releaseService = service(RELEASE_DEPARTMENT, "眼科", 2);
        LocalDateTime first = day.atTime(14, 0);
        long session = session(releaseService, "AFTERNOON", first);
        LocalDateTime at = firstAt.truncatedTo(ChronoUnit.SECONDS);
        int opened = 0;
        int moved = 0;
        for (int i = 0; i < opens + moves; i++) {
            LocalDateTime start = first.plusMinutes(30L * i);
            long slot = slot(session, releaseService, start, RELEASE_PUBLIC, now.minusHours(1), start.minusHours(2));
            releaseSlots.add(slot);
            boolean open = moved >= moves || (opened < opens && i % 2 == 0);
            if (open) {
                plan.planOpen(slot, Pool.PUBLIC, at); // closes the pool until then
                releases.add(new PlannedRelease("OPEN", slot, at));
                opened++;
            } else {
                plan.planMove(slot, Pool.PUBLIC, Pool.ONSITE, at);
                releases.add(new PlannedRelease("MOVE_TO_ONSITE", slot, at));
                moved++;
            }
            at = at.plus(every);
        }
    }

    /** When the last planned release falls due. */
    public LocalDateTime lastReleaseAt() {
        return releases.stream().map(PlannedRelease::plannedAt).max(LocalDateTime::compareTo).orElseThrow();
    }

    /** A valid resident ID unique to call {@code n} of this run (birth dates two days apart). */
    public String residentId(int n) {
        LocalDate birth = LocalDate.of(1940, 1, 1).plusDays((idBase + n) * 2L);
        String first17 = "110105" + String.format("%04d%02d%02d", birth.getYear(), birth.getMonthValue(),
                birth.getDayOfMonth()) + "123";
        return first17 + ResidentId.checkDigit(first17);
    }

    public String mobile(int n) {
        return String.format("1391%07d", idBase + n);
    }

    /** Asterisk's uniqueid of call n's attempt a (the gateways log it as the call id). */
    public String uniqueId(int n, int attempt) {
        return uniqueIdPrefix + "." + (n * 10 + attempt);
    }

    /**
     * Places {@code calls} FastAGI calls, call n starting on gateway n % gateways and wanting hot slot
     * n % slots, arriving over {@code arrivalSpread}; each caller takes {@code pauseMin}..{@code pauseMax} ms
     * to key the ID (between the hold and the confirmation). One thread and one socket per call, as AGI is a
     * blocking line protocol; the pool is bounded by the number of calls. Returns a future that completes
     * when every call has ended.
     */
    public CompletableFuture<Void> placeCalls(List<GatewayProcess> gateways, int calls, Duration arrivalSpread,
            int pauseMin, int pauseMax) {
        AtomicInteger threads = new AtomicInteger();
        ExecutorService callers = new ThreadPoolExecutor(calls, calls, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(null, r, "caller-" + threads.incrementAndGet(), 256 * 1024);
                    t.setDaemon(true);
                    return t;
                });
        java.util.Random rnd = new java.util.Random(42);
        long start = System.nanoTime();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            int call = i;
            int slot = i % slots.size();
            long arriveMs = arrivalSpread.toMillis() * i / calls;
            Duration keying = Duration.ofMillis(pauseMin + rnd.nextInt(Math.max(1, pauseMax - pauseMin)));
            HotlineCaller caller = new HotlineCaller(
                    new HotlineCaller.Wish("fac_hd1", "svc_nk", day, slotTimes.get(slot)), mobile(call),
                    residentId(call), keying, attempt -> uniqueId(call, attempt), holding);
            all.add(CompletableFuture.runAsync(() -> {
                sleepUntil(start, arriveMs);
                HotlineCaller.Result r = caller.call(gateways, call % gateways.size());
                answers.put(call, r.heard());
                gatewayOfCall.put(call, r.gateway());
                if (r.cutOff()) {
                    cutOff.add(call);
                }
                if (r.attempts() > 1) {
                    failedOver.incrementAndGet();
                }
            }, callers));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> callers.shutdown());
    }

    /**
     * Waits (at most {@code atMost}) until some caller at gateway {@code g} holds a place while keying its ID,
     * so that a fault injected then cuts calls off mid-booking however slowly the machine runs; false if none did.
     */
    public boolean awaitHolding(int g, Duration atMost) throws InterruptedException {
        long end = System.nanoTime() + atMost.toNanos();
        while (holding.get(g) == 0) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private static void sleepUntil(long start, long ms) {
        long left = ms - (System.nanoTime() - start) / 1_000_000;
        if (left > 0) {
            try {
                Thread.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Answers by kind: booked, refused REASON, no places, agent, failed …; plus "cut off" (dropped by a gateway). */
    public Map<String, Long> summary() {
        Map<String, Long> m = new java.util.TreeMap<>();
        for (String a : answers.values()) {
            String k = a.startsWith("booked") ? "booked" : a.startsWith("agent") ? "agent"
                    : a.substring(0, Math.min(a.length(), 60));
            m.merge(k, 1L, Long::sum);
        }
        if (!cutOff.isEmpty()) {
            m.put("cut off (went on at the next gateway)", (long) cutOff.size());
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

    /**
     * What the cluster scheduler and the sweepers were doing, for a failure message: Quartz's nodes and their
     * last check-in, its triggers' states, the fires in progress (a dead node's stay until it is recovered),
     * the last job runs and the holds still active.
     */
    public String schedulerState() {
        StringBuilder b = new StringBuilder("\nQuartz nodes (now " + System.currentTimeMillis() + "):");
        try {
            db.query("SELECT instance_name, last_checkin_time, checkin_interval FROM qrtz_scheduler_state", rs -> {
                b.append("\n  ").append(rs.getString(1)).append(" checked in ").append(rs.getLong(2)).append(" every ")
                        .append(rs.getLong(3));
            });
            b.append("\ntriggers:");
            db.query("SELECT trigger_name, trigger_state, next_fire_time, prev_fire_time FROM qrtz_triggers", rs -> {
                b.append("\n  ").append(rs.getString(1)).append(' ').append(rs.getString(2)).append(" next ")
                        .append(rs.getLong(3)).append(" prev ").append(rs.getLong(4));
            });
            b.append("\nfired:");
            db.query("SELECT instance_name, trigger_name, state, fired_time FROM qrtz_fired_triggers", rs -> {
                b.append("\n  ").append(rs.getString(1)).append(' ').append(rs.getString(2)).append(' ')
                        .append(rs.getString(3)).append(" at ").append(rs.getLong(4));
            });
            b.append("\nlast job runs:");
            db.query("SELECT * FROM release_job_run ORDER BY id DESC LIMIT 12", rs -> {
                StringBuilder row = new StringBuilder();
                for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                    row.append(rs.getMetaData().getColumnLabel(c)).append('=').append(rs.getString(c)).append(' ');
                }
                b.append("\n  ").append(row);
            });
            b.append("\nactive holds: ").append(db.queryForObject(
                    "SELECT CONCAT(COUNT(*), ', oldest expiring ', COALESCE(MIN(expires_at), '-'), ', now ', NOW(6))"
                            + " FROM hold WHERE status = 'ACTIVE'", String.class));
        } catch (RuntimeException e) {
            b.append("\n(could not read: ").append(e).append(')');
        }
        return b.toString();
    }

    public int heldOnHotSlots() {
        return db.queryForObject("SELECT COALESCE(SUM(held), 0) FROM quota_pool WHERE slot_id IN (" + slotList() + ")",
                Integer.class);
    }

    String slotList() {
        return String.join(",", slots.stream().map(String::valueOf).toList());
    }

    /** The hot slots and the release slots. */
    String allSlotList() {
        List<Long> all = new ArrayList<>(slots);
        all.addAll(releaseSlots);
        return String.join(",", all.stream().map(String::valueOf).toList());
    }

    /** A release step as the database has it, with its pool and the slot's ONSITE pool now. */
    public record StepTruth(String action, long slotId, LocalDateTime plannedAt, String status, LocalDateTime doneAt,
            int places, LocalDateTime opensAt, LocalDateTime closesAt, int capacity, int held, int booked,
            int onsiteCapacity, LocalDateTime slotStartsAt) {
    }

    public List<StepTruth> releaseSteps() {
        return db.query("""
                SELECT st.action, st.slot_id, st.planned_at, st.status, st.done_at, st.places, q.opens_at, q.closes_at,
                       q.capacity, q.held, q.booked,
                       (SELECT o.capacity FROM quota_pool o WHERE o.slot_id = st.slot_id AND o.pool = 'ONSITE'),
                       st.slot_starts_at
                FROM release_step st JOIN quota_pool q ON q.id = st.pool_id
                WHERE st.service_id = ? ORDER BY st.planned_at, st.id""",
                (rs, i) -> new StepTruth(rs.getString(1), rs.getLong(2), rs.getObject(3, LocalDateTime.class),
                        rs.getString(4), rs.getObject(5, LocalDateTime.class), rs.getInt(6),
                        rs.getObject(7, LocalDateTime.class), rs.getObject(8, LocalDateTime.class), rs.getInt(9),
                        rs.getInt(10), rs.getInt(11), rs.getInt(12), rs.getObject(13, LocalDateTime.class)),
                releaseService);
    }

    /** One row of the release audit (the bureau's record of each opening and move). */
    public record AuditRow(String action, String pool, String targetPool, LocalDateTime plannedAt,
            LocalDateTime doneAt, int pools, int places, boolean followUp, String node) {
    }

    public List<AuditRow> releaseAudit() {
        return db.query("""
                SELECT action, pool, target_pool, planned_at, done_at, pools, places, follow_up, node
                FROM release_audit WHERE service_id = ? ORDER BY planned_at, id""",
                (rs, i) -> new AuditRow(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getObject(4, LocalDateTime.class), rs.getObject(5, LocalDateTime.class), rs.getInt(6),
                        rs.getInt(7), rs.getBoolean(8), rs.getString(9)), releaseService);
    }

    /** Runs of the open and move jobs since the releases were planned, by node (Quartz spreads the fires). */
    public Map<String, Integer> releaseJobRunsByNode() {
        Map<String, Integer> m = new java.util.TreeMap<>();
        db.query("""
                SELECT node, COUNT(*) FROM release_job_run WHERE job IN ('open', 'move') AND started_at >= ?
                GROUP BY node""", rs -> {
                    m.put(rs.getString(1).replaceAll(".*-", ""), rs.getInt(2));
                }, plannedAt);
        return m;
    }

    /** Quartz fires (job, fire time) that ran on more than one node since the releases were planned. */
    public int releaseFiresRunTwice() {
        return db.queryForObject("""
                SELECT COUNT(*) FROM (SELECT job, scheduled_at FROM release_job_run
                  WHERE job IN ('open', 'move') AND started_at >= ? AND scheduled_at IS NOT NULL
                  GROUP BY job, scheduled_at HAVING COUNT(*) > 1) twice""", Integer.class, plannedAt);
    }

    /** Waits until every planned release step has run (DONE or SKIPPED), or the timeout. */
    public boolean awaitReleases(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            Integer planned = db.queryForObject(
                    "SELECT COUNT(*) FROM release_step WHERE service_id = ? AND status = 'PLANNED'", Integer.class,
                    releaseService);
            if (planned != null && planned == 0) {
                return true;
            }
            Thread.sleep(500);
        }
        return false;
    }

    /** One pool as the counters and the rows say. */
    public record PoolTruth(long poolId, int capacity, int held, int booked, int activeHolds, int activeBookings) {
    }

    public List<PoolTruth> pools() {
        return db.query("""
                SELECT q.id, q.capacity, q.held, q.booked,
                       (SELECT COUNT(*) FROM hold h WHERE h.pool_id = q.id AND h.status = 'ACTIVE'),
                       (SELECT COUNT(*) FROM booking b WHERE b.pool_id = q.id AND b.status = 'ACTIVE')
                FROM quota_pool q WHERE q.slot_id IN (""" + allSlotList() + ") ORDER BY q.id",
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
                WHERE b.slot_id IN (""" + slotList() + ") AND m.status IN ('PENDING', 'SENDING', 'IN_DOUBT')", Integer.class);
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
