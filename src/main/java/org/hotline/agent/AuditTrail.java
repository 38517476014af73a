package org.hotline.agent;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Every console action: who, when, what, with what outcome, from which call (table {@code audit_event}); also
 * the voice menu's refusals of callers over the look-up limits (written by {@code ivr.PhoneLookups}).
 * A booking's row is written inside the booking's own transaction (see {@link AgentDesk}), so a booking
 * never exists without its audit row. Details carry masked personal data only.
 */
@Component
public class AuditTrail {

    private final JdbcTemplate jdbc;
    private final Clock clock;

    public AuditTrail(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** What happened, built step by step: {@code Entry.of("BOOK", "OK").transfer(t).booking(id, code)}. */
    public record Entry(String action, String outcome, String transferId, Long callbackId, Long bookingId,
            String bookingCode, String detail) {

        public static Entry of(String action, String outcome) {
            return new Entry(action, outcome, null, null, null, null, "");
        }

        public Entry transfer(String id) {
            return new Entry(action, outcome, id == null || id.isBlank() ? null : id, callbackId, bookingId,
                    bookingCode, detail);
        }

        public Entry callback(Long id) {
            return new Entry(action, outcome, transferId, id, bookingId, bookingCode, detail);
        }

        public Entry booking(Long id, String code) {
            return new Entry(action, outcome, transferId, callbackId, id, code, detail);
        }

        public Entry detail(String text) {
            return new Entry(action, outcome, transferId, callbackId, bookingId, bookingCode, text == null ? "" : text);
        }
    }

    /**
     * One row. {@code role} is a {@link ConsoleRole} name, or {@code PHONE_MENU} for the voice menu's own
     * rows (a caller sent to a person by the look-up limits; username {@code phone:<masked number>}).
     */
    public record AuditEvent(long id, LocalDateTime at, String username, String role, String action,
            String outcome, String transferId, Long callbackId, Long bookingId, String bookingCode, String detail) {
    }

    public void record(Actor actor, Entry e) {
        String detail = e.detail().length() > 500 ? e.detail().substring(0, 500) : e.detail();
        jdbc.update("""
                INSERT INTO audit_event (at, username, role, action, outcome, transfer_id, callback_id, booking_id,
                  booking_code, detail) VALUES (?,?,?,?,?,?,?,?,?,?)""", Timestamp.valueOf(LocalDateTime.now(clock)),
                actor.username(), actor.role().name(), e.action(), e.outcome(), e.transferId(), e.callbackId(),
                e.bookingId(), e.bookingCode(), detail);
    }

    /** Filters are optional (null = any); newest first, at most {@code limit} rows. */
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
