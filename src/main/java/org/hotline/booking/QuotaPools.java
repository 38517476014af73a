package org.hotline.booking;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The supply side of the quota pools, for the release module: new sessions with their slots and pools,
 * closing a pool until its release, and moving unused places between the pools of a slot. The pool
 * invariant {@code held + booked <= capacity} is kept here and in {@link BookingService}, never elsewhere.
 * Every method runs in the caller's transaction (it opens none), so a release step and its pool change
 * commit together.
 */
@Component
public class QuotaPools {

    /** {@code opens_at} of a pool whose opening has not run yet: never reached, so the booking core refuses it. */
    public static final LocalDateTime NOT_RELEASED = LocalDateTime.of(9999, 12, 31, 0, 0);

    /** A session added: its id and how many slots it got. */
    public record NewSession(long id, int slots) {
    }

    /** A slot and the ids of its pools (null where the slot has no such pool). */
    public record SlotPools(long slotId, long facilityId, long serviceId, LocalDate date, LocalDateTime startsAt,
            LocalDateTime endsAt, Long onsite, Long community, int communityCapacity, Long pub) {
    }

    /** A move of one source pool's unused places to a target pool. */
    public record Move(long source, long target) {
    }

    private final JdbcTemplate jdbc;

    public QuotaPools(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Adds a clinic session cut into slots of {@code slotMinutes}, each with an ONSITE pool open for the
     * day and COMMUNITY and PUBLIC pools {@link #NOT_RELEASED}, closing at {@code closes(slot start)}.
     *
     * @return the new session, or null when the service already has a session then
     */
    public NewSession addSession(long serviceId, LocalDate date, String period, LocalDateTime starts,
            LocalDateTime ends, int slotMinutes, int onsite, int community, int pub,
            UnaryOperator<LocalDateTime> closes) {
        int inserted = jdbc.update("""
                INSERT IGNORE INTO clinic_session (service_id, session_date, period, starts_at, ends_at)
                VALUES (?, ?, ?, ?, ?)""", serviceId, date, period, starts, ends);
        if (inserted == 0) {
            return null;
        }
        long sessionId = jdbc.queryForObject(
                "SELECT id FROM clinic_session WHERE service_id = ? AND session_date = ? AND period = ?",
                Long.class, serviceId, date, period);
        List<Object[]> slots = new ArrayList<>();
        for (LocalDateTime st = starts; !st.plusMinutes(slotMinutes).isAfter(ends); st = st.plusMinutes(slotMinutes)) {
            slots.add(new Object[] {sessionId, serviceId, date, st, st.plusMinutes(slotMinutes)});
        }
        jdbc.batchUpdate("""
                INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)""",
                slots);
        List<Object[]> pools = new ArrayList<>();
        jdbc.query("SELECT id, starts_at, ends_at FROM slot WHERE session_id = ?", rs -> {
            long slotId = rs.getLong(1);
            LocalDateTime st = rs.getObject(2, LocalDateTime.class);
            LocalDateTime en = rs.getObject(3, LocalDateTime.class);
            // ONSITE is the desk's: its window is the day itself, and no booking channel may take from it
            pools.add(new Object[] {slotId, "ONSITE", onsite, date.atStartOfDay(), en});
            pools.add(new Object[] {slotId, "COMMUNITY", community, NOT_RELEASED, closes.apply(st)});
            pools.add(new Object[] {slotId, "PUBLIC", pub, NOT_RELEASED, closes.apply(st)});
        }, sessionId);
        jdbc.batchUpdate("""
                INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, ?, ?, ?, ?)""",
                pools);
        return new NewSession(sessionId, slots.size());
    }

    /** A generated session: when, and how many places of its slots are held or booked. */
    public record SessionTaken(long id, long serviceId, LocalDate date, String period, LocalDateTime startsAt,
            int taken) {
    }

    /** What a roster change did to one session's slots. */
    public record Reshaped(long sessionId, boolean created, int added, int resized, int retired, int keptForBookings) {
    }

    /** The service's sessions that start after {@code after}, with the places taken in each (held + booked). */
    public List<SessionTaken> sessionsAfter(long serviceId, LocalDateTime after) {
        return jdbc.query("""
                SELECT cs.id, cs.service_id, cs.session_date, cs.period, cs.starts_at,
                       COALESCE((SELECT SUM(q.held + q.booked) FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id
                                 WHERE sl.session_id = cs.id), 0)
                FROM clinic_session cs WHERE cs.service_id = ? AND cs.starts_at > ? ORDER BY cs.starts_at""",
                (rs, i) -> new SessionTaken(rs.getLong(1), rs.getLong(2), rs.getObject(3, LocalDate.class),
                        rs.getString(4), rs.getObject(5, LocalDateTime.class), rs.getInt(6)), serviceId, after);
    }

    /**
     * Brings an existing session to a new roster line, or adds it when the service has none then. Under row locks
     * on the session and all its pools (taken before any change, in id order, so a booking racing it either took
     * its place before, and is kept, or waits and then sees the new capacity):
     * <ul>
     * <li>a slot whose start is one of the new slices gets the new quotas, but never fewer places than are held
     * or booked in a pool ({@code capacity = max(new, held + booked)});
     * <li>a slot that is no longer a slice keeps exactly its held and booked places and closes to new bookings
     * ({@code capacity = held + booked}, {@code closes_at = now}): it is never deleted;
     * <li>a new slice gets a new slot with pools closed until released (its caller plans the release).
     * </ul>
     * Runs in the caller's transaction.
     */
    public Reshaped reshapeSession(long serviceId, LocalDate date, String period, LocalDateTime starts,
            LocalDateTime ends, int slotMinutes, int onsite, int community, int pub,
            UnaryOperator<LocalDateTime> closes, LocalDateTime now) {
        List<Long> ids = jdbc.queryForList("""
                SELECT id FROM clinic_session WHERE service_id = ? AND session_date = ? AND period = ? FOR UPDATE""",
                Long.class, serviceId, date, period);
        if (ids.isEmpty()) {
            NewSession s = addSession(serviceId, date, period, starts, ends, slotMinutes, onsite, community, pub, closes);
            return s == null ? new Reshaped(0, false, 0, 0, 0, 0) : new Reshaped(s.id(), true, s.slots(), 0, 0, 0);
        }
        long sessionId = ids.get(0);
        record PoolRow(long id, long slotId, String pool, int capacity, int taken, LocalDateTime slotStart) {
        }
        List<PoolRow> pools = jdbc.query("""
                SELECT q.id, q.slot_id, q.pool, q.capacity, q.held + q.booked, sl.starts_at
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id WHERE sl.session_id = ? ORDER BY q.id FOR UPDATE""",
                (rs, i) -> new PoolRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
                        rs.getObject(6, LocalDateTime.class)), sessionId);
        java.util.Set<LocalDateTime> slices = new java.util.LinkedHashSet<>();
        for (LocalDateTime st = starts; !st.plusMinutes(slotMinutes).isAfter(ends); st = st.plusMinutes(slotMinutes)) {
            slices.add(st);
        }
        Map<String, Integer> wanted = Map.of("ONSITE", onsite, "COMMUNITY", community, "PUBLIC", pub);
        Map<Long, LocalDateTime> existing = new java.util.LinkedHashMap<>();
        Map<Long, Integer> takenBySlot = new HashMap<>();
        List<Object[]> capacities = new ArrayList<>();
        for (PoolRow p : pools) {
            existing.put(p.slotId(), p.slotStart());
            takenBySlot.merge(p.slotId(), p.taken(), Integer::sum);
            int capacity = slices.contains(p.slotStart()) ? Math.max(wanted.get(p.pool()), p.taken()) : p.taken();
            if (capacity != p.capacity()) {
                capacities.add(new Object[] {capacity, p.id()});
            }
        }
        jdbc.batchUpdate("UPDATE quota_pool SET capacity = ? WHERE id = ?", capacities);
        int resized = 0;
        int retired = 0;
        int kept = 0;
        for (var e : existing.entrySet()) {
            if (slices.contains(e.getValue())) {
                jdbc.update("UPDATE slot SET ends_at = ? WHERE id = ?", e.getValue().plusMinutes(slotMinutes), e.getKey());
                resized++;
            } else {
                jdbc.update("UPDATE quota_pool SET closes_at = LEAST(closes_at, ?) WHERE slot_id = ? AND pool <> 'ONSITE'",
                        now, e.getKey());
                retired++;
                if (takenBySlot.getOrDefault(e.getKey(), 0) > 0) {
                    kept++;
                }
            }
        }
        List<Object[]> newSlots = new ArrayList<>();
        for (LocalDateTime st : slices) {
            if (!existing.containsValue(st)) {
                newSlots.add(new Object[] {sessionId, serviceId, date, st, st.plusMinutes(slotMinutes)});
            }
        }
        jdbc.batchUpdate("INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
                newSlots);
        if (!newSlots.isEmpty()) {
            List<Object[]> newPools = new ArrayList<>();
            jdbc.query("""
                    SELECT sl.id, sl.starts_at, sl.ends_at FROM slot sl WHERE sl.session_id = ?
                    AND NOT EXISTS (SELECT 1 FROM quota_pool q WHERE q.slot_id = sl.id)""", rs -> {
                long slotId = rs.getLong(1);
                LocalDateTime st = rs.getObject(2, LocalDateTime.class);
                LocalDateTime en = rs.getObject(3, LocalDateTime.class);
                newPools.add(new Object[] {slotId, "ONSITE", onsite, date.atStartOfDay(), en});
                newPools.add(new Object[] {slotId, "COMMUNITY", community, NOT_RELEASED, closes.apply(st)});
                newPools.add(new Object[] {slotId, "PUBLIC", pub, NOT_RELEASED, closes.apply(st)});
            }, sessionId);
            jdbc.batchUpdate("INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, ?, ?, ?, ?)",
                    newPools);
        }
        jdbc.update("UPDATE clinic_session SET starts_at = ?, ends_at = ? WHERE id = ?", starts, ends, sessionId);
        return new Reshaped(sessionId, false, newSlots.size(), resized, retired, kept);
    }

    /**
     * Takes a session off the calendar (its roster line was removed): every slot keeps exactly its held and booked
     * places and closes to new bookings. Nothing is deleted. Runs in the caller's transaction.
     *
     * @return places still held or booked in it
     */
    public int retireSession(long sessionId, LocalDateTime now) {
        int taken = lockTaken(sessionId);
        jdbc.update("""
                UPDATE quota_pool q JOIN slot sl ON sl.id = q.slot_id
                SET q.capacity = q.held + q.booked, q.closes_at = IF(q.pool = 'ONSITE', q.closes_at, LEAST(q.closes_at, ?))
                WHERE sl.session_id = ?""", now, sessionId);
        return taken;
    }

    /**
     * Closes a session that nobody has booked (a holiday or closure): every pool gets capacity 0. Under row locks on
     * its pools; when a place is held or booked nothing changes and the places taken are returned (those bookings
     * are cancelled by the session-cancellation flow, 停诊, never here). Runs in the caller's transaction.
     *
     * @return 0 when closed, else the places held or booked
     */
    public int closeIfUnbooked(long sessionId) {
        int taken = lockTaken(sessionId);
        if (taken > 0) {
            return taken;
        }
        jdbc.update("""
                UPDATE quota_pool q JOIN slot sl ON sl.id = q.slot_id SET q.capacity = 0 WHERE sl.session_id = ?""",
                sessionId);
        return 0;
    }

    private int lockTaken(long sessionId) {
        return jdbc.query("""
                SELECT q.held + q.booked FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id WHERE sl.session_id = ?
                ORDER BY q.id FOR UPDATE""", (rs, i) -> rs.getInt(1), sessionId).stream().mapToInt(Integer::intValue)
                .sum();
    }

    /** Closes a pool until its release ({@link #NOT_RELEASED}). */
    public void closeUntilReleased(long poolId) {
        jdbc.update("UPDATE quota_pool SET opens_at = ? WHERE id = ?", NOT_RELEASED, poolId);
    }

    /** The new closing time of a slot's phone-bookable pools that are not released yet. */
    public void setClosingOfUnreleased(long slotId, LocalDateTime closesAt) {
        jdbc.update("UPDATE quota_pool SET closes_at = ? WHERE slot_id = ? AND pool <> 'ONSITE' AND opens_at = ?",
                closesAt, slotId, NOT_RELEASED);
    }

    /**
     * Moves the unused places (capacity − held − booked) of each source pool to its target, under row
     * locks on all the pools (taken in id order): held and booked places never move. A source closes to
     * new holds at {@code now}. Must run inside the caller's transaction.
     *
     * @return the places moved, per move, in order
     */
    public int[] moveUnused(List<Move> moves, LocalDateTime now) {
        LinkedHashSet<Long> ids = new LinkedHashSet<>();
        for (Move m : moves) {
            ids.add(m.source());
            ids.add(m.target());
        }
        Map<Long, int[]> pools = new HashMap<>();
        jdbc.query("SELECT id, capacity, held, booked FROM quota_pool WHERE id IN ("
                + String.join(",", ids.stream().map(String::valueOf).toList()) + ") ORDER BY id FOR UPDATE",
                rs -> {
                    pools.put(rs.getLong(1), new int[] {rs.getInt(2), rs.getInt(3), rs.getInt(4)});
                });
        List<Object[]> fromSource = new ArrayList<>();
        List<Object[]> toTarget = new ArrayList<>();
        int[] moved = new int[moves.size()];
        for (int i = 0; i < moves.size(); i++) {
            Move m = moves.get(i);
            int[] src = pools.get(m.source());
            int free = src[0] - src[1] - src[2];
            src[0] -= free;
            pools.get(m.target())[0] += free;
            moved[i] = free;
            fromSource.add(new Object[] {free, now.truncatedTo(ChronoUnit.SECONDS), m.source(), free});
            toTarget.add(new Object[] {free, m.target()});
        }
        int[] checked = jdbc.batchUpdate("""
                UPDATE quota_pool SET capacity = capacity - ?, closes_at = LEAST(closes_at, ?)
                WHERE id = ? AND capacity - held - booked >= ?""", fromSource);
        for (int c : checked) {
            if (c == 0) {
                throw new IllegalStateException("a pool changed under its row lock"); // cannot happen: rolls back
            }
        }
        jdbc.batchUpdate("UPDATE quota_pool SET capacity = capacity + ? WHERE id = ?", toTarget);
        return moved;
    }

    /** The services of a facility, by id. */
    public List<Long> serviceIds(long facilityId) {
        return jdbc.queryForList("SELECT id FROM service WHERE facility_id = ? ORDER BY id", Long.class, facilityId);
    }

    /** The slot with its pools. */
    public SlotPools ofSlot(long slotId) {
        return slotPools("sl.id = ?", slotId).get(0);
    }

    /** The slots of a session with their pools, earliest first. */
    public List<SlotPools> ofSession(long sessionId) {
        return slotPools("sl.session_id = ?", sessionId);
    }

    /** A service's slots that start after {@code after}, with their pools, earliest first. */
    public List<SlotPools> ofServiceAfter(long serviceId, LocalDateTime after) {
        return slotPools("sl.service_id = ? AND sl.starts_at > ?", serviceId, after);
    }

    private List<SlotPools> slotPools(String where, Object... args) {
        return jdbc.query("""
                SELECT sl.id, s.facility_id, sl.service_id, sl.slot_date, sl.starts_at, sl.ends_at,
                       MAX(CASE WHEN q.pool = 'ONSITE' THEN q.id END),
                       MAX(CASE WHEN q.pool = 'COMMUNITY' THEN q.id END),
                       MAX(CASE WHEN q.pool = 'COMMUNITY' THEN q.capacity END),
                       MAX(CASE WHEN q.pool = 'PUBLIC' THEN q.id END)
                FROM slot sl JOIN service s ON s.id = sl.service_id JOIN quota_pool q ON q.slot_id = sl.id
                WHERE\s""" + where + " GROUP BY sl.id ORDER BY sl.starts_at, sl.id",
                (rs, i) -> new SlotPools(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getObject(4, LocalDate.class),
                        rs.getObject(5, LocalDateTime.class), rs.getObject(6, LocalDateTime.class),
                        rs.getObject(7, Long.class), rs.getObject(8, Long.class), rs.getInt(9),
                        rs.getObject(10, Long.class)), args);
    }
}
