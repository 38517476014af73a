package org.hotline.booking;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Holds: a place kept for a few minutes while the caller gives their details ({@link BookingService#hold}),
 * given back at once ({@link BookingService#release}) or when its time is up ({@link BookingService#expireHolds}).
 * Taking a place is one conditional UPDATE on the pool row, run by the {@code take_hold} procedure.
 */
@Component
class Holds {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final BookingProperties props;
    private final BookingMetrics metrics;
    private final BookingRetry retry;

    Holds(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingProperties props, BookingMetrics metrics,
            BookingRetry retry) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.props = props;
        this.metrics = metrics;
        this.retry = retry;
    }

    /** Holds a place in the slot from the first of the channel's pools that has room. */
    HoldOutcome hold(long slotId, Channel channel) {
        return hold(slotId, null, channel);
    }

    /** Holds a place in a given pool (null: the channel's first pool with room). */
    HoldOutcome hold(long slotId, Pool pool, Channel channel) {
        HoldOutcome out = holdOnce(slotId, pool, channel);
        if (out instanceof HoldOutcome.Refused r) {
            metrics.refused("hold", channel, r.reason());
        }
        return out;
    }

    /** A hold that lasts {@code ttl} instead of the hold-ttl (a waitlist offer waits for the SMS reply). */
    HoldOutcome holdFor(long slotId, Channel channel, java.time.Duration ttl) {
        return holdOnce(slotId, null, channel, ttl);
    }

    private HoldOutcome holdOnce(long slotId, Pool pool, Channel channel) {
        return holdOnce(slotId, pool, channel, props.holdTtl());
    }

    private HoldOutcome holdOnce(long slotId, Pool pool, Channel channel, java.time.Duration ttl) {
        if (pool != null && !channel.mayBook(pool)) {
            return new HoldOutcome.Refused(Refusal.POOL_NOT_FOR_CHANNEL);
        }
        List<Pool> candidates = pool != null ? List.of(pool) : channel.pools();
        if (candidates.isEmpty()) {
            return new HoldOutcome.Refused(Refusal.POOL_NOT_FOR_CHANNEL);
        }
        LocalDateTime now = now();
        LocalDateTime expires = now.plus(ttl);
        for (Pool p : candidates) {
            Long holdId = retry.run("hold", () -> galera()
                    ? takeHoldInTransaction(slotId, p, channel, now, expires)
                    // one round trip: conditional UPDATE on the pool row + the hold row, in one transaction (V1_1)
                    : jdbc.queryForObject("CALL take_hold(?, ?, ?, ?, ?)", Long.class, slotId, p.name(),
                            channel.name(), now, expires));
            if (holdId != null && holdId > 0) {
                return new HoldOutcome.Held(holdId, slotId, p, expires);
            }
        }
        return new HoldOutcome.Refused(whyNoPlace(slotId, candidates, now));
    }

    private volatile Boolean galera;

    /**
     * Galera aborts a transaction that loses certification to another node even while a stored procedure
     * runs it, and then the procedure's outcome cannot be trusted (seen here: the connection's replies
     * went out of step, "Incorrect column count: expected 1, actual 14"; mysql-wsrep#191, #193). On Galera
     * the hold is therefore the same two statements as a plain Spring transaction.
     */
    private boolean galera() {
        Boolean g = galera;
        if (g == null) {
            List<String> on = jdbc.query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'", (rs, i) -> rs.getString(2));
            galera = g = !on.isEmpty() && "ON".equalsIgnoreCase(on.get(0));
        }
        return g;
    }

    /** take_hold (V1_1) as a client-side transaction: 0 when there is no place. */
    private Long takeHoldInTransaction(long slotId, Pool p, Channel channel, LocalDateTime now,
            LocalDateTime expires) {
        return tx.execute(status -> {
            int taken = jdbc.update("""
                    UPDATE quota_pool SET held = held + 1
                    WHERE slot_id = ? AND pool = ? AND held + booked < capacity AND opens_at <= ? AND closes_at > ?
                      AND closed_by IS NULL AND EXISTS (SELECT 1 FROM slot WHERE id = ? AND starts_at > ?)""", slotId, p.name(), now, now,
                    slotId, now);
            if (taken != 1) {
                return 0L;
            }
            long poolId = jdbc.queryForObject("SELECT id FROM quota_pool WHERE slot_id = ? AND pool = ?", Long.class,
                    slotId, p.name());
            GeneratedKeyHolder key = new GeneratedKeyHolder();
            jdbc.update(c -> {
                var ps = c.prepareStatement("""
                        INSERT INTO hold (pool_id, slot_id, channel, status, created_at, expires_at)
                        VALUES (?, ?, ?, 'ACTIVE', ?, ?)""", new String[] {"id"});
                ps.setLong(1, poolId);
                ps.setLong(2, slotId);
                ps.setString(3, channel.name());
                ps.setObject(4, now);
                ps.setObject(5, expires);
                return ps;
            }, key);
            return key.getKey().longValue();
        });
    }

    /** After take_hold found no place: why not, in the words a caller should hear. */
    Refusal whyNoPlace(long slotId, List<Pool> candidates, LocalDateTime now) {
        record PoolRow(Pool pool, int free, LocalDateTime opens, LocalDateTime closes, LocalDateTime startsAt,
                boolean cancelled) {
        }
        List<PoolRow> pools = jdbc.query("""
                SELECT q.pool, q.capacity - q.held - q.booked, q.opens_at, q.closes_at, sl.starts_at,
                       q.closed_by IS NOT NULL
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id WHERE q.slot_id = ?""",
                (rs, i) -> new PoolRow(Pool.valueOf(rs.getString(1)), rs.getInt(2),
                        rs.getObject(3, LocalDateTime.class), rs.getObject(4, LocalDateTime.class),
                        rs.getObject(5, LocalDateTime.class), rs.getBoolean(6)), slotId);
        if (pools.isEmpty()) {
            return Refusal.NOT_FOUND;
        }
        if (!pools.get(0).startsAt().isAfter(now)) {
            return Refusal.SLOT_PAST;
        }
        Refusal why = null;
        for (Pool p : candidates) {
            PoolRow row = pools.stream().filter(r -> r.pool() == p).findFirst().orElse(null);
            if (row != null && (row.cancelled() || now.isBefore(row.opens()) || !now.isBefore(row.closes()))) {
                why = worst(why, Refusal.POOL_CLOSED);
            } else {
                why = worst(why, Refusal.FULL);
            }
        }
        return why;
    }

    /** FULL is the most useful thing to say when one pool is full and another closed. */
    private static Refusal worst(Refusal a, Refusal b) {
        if (a == null) {
            return b;
        }
        return a == Refusal.FULL || b == Refusal.FULL ? Refusal.FULL : a;
    }

    /** Gives a held place back at once (the caller hung up or chose again). Idempotent. */
    boolean release(long holdId) {
        return endHold(holdId, "RELEASED");
    }

    /** Releases every hold whose time is up; returns how many. Safe to run on several nodes at once. */
    int expireHolds() {
        return expireHoldsBefore(now());
    }

    /** Releases (at most 1000 of) the holds whose time ran out at or before {@code before}; returns how many. */
    int expireHoldsBefore(LocalDateTime before) {
        List<Long> ids = jdbc.queryForList(
                "SELECT id FROM hold WHERE status = 'ACTIVE' AND expires_at <= ? ORDER BY expires_at LIMIT 1000",
                Long.class, before);
        int n = 0;
        for (long id : ids) {
            if (endHold(id, "EXPIRED")) {
                n++;
            }
        }
        return n;
    }

    private boolean endHold(long holdId, String endStatus) {
        LocalDateTime now = now();
        return Boolean.TRUE.equals(retry.run("release", () -> tx.execute(status -> {
            Long poolId = jdbc.query("SELECT pool_id FROM hold WHERE id = ? AND status = 'ACTIVE' FOR UPDATE",
                    rs -> rs.next() ? rs.getLong(1) : null, holdId);
            if (poolId == null) {
                return false;
            }
            jdbc.update("UPDATE hold SET status = ?, ended_at = ? WHERE id = ?", endStatus, now, holdId);
            jdbc.update("UPDATE quota_pool SET held = held - 1 WHERE id = ?", poolId);
            return true;
        })));
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
