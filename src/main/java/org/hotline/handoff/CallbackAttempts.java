package org.hotline.handoff;

import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The agents' tries to call a caller back (table {@code callback_attempt}) and the request's status they
 * decide (OPEN, DONE, GAVE_UP on {@code callback_request}). The writes run in the caller's transaction.
 */
@Component
public class CallbackAttempts {

    /** One try, as stored ({@code outcome} is the console's outcome name). */
    public record Attempt(long id, long callbackId, LocalDateTime at, String username, String outcome, String note) {
    }

    private final JdbcTemplate jdbc;

    public CallbackAttempts(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The tries of these requests, oldest first, by request id. */
    public Map<Long, List<Attempt>> of(Collection<Long> callbackIds) {
        String ids = callbackIds.stream().map(String::valueOf).collect(Collectors.joining(","));
        return jdbc.query("SELECT * FROM callback_attempt WHERE callback_id IN (" + ids + ") ORDER BY attempted_at, id",
                CallbackAttempts::attempt).stream().collect(Collectors.groupingBy(Attempt::callbackId));
    }

    /** The tries of one request, oldest first. */
    public List<Attempt> of(long callbackId) {
        return jdbc.query("SELECT * FROM callback_attempt WHERE callback_id = ? ORDER BY attempted_at, id",
                CallbackAttempts::attempt, callbackId);
    }

    /** The request's status, its row locked until the transaction ends; null when there is no such request. */
    public String lockStatus(long callbackId) {
        return jdbc.query("SELECT status FROM callback_request WHERE id = ? FOR UPDATE",
                rs -> rs.next() ? rs.getString(1) : null, callbackId);
    }

    /** Records a try; returns how many tries the request has now. */
    public int add(long callbackId, LocalDateTime at, String username, String outcome, String note) {
        jdbc.update("""
                INSERT INTO callback_attempt (callback_id, attempted_at, username, outcome, note)
                VALUES (?,?,?,?,?)""", callbackId, Timestamp.valueOf(at), username, outcome, note);
        return jdbc.queryForObject("SELECT COUNT(*) FROM callback_attempt WHERE callback_id = ?", Integer.class,
                callbackId);
    }

    public void setStatus(long callbackId, String status) {
        jdbc.update("UPDATE callback_request SET status = ? WHERE id = ?", status, callbackId);
    }

    private static Attempt attempt(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
        return new Attempt(rs.getLong("id"), rs.getLong("callback_id"), rs.getTimestamp("attempted_at").toLocalDateTime(),
                rs.getString("username"), rs.getString("outcome"), rs.getString("note"));
    }
}
