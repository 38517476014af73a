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

    /** Closes a pool until its release ({@link #NOT_RELEASED}). */
    public void closeUntilReleased(long poolId) {
        jdbc.update("UPDATE quota_pool SET opens_at = ? WHERE id = ?", NOT_RELEASED, poolId);
    }

    /** The new closing time of a slot's phone-bookable pools that are not released yet (a 停诊's stay closed). */
    public void setClosingOfUnreleased(long slotId, LocalDateTime closesAt) {
        jdbc.update("UPDATE quota_pool SET closes_at = ? WHERE slot_id = ? AND pool <> 'ONSITE' AND opens_at = ?"
                + " AND closed_by IS NULL", closesAt, slotId, NOT_RELEASED);
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
