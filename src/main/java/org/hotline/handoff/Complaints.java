package org.hotline.handoff;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;


/**
 * Complaints (投诉受理, issue 16), table {@code complaint}: left in the voice menu as the caller's voice (a recording
 * Asterisk made with RECORD FILE) or taken by a person (transfer reason {@link TransferReason#COMPLAINT}). A
 * supervisor lists them under {@code /ops/complaints}, marks each handled, and the bureau reports count them. Only
 * supervisors see them (ops security); the caller's number appears masked everywhere but in the row itself.
 */
@Component
public class Complaints {

    private static final Logger log = LoggerFactory.getLogger(Complaints.class);

    public enum TakenAs { RECORDING, PERSON }

    public enum Status { OPEN, HANDLED }

    /** One complaint as a supervisor sees it (no whole number). */
    public record Complaint(long id, String callId, String callerMasked, TakenAs takenAs, String recording,
            Integer recordingSeconds, String transferId, Status status, LocalDateTime createdAt,
            LocalDateTime handledAt, String handledBy, String handledNote) {

        /** How long it took (or has taken so far) to handle. */
        public Duration timeToHandle(LocalDateTime now) {
            return Duration.between(createdAt, handledAt != null ? handledAt : now);
        }
    }

    /** Counts for a report range. */
    public record Counts(int total, int recorded, int byPerson, int handled, int open, Duration medianToHandle) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final java.nio.file.Path recordingsDir;

    public Complaints(JdbcTemplate jdbc, Clock clock,
            @org.springframework.beans.factory.annotation.Value("${hotline.complaints.recordings-dir:./data/complaints}")
            String recordingsDir) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.recordingsDir = java.nio.file.Path.of(recordingsDir).toAbsolutePath().normalize();
    }

    /**
     * Where complaint recordings are kept on this gateway ({@code hotline.complaints.recordings-dir}): the direct SIP
     * adapter writes them here; Asterisk's (RECORD FILE, on the Asterisk server) are played from here when its
     * recording directory is shared under this one (docs/asterisk.md).
     */
    public java.nio.file.Path recordingsDir() {
        return recordingsDir;
    }

    /** A complaint's recording as a file of this gateway; empty when it has none or it is not (yet) here. */
    public java.util.Optional<java.nio.file.Path> recordingFile(long id) {
        String rec = jdbc.query("SELECT recording FROM complaint WHERE id = ?", rs -> rs.next() ? rs.getString(1) : null,
                id);
        if (rec == null) {
            return java.util.Optional.empty();
        }
        // only the file's name counts, whoever wrote the row: nothing outside the directory is ever served
        String name = rec.substring(rec.lastIndexOf('/') + 1);
        if (!name.matches("[A-Za-z0-9._-]+\\.wav") || name.startsWith(".")) {
            return java.util.Optional.empty();
        }
        java.nio.file.Path f = recordingsDir.resolve(name).normalize();
        return f.getParent().equals(recordingsDir) && java.nio.file.Files.isRegularFile(f)
                ? java.util.Optional.of(f) : java.util.Optional.empty();
    }

    /** The caller left their complaint as a recording. Returns its id. */
    public long recorded(String callId, String callerNumber, String callerMasked, String recording, int seconds) {
        long id = insert(callId, callerNumber, callerMasked, TakenAs.RECORDING, recording, seconds, null);
        log.info("Complaint {} recorded ({} s) from {}", id, seconds, callerMasked);
        return id;
    }

    /** The caller was handed to a person to make their complaint. Returns its id. */
    public long takenByPerson(String callId, String callerNumber, String callerMasked, String transferId) {
        long id = insert(callId, callerNumber, callerMasked, TakenAs.PERSON, null, null, transferId);
        log.info("Complaint {} to be taken by a person (transfer {}) from {}", id, transferId, callerMasked);
        return id;
    }

    private long insert(String callId, String caller, String masked, TakenAs as, String recording, Integer seconds,
            String transferId) {
        String number = caller == null || caller.isEmpty() ? null : caller;
        org.springframework.jdbc.support.GeneratedKeyHolder key = new org.springframework.jdbc.support.GeneratedKeyHolder();
        Timestamp now = Timestamp.valueOf(LocalDateTime.now(clock));
        jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    INSERT INTO complaint (call_id, caller_number, caller_masked, taken_as, recording, recording_seconds,
                      transfer_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'OPEN', ?)""",
                    java.sql.Statement.RETURN_GENERATED_KEYS);
            ps.setString(1, callId);
            ps.setString(2, number);
            ps.setString(3, number == null ? null : masked);
            ps.setString(4, as.name());
            ps.setString(5, recording);
            if (seconds == null) {
                ps.setNull(6, java.sql.Types.INTEGER);
            } else {
                ps.setInt(6, seconds);
            }
            ps.setString(7, transferId);
            ps.setTimestamp(8, now);
            return ps;
        }, key);
        return key.getKey().longValue();
    }

    /** Newest first; {@code status} null for all. */
    public List<Complaint> list(Status status, int limit) {
        String where = status == null ? "" : " WHERE status = '" + status.name() + "'";
        return jdbc.query("SELECT * FROM complaint" + where + " ORDER BY created_at DESC, id DESC LIMIT ?",
                (rs, i) -> new Complaint(rs.getLong("id"), rs.getString("call_id"), rs.getString("caller_masked"),
                        TakenAs.valueOf(rs.getString("taken_as")), rs.getString("recording"),
                        (Integer) rs.getObject("recording_seconds", Integer.class), rs.getString("transfer_id"),
                        Status.valueOf(rs.getString("status")), rs.getTimestamp("created_at").toLocalDateTime(),
                        rs.getTimestamp("handled_at") == null ? null : rs.getTimestamp("handled_at").toLocalDateTime(),
                        rs.getString("handled_by"), rs.getString("handled_note")),
                Math.max(1, Math.min(limit, 1000)));
    }

    /** Marks an open complaint handled; false when it does not exist or was handled already. */
    public boolean markHandled(long id, String by, String note) {
        String n = note == null ? null : note.strip();
        if (n != null && n.length() > 500) {
            n = n.substring(0, 500);
        }
        int rows = jdbc.update("UPDATE complaint SET status = 'HANDLED', handled_at = ?, handled_by = ?, handled_note = ?"
                + " WHERE id = ? AND status = 'OPEN'", Timestamp.valueOf(LocalDateTime.now(clock)), by, n, id);
        if (rows == 1) {
            log.info("Complaint {} handled by {}", id, by);
        }
        return rows == 1;
    }

    /** Complaints made from {@code from} to {@code to} (inclusive days). */
    public Counts counts(LocalDate from, LocalDate to) {
        Timestamp a = Timestamp.valueOf(from.atStartOfDay());
        Timestamp b = Timestamp.valueOf(to.plusDays(1).atStartOfDay());
        var row = jdbc.queryForMap("""
                SELECT COUNT(*) AS total, COALESCE(SUM(taken_as = 'RECORDING'), 0) AS recorded,
                  COALESCE(SUM(taken_as = 'PERSON'), 0) AS person, COALESCE(SUM(status = 'HANDLED'), 0) AS handled
                FROM complaint WHERE created_at >= ? AND created_at < ?""", a, b);
        List<Long> secs = jdbc.queryForList("""
                SELECT TIMESTAMPDIFF(SECOND, created_at, handled_at) FROM complaint
                WHERE created_at >= ? AND created_at < ? AND status = 'HANDLED' ORDER BY 1""", Long.class, a, b);
        int total = ((Number) row.get("total")).intValue();
        int handled = ((Number) row.get("handled")).intValue();
        return new Counts(total, ((Number) row.get("recorded")).intValue(), ((Number) row.get("person")).intValue(),
                handled, total - handled, secs.isEmpty() ? null : Duration.ofSeconds(secs.get(secs.size() / 2)));
    }
}
