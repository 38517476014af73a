package org.hotline.ops.report;

import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

import org.hotline.booking.Channel;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.Pool;

/**
 * The figures of the supervision reports, read straight from the tables the other modules write
 * (booking, quota_pool, call_transfer, callback_request, …). Read-only: it never writes.
 */
@Service
public class SupervisionReports {

    private final JdbcTemplate jdbc;
    private final ReportProperties props;
    private final ModuleTables tables;

    public SupervisionReports(JdbcTemplate jdbc, ReportProperties props, ModuleTables tables) {
        this.jdbc = jdbc;
        this.props = props;
        this.tables = tables;
    }

    /** Refuses a range longer than {@code hotline.ops.report.max-days}. */
    public ReportRange checked(ReportRange range) {
        if (range.days() > props.maxDays()) {
            throw new IllegalArgumentException("报表最多覆盖 " + props.maxDays() + " 天");
        }
        return range;
    }

    // ---------------------------------------------------------------- facilities

    public List<FacilityRef> facilities() {
        return jdbc.query("SELECT id, code, name, kind FROM facility ORDER BY sort_order, id",
                (rs, i) -> new FacilityRef(rs.getLong(1), rs.getString(2), rs.getString(3),
                        FacilityKind.valueOf(rs.getString(4))));
    }

    private Map<Long, FacilityRef> facilityMap() {
        Map<Long, FacilityRef> m = new HashMap<>();
        for (FacilityRef f : facilities()) {
            m.put(f.id(), f);
        }
        return m;
    }

    // ---------------------------------------------------------------- facility days

    private static final class Acc {
        int bookings;
        int cancelled;
        int noShows;
        int attended;
        int madeThatDay;
        final Map<Channel, Integer> channel = new EnumMap<>(Channel.class);
        final Map<AgeBand, Integer> band = new EnumMap<>(AgeBand.class);
        final Map<Pool, Integer> pool = new EnumMap<>(Pool.class);
        final Map<Pool, int[]> quota = new EnumMap<>(Pool.class); // slots, capacity, held, booked, out, in
    }

    private record Key(long facilityId, LocalDate day) {
    }

    /** One row per facility and clinic day in the range that had slots or bookings. */
    public List<FacilityDay> facilityDays(ReportRange range) {
        checked(range);
        Map<Key, Acc> acc = new HashMap<>();
        String facility = range.facilityId() == null ? "" : " AND s.facility_id = " + range.facilityId();
        jdbc.query("""
                SELECT s.facility_id, sl.slot_date, q.pool, COUNT(*), SUM(q.capacity), SUM(q.held), SUM(q.booked)
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                WHERE sl.slot_date BETWEEN ? AND ?""" + facility + " GROUP BY s.facility_id, sl.slot_date, q.pool",
                rs -> {
                    Acc a = acc.computeIfAbsent(new Key(rs.getLong(1), rs.getObject(2, LocalDate.class)),
                            k -> new Acc());
                    a.quota.put(Pool.valueOf(rs.getString(3)),
                            new int[] {rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getInt(7), 0, 0});
                }, range.from(), range.to());
        String bookingFacility = range.facilityId() == null ? "" : " AND b.facility_id = " + range.facilityId();
        // the age on the slot's day, in whole years, as the bureau counts it (kept on the booking instead of a birth date)
        jdbc.query("""
                SELECT b.facility_id, b.slot_date, b.channel, b.pool, b.status,
                       CASE WHEN b.patient_age >= 80 THEN 'FROM_80'
                            WHEN b.patient_age >= 60 THEN 'FROM_60_TO_79'
                            ELSE 'UNDER_60' END AS band,
                       COUNT(*)
                FROM booking b WHERE b.slot_date BETWEEN ? AND ?""" + bookingFacility
                + " GROUP BY b.facility_id, b.slot_date, b.channel, b.pool, b.status, band", rs -> {
                    Acc a = acc.computeIfAbsent(new Key(rs.getLong(1), rs.getObject(2, LocalDate.class)),
                            k -> new Acc());
                    int n = rs.getInt(7);
                    a.bookings += n;
                    a.channel.merge(Channel.valueOf(rs.getString(3)), n, Integer::sum);
                    a.pool.merge(Pool.valueOf(rs.getString(4)), n, Integer::sum);
                    a.band.merge(AgeBand.valueOf(rs.getString(6)), n, Integer::sum);
                    switch (rs.getString(5)) {
                        case "CANCELLED" -> a.cancelled += n;
                        case "NO_SHOW" -> a.noShows += n;
                        case "ATTENDED" -> a.attended += n;
                        default -> {
                        }
                    }
                }, range.from(), range.to());
        jdbc.query("""
                SELECT b.facility_id, DATE(b.created_at), COUNT(*) FROM booking b
                WHERE b.created_at >= ? AND b.created_at < ?""" + bookingFacility
                + " GROUP BY b.facility_id, DATE(b.created_at)", rs -> {
                    acc.computeIfAbsent(new Key(rs.getLong(1), rs.getObject(2, LocalDate.class)),
                            k -> new Acc()).madeThatDay += rs.getInt(3);
                }, range.from().atStartOfDay(), range.end().atStartOfDay());
        addMoves(range, acc);
        Map<Long, FacilityRef> facilities = facilityMap();
        List<FacilityDay> out = new ArrayList<>();
        for (Map.Entry<Key, Acc> e : acc.entrySet()) {
            Acc a = e.getValue();
            Map<Pool, PoolUse> pools = new EnumMap<>(Pool.class);
            for (Map.Entry<Pool, int[]> q : a.quota.entrySet()) {
                int[] v = q.getValue();
                pools.put(q.getKey(), new PoolUse(q.getKey(), v[0], v[1] + v[4] - v[5], v[4], v[5], v[1], v[3], v[2],
                        v[1] - v[2] - v[3]));
            }
            out.add(new FacilityDay(facilities.get(e.getKey().facilityId()), e.getKey().day(), a.bookings, a.channel,
                    a.band, a.pool, pools, a.cancelled, a.noShows, a.attended, a.madeThatDay));
        }
        out.sort(Comparator.comparing((FacilityDay d) -> d.facility().id()).thenComparing(FacilityDay::day));
        return out;
    }

    /** Places the release jobs moved between pools (none until the release module records moves). */
    private void addMoves(ReportRange range, Map<Key, Acc> acc) {
        if (!tables.has(ModuleTables.RELEASE_STEP)) {
            return;
        }
        jdbc.query("""
                SELECT st.facility_id, st.slot_date, st.pool, st.target_pool, SUM(st.places) FROM release_step st
                WHERE st.action <> 'OPEN' AND st.status = 'DONE' AND st.slot_date BETWEEN ? AND ?"""
                + (range.facilityId() == null ? "" : " AND st.facility_id = " + range.facilityId())
                + " GROUP BY st.facility_id, st.slot_date, st.pool, st.target_pool", rs -> {
                    Acc a = acc.get(new Key(rs.getLong(1), rs.getObject(2, LocalDate.class)));
                    if (a == null) {
                        return;
                    }
                    int places = rs.getInt(5);
                    int[] from = a.quota.get(Pool.valueOf(rs.getString(3)));
                    int[] to = a.quota.get(Pool.valueOf(rs.getString(4)));
                    if (from != null) {
                        from[4] += places;
                    }
                    if (to != null) {
                        to[5] += places;
                    }
                }, range.from(), range.to());
    }

    /** Whether moves between pools are recorded (the release module's steps). */
    public boolean movesRecorded() {
        return tables.has(ModuleTables.RELEASE_STEP);
    }

    // ---------------------------------------------------------------- bookings per hour

    /** Bookings made in each hour (0–23) of the day, at one facility or (null) on the whole hotline. */
    public int[] bookingsPerHour(LocalDate day, Long facilityId) {
        int[] hours = new int[24];
        jdbc.query("SELECT HOUR(created_at), COUNT(*) FROM booking WHERE created_at >= ? AND created_at < ?"
                + (facilityId == null ? "" : " AND facility_id = " + facilityId) + " GROUP BY HOUR(created_at)",
                rs -> {
                    hours[rs.getInt(1)] = rs.getInt(2);
                }, Timestamp.valueOf(day.atStartOfDay()), Timestamp.valueOf(day.plusDays(1).atStartOfDay()));
        return hours;
    }

    // ---------------------------------------------------------------- transfers and call-backs

    /**
     * Transfers to a person on one day for one reason. The hotline's transfers are not tied to a facility
     * (the caller may not have chosen one yet), so these are the whole hotline's.
     *
     * @param answered transfers an agent picked up (null: pick-ups are not recorded)
     * @param avgSecondsToAnswer mean seconds from the transfer to the pick-up (null when none or not recorded)
     */
    public record TransferFigures(LocalDate day, String reason, int transfers, Integer answered,
            Double avgSecondsToAnswer, Integer maxSecondsToAnswer) {
    }

    public List<TransferFigures> transfers(ReportRange range) {
        checked(range);
        if (!answerTimeRecorded()) {
            return jdbc.query("""
                    SELECT DATE(t.created_at), t.reason, COUNT(*) FROM call_transfer t
                    WHERE t.created_at >= ? AND t.created_at < ?
                    GROUP BY DATE(t.created_at), t.reason ORDER BY 1, 2""",
                    (rs, i) -> new TransferFigures(rs.getObject(1, LocalDate.class), rs.getString(2), rs.getInt(3),
                            null, null, null),
                    range.from().atStartOfDay(), range.end().atStartOfDay());
        }
        // the data's answer is an agent taking the call in the console (transfer_pickup, first agent wins)
        return jdbc.query("""
                SELECT DATE(t.created_at), t.reason, COUNT(*), COUNT(p.transfer_id),
                       AVG(TIMESTAMPDIFF(MICROSECOND, t.created_at, p.picked_at)) / 1000000,
                       MAX(TIMESTAMPDIFF(SECOND, t.created_at, p.picked_at))
                FROM call_transfer t LEFT JOIN transfer_pickup p ON p.transfer_id = t.transfer_id
                WHERE t.created_at >= ? AND t.created_at < ?
                GROUP BY DATE(t.created_at), t.reason ORDER BY 1, 2""",
                (rs, i) -> new TransferFigures(rs.getObject(1, LocalDate.class), rs.getString(2), rs.getInt(3),
                        rs.getInt(4), rs.getObject(5) == null ? null : rs.getDouble(5),
                        rs.getObject(6) == null ? null : rs.getInt(6)),
                range.from().atStartOfDay(), range.end().atStartOfDay());
    }

    /**
     * The agents' queue as Asterisk reported it (AMI queue events, {@code queue_call}), by the hour callers joined
     * and the caller's age band (from the caller's transfer; UNKNOWN when the menu did not learn it).
     *
     * @param answered           callers a member took (AgentConnect)
     * @param avgSecondsToAnswer mean HoldTime of those (AgentConnect), null when none
     * @param abandoned          callers who hung up waiting (QueueCallerAbandon)
     * @param avgAbandonWait     mean HoldTime of those, null when none
     */
    public record QueueFigures(LocalDate day, int hour, String ageBand, int joined, int answered,
            Double avgSecondsToAnswer, Integer maxSecondsToAnswer, int abandoned, Double avgAbandonWait) {

        public String ageBandLabel() {
            return "UNKNOWN".equals(ageBand) ? "未知" : AgeBand.valueOf(ageBand).label();
        }
    }

    /** Whether queue events are recorded (an Asterisk's AMI is configured: the outbound module's queue_call). */
    public boolean queueRecorded() {
        return tables.has(ModuleTables.QUEUE_CALL);
    }

    public List<QueueFigures> queue(ReportRange range) {
        checked(range);
        if (!queueRecorded()) {
            return List.of();
        }
        return jdbc.query("""
                SELECT d, h, band, COUNT(*), SUM(connected_at IS NOT NULL),
                       AVG(CASE WHEN connected_at IS NOT NULL THEN hold_seconds END),
                       MAX(CASE WHEN connected_at IS NOT NULL THEN hold_seconds END),
                       SUM(abandoned), AVG(CASE WHEN abandoned = 1 THEN hold_seconds END)
                FROM (SELECT DATE(q.joined_at) AS d, HOUR(q.joined_at) AS h, q.connected_at, q.hold_seconds, q.abandoned,
                        CASE WHEN a.age IS NULL THEN 'UNKNOWN' WHEN a.age >= 80 THEN 'FROM_80'
                             WHEN a.age >= 60 THEN 'FROM_60_TO_79' ELSE 'UNDER_60' END AS band
                      FROM queue_call q
                      LEFT JOIN (SELECT call_id, MAX(patient_age) AS age FROM call_transfer GROUP BY call_id) a
                        ON a.call_id = q.uniqueid
                      WHERE q.joined_at >= ? AND q.joined_at < ?) x
                GROUP BY d, h, band ORDER BY d, h, band""",
                (rs, i) -> new QueueFigures(rs.getObject(1, LocalDate.class), rs.getInt(2), rs.getString(3),
                        rs.getInt(4), rs.getInt(5), rs.getObject(6) == null ? null : rs.getDouble(6),
                        rs.getObject(7) == null ? null : rs.getInt(7), rs.getInt(8),
                        rs.getObject(9) == null ? null : rs.getDouble(9)),
                range.from().atStartOfDay(), range.end().atStartOfDay());
    }

    /** Whether the data records when an agent answered a transfer (the agent console's pick-ups). */
    public boolean answerTimeRecorded() {
        return tables.has(ModuleTables.TRANSFER_PICKUP);
    }

    /**
     * Call-backs requested on one day for one reason, where they stand now, and what the agents' tries
     * came to.
     *
     * @param byStatus                 OPEN, DONE, GAVE_UP → count
     * @param attemptsByOutcome        REACHED, NO_ANSWER, BUSY, WRONG_NUMBER → tries (empty: not recorded)
     * @param avgSecondsToFirstAttempt mean time from the request to its first try (null: none, or not recorded)
     */
    public record CallbackFigures(LocalDate day, String reason, int requested, Map<String, Integer> byStatus,
            Map<String, Integer> attemptsByOutcome, Double avgSecondsToFirstAttempt) {

        public int status(String s) {
            return byStatus.getOrDefault(s, 0);
        }

        public int attempts(String outcome) {
            return attemptsByOutcome.getOrDefault(outcome, 0);
        }
    }

    /** Whether agents' call-back tries are recorded (the agent console's callback_attempt). */
    public boolean callbackAttemptsRecorded() {
        return tables.has(ModuleTables.CALLBACK_ATTEMPT);
    }

    public List<CallbackFigures> callbacks(ReportRange range) {
        checked(range);
        record Acc(Map<String, Integer> status, Map<String, Integer> attempts, Double[] first) {
        }
        Map<List<Object>, Acc> rows = new TreeMap<>((a, b) -> (a.get(0) + " " + a.get(1))
                .compareTo(b.get(0) + " " + b.get(1)));
        Object[] args = {range.from().atStartOfDay(), range.end().atStartOfDay()};
        jdbc.query("""
                SELECT DATE(c.created_at), c.reason, c.status, COUNT(*) FROM callback_request c
                WHERE c.created_at >= ? AND c.created_at < ?
                GROUP BY DATE(c.created_at), c.reason, c.status""", rs -> {
                    rows.computeIfAbsent(List.of(rs.getObject(1, LocalDate.class), rs.getString(2)),
                            k -> new Acc(new TreeMap<>(), new TreeMap<>(), new Double[1]))
                            .status().merge(rs.getString(3), rs.getInt(4), Integer::sum);
                }, args);
        if (callbackAttemptsRecorded()) {
            jdbc.query("""
                    SELECT DATE(c.created_at), c.reason, a.outcome, COUNT(*) FROM callback_request c
                    JOIN callback_attempt a ON a.callback_id = c.id
                    WHERE c.created_at >= ? AND c.created_at < ?
                    GROUP BY DATE(c.created_at), c.reason, a.outcome""", rs -> {
                        Acc a = rows.get(List.of(rs.getObject(1, LocalDate.class), rs.getString(2)));
                        if (a != null) {
                            a.attempts().merge(rs.getString(3), rs.getInt(4), Integer::sum);
                        }
                    }, args);
            jdbc.query("""
                    SELECT DATE(c.created_at), c.reason,
                           AVG(TIMESTAMPDIFF(MICROSECOND, c.created_at, f.first_at)) / 1000000
                    FROM callback_request c
                    JOIN (SELECT callback_id, MIN(attempted_at) AS first_at FROM callback_attempt GROUP BY callback_id) f
                      ON f.callback_id = c.id
                    WHERE c.created_at >= ? AND c.created_at < ?
                    GROUP BY DATE(c.created_at), c.reason""", rs -> {
                        Acc a = rows.get(List.of(rs.getObject(1, LocalDate.class), rs.getString(2)));
                        if (a != null) {
                            a.first()[0] = rs.getDouble(3);
                        }
                    }, args);
        }
        List<CallbackFigures> out = new ArrayList<>();
        rows.forEach((k, a) -> out.add(new CallbackFigures((LocalDate) k.get(0), (String) k.get(1),
                a.status().values().stream().mapToInt(Integer::intValue).sum(), a.status(), a.attempts(),
                a.first()[0])));
        return out;
    }
}
