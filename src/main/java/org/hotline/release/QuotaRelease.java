package org.hotline.release;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.QuotaPools;

/**
 * Carries out the release steps that are due: opens pools, and moves unused places between the pools
 * of a slot. Each step is claimed by a conditional UPDATE on its row ({@code status = 'PLANNED'}), so
 * a second run, on this node or another, finds nothing and changes nothing. Each opening and move
 * writes its audit row in the same transaction, with the planned and the actual time.
 */
@Component
public class QuotaRelease {

    /** Places that come back after a move (an expired hold, a cancellation) follow it this long afterwards. */
    static final int FOLLOW_UP_DAYS = 2;

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final JobRuns runs;
    private final QuotaPools quotaPools;

    public QuotaRelease(JdbcTemplate jdbc, PlatformTransactionManager txManager, JobRuns runs, QuotaPools quotaPools) {
        this.jdbc = jdbc;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.runs = runs;
        this.quotaPools = quotaPools;
    }

    /** Opens every pool whose opening is due, now, as one logged run by hand. Returns pools opened. */
    public int openDue(ReleaseScope scope) {
        return runs.run("open", JobRuns.BY_HAND, null, run -> openDue(run, scope));
    }

    /** Moves every unused place whose move is due, as one logged run by hand. Returns places moved. */
    public int moveDue(ReleaseScope scope) {
        return runs.run("move", JobRuns.BY_HAND, null, run -> moveDue(run, scope));
    }

    /**
     * Opens, then moves, whatever is due, as one logged run each on {@code node}. The demo uses it with a
     * {@link JobRuns} on a fixed clock to write the history the jobs would have written on time.
     */
    public int releaseDue(ReleaseScope scope, String node) {
        return runs.run("open", node, null, run -> openDue(run, scope))
                + runs.run("move", node, null, run -> moveDue(run, scope));
    }

    /** The distinct planned times of steps still PLANNED at {@code now}, earliest first. */
    public List<LocalDateTime> plannedTimesDue(LocalDateTime now) {
        return jdbc.queryForList("""
                SELECT DISTINCT planned_at FROM release_step WHERE status = 'PLANNED' AND planned_at <= ?
                ORDER BY planned_at""", LocalDateTime.class, now);
    }

    // ---------------------------------------------------------------- open

    int openDue(JobRuns.Run run, ReleaseScope scope) {
        LocalDateTime now = run.now();
        // a slot that started before its pool was due to open is not worth opening any more
        jdbc.update("""
                UPDATE release_step SET status = 'SKIPPED', done_at = ?, run_id = ?
                WHERE status = 'PLANNED' AND action = 'OPEN' AND planned_at <= ? AND slot_starts_at <= ?"""
                + scope.and("facility_id"), now, run.id(), now, now);
        record Group(LocalDateTime planned, long facilityId) {
        }
        List<Group> due = jdbc.query("""
                SELECT DISTINCT planned_at, facility_id FROM release_step
                WHERE status = 'PLANNED' AND action = 'OPEN' AND planned_at <= ?""" + scope.and("facility_id")
                + " ORDER BY planned_at, facility_id",
                (rs, i) -> new Group(rs.getObject(1, LocalDateTime.class), rs.getLong(2)), now);
        int opened = 0;
        for (Group g : due) {
            opened += JobRuns.retried(() -> tx.execute(s -> openGroup(run, g.planned(), g.facilityId())));
        }
        return opened;
    }

    /**
     * One facility's pools due at one planned time open together, in one transaction: the steps are claimed
     * under their row locks (another run of the same steps waits, then finds them DONE and opens nothing), the
     * booking core opens their pools ({@link QuotaPools#open}, under the pools' row locks) and says how many places
     * each had, and the steps record that, all in one commit.
     */
    private int openGroup(JobRuns.Run run, LocalDateTime planned, long facilityId) {
        LocalDateTime now = run.now();
        record Step(long id, long pool) {
        }
        List<Step> steps = jdbc.query("""
                SELECT id, pool_id FROM release_step
                WHERE status = 'PLANNED' AND action = 'OPEN' AND planned_at = ? AND facility_id = ? AND slot_starts_at > ?
                ORDER BY id FOR UPDATE""", (rs, i) -> new Step(rs.getLong(1), rs.getLong(2)), planned, facilityId, now);
        if (steps.isEmpty()) {
            return 0; // another node (or an earlier run) opened them
        }
        LocalDateTime at = now.truncatedTo(ChronoUnit.SECONDS);
        Map<Long, Integer> free = quotaPools.open(steps.stream().map(Step::pool).toList(),
                planned.isAfter(at) ? planned : at);
        // one UPDATE per number of places (mostly one: nothing is held in a pool before it opens)
        Map<Integer, List<Long>> byPlaces = new TreeMap<>();
        for (Step st : steps) {
            byPlaces.computeIfAbsent(free.getOrDefault(st.pool(), 0), k -> new ArrayList<>()).add(st.id());
        }
        for (var e : byPlaces.entrySet()) {
            jdbc.update("UPDATE release_step SET status = 'DONE', done_at = ?, run_id = ?, places = ? WHERE id IN ("
                    + e.getValue().stream().map(String::valueOf).collect(Collectors.joining(",")) + ")", now, run.id(),
                    e.getKey());
        }
        jdbc.update("""
                INSERT INTO release_audit (run_id, action, pool, facility_id, service_id, slot_date, planned_at, done_at,
                  pools, places, node)
                SELECT ?, 'OPEN', st.pool, st.facility_id, st.service_id, st.slot_date, st.planned_at, ?, COUNT(*),
                       SUM(st.places), ?
                FROM release_step st
                WHERE st.run_id = ? AND st.action = 'OPEN' AND st.status = 'DONE' AND st.planned_at = ?
                  AND st.facility_id = ?
                GROUP BY st.pool, st.service_id, st.slot_date ORDER BY st.service_id, st.slot_date, st.pool""",
                run.id(), now, run.node(), run.id(), planned, facilityId);
        return steps.size();
    }

    // ---------------------------------------------------------------- move

    /** A move's unit of work and of audit: one action from one pool kind, planned together, for a service's day. */
    private record MoveGroup(String action, String pool, LocalDateTime planned, long serviceId, LocalDate date) {
    }

    int moveDue(JobRuns.Run run, ReleaseScope scope) {
        LocalDateTime now = run.now();
        jdbc.update("""
                UPDATE release_step SET status = 'SKIPPED', done_at = ?, run_id = ?
                WHERE status = 'PLANNED' AND action <> 'OPEN' AND planned_at <= ? AND slot_ends_at <= ?"""
                + scope.and("facility_id"), now, run.id(), now, now);
        List<MoveGroup> due = jdbc.query("""
                SELECT DISTINCT action, pool, planned_at, service_id, slot_date FROM release_step st
                WHERE status = 'PLANNED' AND action IN ('MOVE_TO_PUBLIC', 'MOVE_TO_ONSITE') AND planned_at <= ?"""
                + OPENED + scope.and("facility_id") + " ORDER BY planned_at, service_id, slot_date, action, pool",
                QuotaRelease::group, now, now);
        int moved = 0;
        for (MoveGroup g : due) {
            moved += JobRuns.retried(() -> tx.execute(s -> moveGroup(run, g, false)));
        }
        // places that came back to a pool after its last move (expired holds, cancellations) follow the move;
        // which of the moved pools have places again is the booking core's to say
        String recent = """

                WHERE st.status = 'DONE' AND st.action IN ('MOVE_TO_PUBLIC', 'MOVE_TO_ONSITE')
                  AND st.planned_at > ? AND st.planned_at <= ? AND st.slot_ends_at > ? AND later.id IS NULL"""
                + scope.and("st.facility_id");
        List<Long> movedFrom = jdbc.queryForList("SELECT DISTINCT st.pool_id FROM release_step st" + LATER_MOVE
                + recent, Long.class, now.minusDays(FOLLOW_UP_DAYS), now, now);
        Set<Long> refilled = movedFrom.isEmpty() ? Set.of() : quotaPools.withFreePlaces(movedFrom);
        List<MoveGroup> followUps = refilled.isEmpty() ? List.of() : jdbc.query("""
                SELECT DISTINCT st.action, st.pool, st.planned_at, st.service_id, st.slot_date
                FROM release_step st""" + LATER_MOVE + recent + " AND st.pool_id IN ("
                + refilled.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")"
                + " ORDER BY st.planned_at, st.service_id, st.slot_date, st.action, st.pool",
                QuotaRelease::group, now.minusDays(FOLLOW_UP_DAYS), now, now);
        for (MoveGroup g : followUps) {
            moved += JobRuns.retried(() -> tx.execute(s -> moveGroup(run, g, true)));
        }
        return moved;
    }

    /**
     * A move waits for its pool's overdue opening: after every node was down across both times (catch-up),
     * the open job may run after the move job, and would then open an emptied pool and audit 0 places.
     */
    private static final String OPENED = """

              AND NOT EXISTS (SELECT 1 FROM release_step o WHERE o.pool_id = st.pool_id AND o.action = 'OPEN'
                              AND o.status = 'PLANNED' AND o.planned_at <= ?)""";

    /**
     * Only a pool's latest move is followed up (after the move to ONSITE nothing goes back to PUBLIC): an
     * anti-join on the pool's own steps. Pinned to the (pool, action) key, since a range plan on the step
     * index here would be quadratic in the day's moves.
     */
    private static final String LATER_MOVE = """

            LEFT JOIN release_step later FORCE INDEX (uq_step) ON later.pool_id = st.pool_id
              AND later.action IN ('MOVE_TO_PUBLIC', 'MOVE_TO_ONSITE') AND later.status = 'DONE'
              AND later.planned_at > st.planned_at""";

    private static MoveGroup group(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
        return new MoveGroup(rs.getString(1), rs.getString(2), rs.getObject(3, LocalDateTime.class), rs.getLong(4),
                rs.getObject(5, LocalDate.class));
    }

    /**
     * Moves the unused places (capacity − held − booked) of each step's pool to its target, through the
     * booking core ({@link QuotaPools#moveUnused}: row locks on both pools, held and booked places never
     * move, the source closes to new holds), in the steps' transaction. Returns places moved.
     */
    private int moveGroup(JobRuns.Run run, MoveGroup g, boolean followUp) {
        LocalDateTime now = run.now();
        record Step(long id, long source, long target, String pool, String targetPool, long facilityId,
                long serviceId, LocalDate date, LocalDateTime planned) {
        }
        List<Step> steps = jdbc.query("""
                SELECT st.id, st.pool_id, st.target_pool_id, st.pool, st.target_pool, st.facility_id, st.service_id,
                       st.slot_date, st.planned_at
                FROM release_step st""" + (followUp ? LATER_MOVE : "") + """

                WHERE st.status = ? AND st.action = ? AND st.pool = ? AND st.planned_at = ? AND st.service_id = ?
                  AND st.slot_date = ? AND st.slot_ends_at > ?""" + (followUp ? " AND later.id IS NULL" : OPENED)
                + " ORDER BY st.id FOR UPDATE",
                (rs, i) -> new Step(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                        rs.getLong(6), rs.getLong(7), rs.getObject(8, LocalDate.class),
                        rs.getObject(9, LocalDateTime.class)), followUp
                        ? new Object[] {"DONE", g.action(), g.pool(), g.planned(), g.serviceId(), g.date(), now}
                        : new Object[] {"PLANNED", g.action(), g.pool(), g.planned(), g.serviceId(), g.date(), now, now});
        if (steps.isEmpty()) {
            return 0; // claimed by another run meanwhile
        }
        List<QuotaPools.Move> moves = new ArrayList<>();
        for (Step s : steps) {
            moves.add(new QuotaPools.Move(s.source(), s.target()));
        }
        int[] free = quotaPools.moveUnused(moves, now);
        List<Object[]> done = new ArrayList<>();
        int places = 0;
        int poolsMoved = 0;
        for (int i = 0; i < steps.size(); i++) {
            places += free[i];
            if (free[i] > 0) {
                poolsMoved++;
            }
            done.add(new Object[] {now, run.id(), free[i], steps.get(i).id()});
        }
        jdbc.batchUpdate("""
                UPDATE release_step SET status = 'DONE', done_at = IFNULL(done_at, ?), run_id = ?, places = places + ?
                WHERE id = ?""", done);
        if (!followUp || places > 0) {
            Step s = steps.get(0);
            jdbc.update("""
                    INSERT INTO release_audit (run_id, action, pool, target_pool, facility_id, service_id, slot_date,
                      planned_at, done_at, pools, places, follow_up, node)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    run.id(), g.action(), s.pool(), s.targetPool(), s.facilityId(), s.serviceId(), s.date(),
                    s.planned(), now, followUp ? poolsMoved : steps.size(), places, followUp, run.node());
        }
        return places;
    }
}
