package org.hotline.handoff;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The queue for a person as the hand-off records see it: callers not taken yet, and how busy agents were. */
@Component
public class WaitingCalls {

    /** Back-to-back pick-ups measured ({@code count}) and their mean gap in microseconds (0 when none). */
    public record Gaps(int count, double meanMicros) {
    }

    private final JdbcTemplate jdbc;

    public WaitingCalls(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Transfers made in [from, to] that no agent has taken and that did not become a call-back. */
    public int notTaken(LocalDateTime from, LocalDateTime to) {
        return jdbc.queryForObject("""
                SELECT COUNT(*) FROM call_transfer t
                WHERE t.created_at >= ? AND t.created_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM transfer_pickup p WHERE p.transfer_id = t.transfer_id)
                  AND NOT EXISTS (SELECT 1 FROM callback_request c WHERE c.transfer_id = t.transfer_id)""",
                Integer.class, Timestamp.valueOf(from), Timestamp.valueOf(to));
    }

    /**
     * The gaps from one pick-up of an agent to their next, in [from, to], counted only when that next caller
     * was already waiting at the first pick-up (the agent was busy the whole time) and the gap is at most
     * {@code maxGap}.
     */
    public Gaps busyGaps(LocalDateTime from, LocalDateTime to, Duration maxGap) {
        return jdbc.queryForObject("""
                SELECT COUNT(*) AS n, AVG(TIMESTAMPDIFF(MICROSECOND, prev_at, picked_at)) AS micros FROM (
                  SELECT p.picked_at, t.created_at,
                         LAG(p.picked_at) OVER (PARTITION BY p.username ORDER BY p.picked_at) AS prev_at
                  FROM transfer_pickup p JOIN call_transfer t ON t.transfer_id = p.transfer_id
                  WHERE p.picked_at >= ? AND p.picked_at <= ?
                ) x
                WHERE prev_at IS NOT NULL AND created_at <= prev_at
                  AND TIMESTAMPDIFF(SECOND, prev_at, picked_at) <= ?""",
                (rs, i) -> new Gaps(rs.getInt("n"), rs.getDouble("micros")), Timestamp.valueOf(from),
                Timestamp.valueOf(to), maxGap.toSeconds());
    }
}
