package org.hotline.audit;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Writes and reads {@code audit_event}, in the caller's transaction (a console booking's row commits with the
 * booking). Details carry masked personal data only; they are cut to 500 characters.
 */
@Component
public class AuditLog {

    /**
     * One row. {@code role} is a console role's name, or {@code PHONE_MENU} for the voice menu's own rows (a
     * caller sent to a person by the look-up limits; username {@code phone:<masked number>}).
     */
    public record AuditEvent(long id, LocalDateTime at, String username, String role, String action,
            String outcome, String transferId, Long callbackId, Long bookingId, String bookingCode, String detail) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;

    public AuditLog(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Records one event now; the references (transfer, call-back, booking) may be null. */
    public void record(String username, String role, String action, String outcome, String transferId,
            Long callbackId, Long bookingId, String bookingCode, String detail) {
        String d = detail == null ? "" : detail.length() > 500 ? detail.substring(0, 500) : detail;
        jdbc.update("""
                INSERT INTO audit_event (at, username, role, action, outcome, transfer_id, callback_id, booking_id,
                  booking_code, detail) VALUES (?,?,?,?,?,?,?,?,?,?)""", Timestamp.valueOf(LocalDateTime.now(clock)),
                username, role, action, outcome, transferId, callbackId, bookingId, bookingCode, d);
    }

    /** Filters are optional (null = any); newest first, at most {@code limit} rows (1 to 1000). */
    public List<AuditEvent> find(String username, String transferId, Long bookingId, Long callbackId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_event WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (username != null && !username.isBlank()) {
            sql.append(" AND username = ?");
            args.add(username);
        }
        if (transferId != null && !transferId.isBlank()) {
            sql.append(" AND transfer_id = ?");
            args.add(transferId);
        }
        if (bookingId != null) {
            sql.append(" AND booking_id = ?");
            args.add(bookingId);
        }
        if (callbackId != null) {
            sql.append(" AND callback_id = ?");
            args.add(callbackId);
        }
        sql.append(" ORDER BY at DESC, id DESC LIMIT ?");
        args.add(Math.max(1, Math.min(limit, 1000)));
        return jdbc.query(sql.toString(), (rs, i) -> new AuditEvent(rs.getLong("id"),
                rs.getTimestamp("at").toLocalDateTime(), rs.getString("username"),
                rs.getString("role"), rs.getString("action"), rs.getString("outcome"),
                rs.getString("transfer_id"), rs.getObject("callback_id", Long.class),
                rs.getObject("booking_id", Long.class), rs.getString("booking_code"), rs.getString("detail")),
                args.toArray());
    }
}
