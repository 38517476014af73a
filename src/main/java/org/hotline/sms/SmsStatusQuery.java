package org.hotline.sms;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What the agent console (and ops) may read about SMS: the state of every message of a booking,
 * messages that failed, and notices that a number could not be reached. Numbers only masked,
 * bodies not at all.
 */
@Component
public class SmsStatusQuery {

    /** One message as an agent sees it. */
    public record SmsView(long id, Long bookingId, SmsKind kind, String phoneMasked, SmsStatus status, int parts,
            int attempts, String lastError, LocalDateTime createdAt, LocalDateTime submittedAt,
            LocalDateTime doneAt) {
    }

    /** "This number could not be reached": for an agent to call instead. */
    public record AgentNotice(long id, long messageId, Long bookingId, String phoneMasked, String text,
            LocalDateTime createdAt) {
    }

    private static final String VIEW = """
            SELECT id, booking_id, kind, phone_masked, status, parts, attempts, last_error, created_at, submitted_at,
                   done_at FROM sms_message""";

    private final JdbcTemplate jdbc;

    SmsStatusQuery(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Every SMS of a booking, oldest first. */
    public List<SmsView> forBooking(long bookingId) {
        return jdbc.query(VIEW + " WHERE booking_id = ? ORDER BY id", SmsStatusQuery::view, bookingId);
    }

    /** Messages that failed or expired since a time, newest first. */
    public List<SmsView> failed(LocalDateTime since, int limit) {
        return jdbc.query(VIEW + " WHERE status IN ('FAILED', 'EXPIRED') AND created_at >= ? ORDER BY id DESC LIMIT ?",
                SmsStatusQuery::view, since, limit);
    }

    /** Notices for agents since a time, newest first. */
    public List<AgentNotice> notices(LocalDateTime since, int limit) {
        return jdbc.query("""
                SELECT id, message_id, booking_id, phone_masked, text, created_at FROM sms_agent_notice
                WHERE created_at >= ? ORDER BY id DESC LIMIT ?""",
                (rs, i) -> new AgentNotice(rs.getLong(1), rs.getLong(2), rs.getObject(3, Long.class), rs.getString(4),
                        rs.getString(5), rs.getObject(6, LocalDateTime.class)), since, limit);
    }

    /** How many messages are in each state (all time). */
    public Map<SmsStatus, Long> counts() {
        Map<SmsStatus, Long> out = new EnumMap<>(SmsStatus.class);
        jdbc.query("SELECT status, COUNT(*) FROM sms_message GROUP BY status",
                rs -> {
                    out.put(SmsStatus.valueOf(rs.getString(1)), rs.getLong(2));
                });
        return out;
    }

    private static SmsView view(ResultSet rs, int i) throws SQLException {
        return new SmsView(rs.getLong(1), rs.getObject(2, Long.class), SmsKind.valueOf(rs.getString(3)),
                rs.getString(4), SmsStatus.valueOf(rs.getString(5)), rs.getInt(6), rs.getInt(7), rs.getString(8),
                rs.getObject(9, LocalDateTime.class), rs.getObject(10, LocalDateTime.class),
                rs.getObject(11, LocalDateTime.class));
    }
}
