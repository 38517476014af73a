package org.hotline.outbound;

import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbound module's tables ({@code outbound_call}, {@code outbound_attempt}, {@code outbound_number_day},
 * {@code outbound_contact}). Claims are {@code SELECT ... FOR UPDATE SKIP LOCKED} then an UPDATE in one
 * transaction, so two nodes polling at once never claim the same call; the per-number cap is one conditional
 * UPDATE on the day's row.
 */
@Component
public class OutboundStore {

    /** One call to make, as stored. */
    public record OutboundCall(long id, Purpose purpose, String ref, String number, String numberMasked, String status,
            int attempts, int maxAttempts, LocalDateTime nextTryAt, LocalDateTime notAfter, String claimedBy,
            String claimToken, String outcome) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;

    public OutboundStore(JdbcTemplate jdbc, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.tx = tx;
    }

    /** Queues a call unless one for the same purpose and ref exists; the id of the (new or existing) call. */
    public long insert(Purpose purpose, String ref, String number, String masked, int maxAttempts, LocalDateTime due,
            LocalDateTime notAfter, LocalDateTime now) {
        try {
            jdbc.update("""
                    INSERT INTO outbound_call (purpose, ref, number, number_masked, status, attempts, max_attempts,
                      next_try_at, not_after, created_at, updated_at)
                    VALUES (?,?,?,?,'PENDING',0,?,?,?,?,?)""", purpose.name(), ref, number, masked, maxAttempts,
                    ts(due), ts(notAfter), ts(now), ts(now));
        } catch (DuplicateKeyException e) {
            // queued before (another node, an earlier run): one call per purpose and ref
        }
        return jdbc.queryForObject("SELECT id FROM outbound_call WHERE purpose = ? AND ref = ?", Long.class,
                purpose.name(), ref);
    }

    public Optional<OutboundCall> find(long id) {
        return jdbc.query("SELECT * FROM outbound_call WHERE id = ?", OutboundStore::row, id).stream().findFirst();
    }

    public Optional<OutboundCall> find(Purpose purpose, String ref) {
        return jdbc.query("SELECT * FROM outbound_call WHERE purpose = ? AND ref = ?", OutboundStore::row,
                purpose.name(), ref).stream().findFirst();
    }

    /** The call being placed with this token (status DIALLING); empty for any other token. */
    public Optional<OutboundCall> byToken(String token) {
        if (token == null || !token.matches("[0-9a-f]{32}")) {
            return Optional.empty();
        }
        return jdbc.query("SELECT * FROM outbound_call WHERE claim_token = ? AND status = 'DIALLING'",
                OutboundStore::row, token).stream().findFirst();
    }

    /**
     * Claims up to {@code max} calls that are due (PENDING and next_try_at passed, or DIALLING whose claim ran
     * out) for this node: each gets a fresh 128-bit token, {@code claimed_until} and one more attempt. Calls past
     * their {@code not_after} become EXPIRED instead.
     */
    public List<OutboundCall> claimDue(String node, LocalDateTime now, LocalDateTime claimUntil, int max) {
        return tx.execute(s -> {
            jdbc.update("""
                    UPDATE outbound_call SET status = 'EXPIRED', claim_token = NULL, updated_at = ?
                    WHERE status IN ('PENDING','DIALLING') AND not_after < ?
                      AND (status = 'PENDING' OR claimed_until < ?)""", ts(now), ts(now), ts(now));
            List<Long> ids = jdbc.queryForList("""
                    SELECT id FROM outbound_call
                    WHERE (status = 'PENDING' AND next_try_at <= ?) OR (status = 'DIALLING' AND claimed_until < ?)
                    ORDER BY next_try_at, id LIMIT ? FOR UPDATE SKIP LOCKED""", Long.class, ts(now), ts(now), max);
            for (long id : ids) {
                jdbc.update("""
                        UPDATE outbound_call SET status = 'DIALLING', claimed_by = ?, claim_token = ?, claimed_until = ?,
                          attempts = attempts + 1, updated_at = ? WHERE id = ?""", node, token(), ts(claimUntil),
                        ts(now), id);
            }
            return ids.stream().map(id -> find(id).orElseThrow()).toList();
        });
    }

    /** Gives a claim back without it counting as a try (not placed: quiet hours, cap, no agent free). */
    public void unclaim(OutboundCall c, LocalDateTime nextTry, LocalDateTime now) {
        jdbc.update("""
                UPDATE outbound_call SET status = 'PENDING', claim_token = NULL, claimed_until = NULL,
                  attempts = attempts - 1, next_try_at = ?, updated_at = ? WHERE id = ? AND claim_token = ?""",
                ts(nextTry), ts(now), c.id(), c.claimToken());
    }

    /** Ends a call for good (DONE, GAVE_UP, OPTED_OUT, CANCELLED) if this token still holds it; whether it did. */
    public boolean close(OutboundCall c, String status, Outcome outcome, LocalDateTime now) {
        return jdbc.update("""
                UPDATE outbound_call SET status = ?, outcome = ?, claim_token = NULL, claimed_until = NULL, updated_at = ?
                WHERE id = ? AND claim_token = ?""", status, outcome == null ? null : outcome.name(), ts(now), c.id(),
                c.claimToken()) == 1;
    }

    /** After a try that reached nobody: due again at {@code nextTry}, if this token still holds it. */
    public boolean retry(OutboundCall c, Outcome outcome, LocalDateTime nextTry, LocalDateTime now) {
        return jdbc.update("""
                UPDATE outbound_call SET status = 'PENDING', outcome = ?, claim_token = NULL, claimed_until = NULL,
                  next_try_at = ?, updated_at = ? WHERE id = ? AND claim_token = ?""", outcome.name(), ts(nextTry),
                ts(now), c.id(), c.claimToken()) == 1;
    }

    public void startAttempt(OutboundCall c, String node, String via, LocalDateTime now) {
        jdbc.update("""
                INSERT INTO outbound_attempt (call_id, attempt_no, node, via, started_at) VALUES (?,?,?,?,?)
                ON DUPLICATE KEY UPDATE node = VALUES(node), via = VALUES(via), started_at = VALUES(started_at)""",
                c.id(), c.attempts(), node, via, ts(now));
    }

    /** The callee answered (the first answer of this try only: a replayed token finds it taken). */
    public boolean answered(OutboundCall c, String channelId, LocalDateTime now) {
        return jdbc.update("""
                UPDATE outbound_attempt SET answered_at = ?, channel_id = COALESCE(?, channel_id)
                WHERE call_id = ? AND attempt_no = ? AND answered_at IS NULL""", ts(now), channelId, c.id(),
                c.attempts()) == 1;
    }

    public void endAttempt(OutboundCall c, Outcome outcome, String keys, String channelId, LocalDateTime now) {
        jdbc.update("""
                UPDATE outbound_attempt SET ended_at = ?, outcome = ?, keys_pressed = ?, channel_id = COALESCE(?, channel_id)
                WHERE call_id = ? AND attempt_no = ? AND outcome IS NULL""", ts(now), outcome.name(),
                keys == null ? null : keys.substring(0, Math.min(32, keys.length())), channelId, c.id(), c.attempts());
    }

    /** Takes one of the number's calls for the day; false when the cap is reached. */
    public boolean takeDailyCall(String number, LocalDate day, int cap) {
        jdbc.update("INSERT IGNORE INTO outbound_number_day (number, day, calls) VALUES (?,?,0)", number, day);
        return jdbc.update("UPDATE outbound_number_day SET calls = calls + 1 WHERE number = ? AND day = ? AND calls < ?",
                number, day, cap) == 1;
    }

    public boolean optedOut(String number) {
        return Boolean.TRUE.equals(jdbc.query(
                "SELECT opted_out_at IS NOT NULL FROM outbound_contact WHERE number = ?",
                rs -> rs.next() && rs.getBoolean(1), number));
    }

    public boolean prefersVoice(String number) {
        return Boolean.TRUE.equals(jdbc.query("SELECT voice_reminders FROM outbound_contact WHERE number = ?",
                rs -> rs.next() && rs.getBoolean(1), number));
    }

    /** Records the opt-out (first one kept) and ends every call to the number not yet placed. */
    public int optOut(String number, String via, String by, LocalDateTime now) {
        jdbc.update("""
                INSERT INTO outbound_contact (number, opted_out_at, opted_out_via, opted_out_by, updated_at)
                VALUES (?,?,?,?,?)
                ON DUPLICATE KEY UPDATE opted_out_via = IF(opted_out_at IS NULL, VALUES(opted_out_via), opted_out_via),
                  opted_out_by = IF(opted_out_at IS NULL, VALUES(opted_out_by), opted_out_by),
                  opted_out_at = COALESCE(opted_out_at, VALUES(opted_out_at)), updated_at = VALUES(updated_at)""",
                number, ts(now), via, by, ts(now));
        return jdbc.update("""
                UPDATE outbound_call SET status = 'OPTED_OUT', claim_token = NULL, updated_at = ?
                WHERE number = ? AND status = 'PENDING'""", ts(now), number);
    }

    public void preferVoice(String number, boolean voice, LocalDateTime now) {
        jdbc.update("""
                INSERT INTO outbound_contact (number, voice_reminders, updated_at) VALUES (?,?,?)
                ON DUPLICATE KEY UPDATE voice_reminders = VALUES(voice_reminders), updated_at = VALUES(updated_at)""",
                number, voice, ts(now));
    }

    private static String token() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static Timestamp ts(LocalDateTime t) {
        return Timestamp.valueOf(t);
    }

    private static OutboundCall row(ResultSet rs, int i) throws SQLException {
        return new OutboundCall(rs.getLong("id"), Purpose.valueOf(rs.getString("purpose")), rs.getString("ref"),
                rs.getString("number"), rs.getString("number_masked"), rs.getString("status"), rs.getInt("attempts"),
                rs.getInt("max_attempts"), rs.getTimestamp("next_try_at").toLocalDateTime(),
                rs.getTimestamp("not_after").toLocalDateTime(), rs.getString("claimed_by"), rs.getString("claim_token"),
                rs.getString("outcome"));
    }
}
