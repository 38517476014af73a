package org.hotline.booking;

import java.time.LocalDateTime;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The booking core's statements on a pool row that change {@code booked} (holds change {@code held} in
 * {@link Holds} and the {@code take_hold} procedure). Each runs in the caller's transaction, as the last
 * statements of it: the pool row is the hot row.
 */
@Component
class PoolRows {

    private final JdbcTemplate jdbc;

    PoolRows(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** A held place becomes booked (confirmation). False when the pool had no held place. */
    boolean heldToBooked(long poolId) {
        return jdbc.update("UPDATE quota_pool SET held = held - 1, booked = booked + 1 WHERE id = ? AND held > 0",
                poolId) == 1;
    }

    /** Books a place directly, if the pool is open and has room now (a move). */
    boolean takeBooked(long poolId, LocalDateTime now) {
        return jdbc.update("""
                UPDATE quota_pool SET booked = booked + 1
                WHERE id = ? AND held + booked < capacity AND opens_at <= ? AND closes_at > ? AND closed_by IS NULL""",
                poolId, now, now) == 1;
    }

    /** A booked place goes back to its pool (cancel, move). */
    void giveBack(long poolId) {
        jdbc.update("UPDATE quota_pool SET booked = booked - 1 WHERE id = ?", poolId);
    }
}
