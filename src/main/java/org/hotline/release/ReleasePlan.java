package org.hotline.release;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Pool;
import org.hotline.booking.QuotaPools;
import org.hotline.booking.QuotaPools.SlotPools;

/**
 * The planned release steps of every slot's pools, from its release policy. A phone-bookable pool is
 * generated closed ({@link #NOT_RELEASED}); its OPEN step makes it bookable at the planned time, and
 * the MOVE steps give unused places to the next pool (COMMUNITY → PUBLIC the day before, phone →
 * ONSITE on the day). ONSITE never gets an OPEN step: no phone channel may take from it.
 */
@Component
public class ReleasePlan {

    /** {@code opens_at} of a pool whose OPEN step has not run yet: never reached, so the booking core refuses it. */
    public static final LocalDateTime NOT_RELEASED = QuotaPools.NOT_RELEASED;

    public enum Action {
        OPEN, MOVE_TO_PUBLIC, MOVE_TO_ONSITE
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final ReleasePolicies policies;
    private final QuotaPools quotaPools;

    public ReleasePlan(JdbcTemplate jdbc, PlatformTransactionManager txManager, Clock clock, ReleasePolicies policies,
            QuotaPools quotaPools) {
        this.jdbc = jdbc;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.clock = clock;
        this.policies = policies;
        this.quotaPools = quotaPools;
    }

    /**
     * Writes the steps of these slots (of one service) by the policy. A step that already ran keeps its
     * time; a planned one takes the new time, so calling this again after a policy change re-plans.
     */
    void write(List<SlotPools> slots, ReleasePolicy p) {
        List<Object[]> rows = new ArrayList<>();
        for (SlotPools s : slots) {
            if (s.pub() != null) {
                rows.add(step(s, s.pub(), Action.OPEN, Pool.PUBLIC, null, null, p.publicOpens(s.date())));
            }
            boolean community = s.community() != null && s.communityCapacity() > 0;
            if (community) {
                rows.add(step(s, s.community(), Action.OPEN, Pool.COMMUNITY, null, null, p.communityOpens(s.date())));
                if (s.pub() != null) {
                    rows.add(step(s, s.community(), Action.MOVE_TO_PUBLIC, Pool.COMMUNITY, s.pub(), Pool.PUBLIC,
                            p.communityToPublic(s.date())));
                }
            }
            LocalDateTime onsite = p.phoneToOnsite(s.date());
            if (onsite != null && s.onsite() != null) {
                if (s.pub() != null) {
                    rows.add(step(s, s.pub(), Action.MOVE_TO_ONSITE, Pool.PUBLIC, s.onsite(), Pool.ONSITE, onsite));
                }
                if (community) {
                    rows.add(step(s, s.community(), Action.MOVE_TO_ONSITE, Pool.COMMUNITY, s.onsite(), Pool.ONSITE,
                            onsite));
                }
            }
        }
        jdbc.batchUpdate("""
                INSERT INTO release_step (pool_id, action, pool, target_pool_id, target_pool, facility_id, service_id,
                  slot_id, slot_date, slot_starts_at, slot_ends_at, planned_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE planned_at = IF(status = 'PLANNED', VALUES(planned_at), planned_at)""", rows);
        if (p.phoneToOnsiteAt() == null && !slots.isEmpty()) {
            // the policy no longer moves phone quota to walk-ins: drop such moves that have not happened
            jdbc.update("DELETE FROM release_step WHERE action = 'MOVE_TO_ONSITE' AND status = 'PLANNED' AND slot_id IN ("
                    + String.join(",", slots.stream().map(s -> String.valueOf(s.slotId())).toList()) + ")");
        }
    }

    private static Object[] step(SlotPools s, long poolId, Action action, Pool pool, Long target, Pool targetPool,
            LocalDateTime planned) {
        return new Object[] {poolId, action.name(), pool.name(), target, targetPool == null ? null : targetPool.name(),
            s.facilityId(), s.serviceId(), s.slotId(), s.date(), s.startsAt(), s.endsAt(), planned};
    }

    /**
     * Re-plans the steps not yet carried out for the facility's future slots from its current policies
     * (after an import or an edit). Closing times of pools not yet open follow the new cut-off.
     *
     * @return slots re-planned
     */
    public int replan(long facilityId) {
        LocalDateTime now = LocalDateTime.now(clock);
        List<Long> services = quotaPools.serviceIds(facilityId);
        int n = 0;
        for (long serviceId : services) {
            ReleasePolicy p = policies.effective(serviceId);
            List<SlotPools> slots = quotaPools.ofServiceAfter(serviceId, now);
            tx.executeWithoutResult(st -> {
                write(slots, p);
                for (SlotPools s : slots) {
                    quotaPools.setClosingOfUnreleased(s.slotId(), p.closes(s.startsAt()));
                }
            });
            n += slots.size();
        }
        return n;
    }

    /**
     * Closes a phone-bookable pool and plans its opening at a set time (by hand, for a special release,
     * or in tests). The pool must not be open already.
     */
    public void planOpen(long slotId, Pool pool, LocalDateTime plannedAt) {
        if (pool == Pool.ONSITE) {
            throw new IllegalArgumentException("ONSITE is never opened to a booking channel");
        }
        tx.executeWithoutResult(st -> {
            SlotPools s = quotaPools.ofSlot(slotId);
            long poolId = pool == Pool.PUBLIC ? s.pub() : s.community();
            quotaPools.closeUntilReleased(poolId);
            jdbc.update("""
                    INSERT INTO release_step (pool_id, action, pool, facility_id, service_id, slot_id, slot_date,
                      slot_starts_at, slot_ends_at, planned_at)
                    VALUES (?, 'OPEN', ?, ?, ?, ?, ?, ?, ?, ?)
                    ON DUPLICATE KEY UPDATE planned_at = VALUES(planned_at), status = 'PLANNED', done_at = NULL,
                      run_id = NULL, places = 0""",
                    poolId, pool.name(), s.facilityId(), s.serviceId(), s.slotId(), s.date(), s.startsAt(), s.endsAt(),
                    plannedAt);
        });
    }

    /** Plans a move of a pool's unused places to another pool of the slot at a set time. */
    public void planMove(long slotId, Pool from, Pool to, LocalDateTime plannedAt) {
        Action action = switch (to) {
            case PUBLIC -> Action.MOVE_TO_PUBLIC;
            case ONSITE -> Action.MOVE_TO_ONSITE;
            case COMMUNITY -> throw new IllegalArgumentException("nothing moves into COMMUNITY");
        };
        SlotPools s = quotaPools.ofSlot(slotId);
        Map<Pool, Long> ids = new HashMap<>();
        ids.put(Pool.ONSITE, s.onsite());
        ids.put(Pool.COMMUNITY, s.community());
        ids.put(Pool.PUBLIC, s.pub());
        jdbc.update("""
                INSERT INTO release_step (pool_id, action, pool, target_pool_id, target_pool, facility_id, service_id,
                  slot_id, slot_date, slot_starts_at, slot_ends_at, planned_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE planned_at = VALUES(planned_at)""",
                ids.get(from), action.name(), from.name(), ids.get(to), to.name(), s.facilityId(), s.serviceId(),
                s.slotId(), s.date(), s.startsAt(), s.endsAt(), plannedAt);
    }
}
