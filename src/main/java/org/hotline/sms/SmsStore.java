package org.hotline.sms;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;

/**
 * The outbox rows as the dispatcher and the receipt handler see them. Every change of a claimed row
 * names the node that claimed it ({@code claimed_by}), so a node whose lease ran out cannot overwrite
 * the node that took the row over.
 */
final class SmsStore {

    private static final Logger log = LoggerFactory.getLogger(SmsStore.class);

    /** A row this node claimed, with the parts the SMSC already has. */
    record Claimed(long id, Long bookingId, SmsKind kind, String phone, String phoneMasked, String body, int parts,
            int attempts, Set<Integer> sentParts) {
    }

    private final JdbcTemplate jdbc;
    /**
     * Read committed throughout: a claim takes no gap locks (SKIP LOCKED skips exactly the rows another
     * node holds), and a receipt that waited for the message's row lock counts the parts as they are
     * now, not as its snapshot saw them (two receipts of one message would otherwise each miss the other).
     */
    private final TransactionTemplate tx;
    private final TransactionTemplate claimTx;
    private final Clock clock;
    private final SmsTemplates templates;
    private final SmsOutbox outbox;
    private final BookingService booking;
    private final List<String> agentPhones;

    SmsStore(JdbcTemplate jdbc, PlatformTransactionManager txManager, Clock clock, SmsTemplates templates,
            SmsOutbox outbox, BookingService booking, List<String> agentPhones) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(txManager);
        this.tx.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
        this.claimTx = tx;
        this.clock = clock;
        this.templates = templates;
        this.outbox = outbox;
        this.booking = booking;
        this.agentPhones = agentPhones;
    }

    // ---------------------------------------------------------------- claim

    /** Claims up to {@code max} due rows: PENDING ones whose time has come, and SENDING ones whose lease ran out. */
    List<Claimed> claim(String node, int max, Duration lease) {
        LocalDateTime now = now();
        return claimTx.execute(st -> {
            List<Claimed> rows = new ArrayList<>(jdbc.query("""
                    SELECT id, booking_id, kind, phone, phone_masked, body, parts, attempts FROM sms_message
                    WHERE status = 'PENDING' AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED""", SmsStore::claimed, now, max));
            if (rows.size() < max) {
                rows.addAll(jdbc.query("""
                        SELECT id, booking_id, kind, phone, phone_masked, body, parts, attempts FROM sms_message
                        WHERE status = 'SENDING' AND claimed_until < ?
                        ORDER BY claimed_until, id LIMIT ? FOR UPDATE SKIP LOCKED""", SmsStore::claimed, now,
                        max - rows.size()));
            }
            if (rows.isEmpty()) {
                return List.of();
            }
            String ids = String.join(",", rows.stream().map(r -> Long.toString(r.id())).toList());
            jdbc.update("UPDATE sms_message SET status = 'SENDING', claimed_by = ?, claimed_until = ? WHERE id IN ("
                    + ids + ")", node, now.plus(lease));
            Map<Long, Set<Integer>> sent = new HashMap<>();
            jdbc.query("SELECT message_id, part_no FROM sms_part WHERE message_id IN (" + ids + ")",
                    rs -> {
                        sent.computeIfAbsent(rs.getLong(1), k -> new HashSet<>()).add(rs.getInt(2));
                    });
            List<Claimed> out = new ArrayList<>(rows.size());
            for (Claimed r : rows) {
                out.add(new Claimed(r.id(), r.bookingId(), r.kind(), r.phone(), r.phoneMasked(), r.body(), r.parts(),
                        r.attempts(), Collections.unmodifiableSet(sent.getOrDefault(r.id(), Set.of()))));
            }
            return out;
        });
    }

    private static Claimed claimed(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
        return new Claimed(rs.getLong(1), rs.getObject(2, Long.class), SmsKind.valueOf(rs.getString(3)),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getInt(7), rs.getInt(8), Set.of());
    }

    // ---------------------------------------------------------------- outcomes of a claim

    /** The SMSC accepted one part. Recorded at once, so a restart never sends that part again. */
    void recordPart(long messageId, int partNo, String smscId, String node) {
        recordPartRow(messageId, partNo, smscId, node);
        matchWaitingFor(smscId);
    }

    private void matchWaitingFor(String smscId) {
        List<Long> waiting = jdbc.queryForList("SELECT id FROM sms_receipt_waiting WHERE smsc_id = ?", Long.class,
                smscId);
        if (!waiting.isEmpty()) {
            matchWaitingReceipts();
        }
    }

    private void recordPartRow(long messageId, int partNo, String smscId, String node) {
        jdbc.update("""
                INSERT INTO sms_part (message_id, part_no, smsc_id, smsc_id_hex, status, node, submitted_at)
                VALUES (?, ?, ?, ?, 'SUBMITTED', ?, ?)
                ON DUPLICATE KEY UPDATE smsc_id = VALUES(smsc_id), smsc_id_hex = VALUES(smsc_id_hex)""", messageId,
                partNo, smscId, hexValue(smscId), node, now());
    }

    /** The last missing part accepted: part and message state in one commit (one fsync, not two). */
    void recordLastPart(long messageId, int partNo, String smscId, String node) {
        tx.executeWithoutResult(st -> {
            recordPartRow(messageId, partNo, smscId, node);
            markSubmitted(messageId, node);
        });
        matchWaitingFor(smscId);
    }

    void markSubmitted(long id, String node) {
        jdbc.update("""
                UPDATE sms_message SET status = 'SUBMITTED', submitted_at = ?, claimed_by = NULL, claimed_until = NULL,
                  last_error = NULL
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", now(), id, node);
    }

    /** Back to the queue. {@code countsAsAttempt}: the SMSC said no (a temporary error), not the link. */
    void retryLater(Claimed m, String node, String reason, boolean countsAsAttempt, Duration delay, int maxAttempts) {
        int attempts = m.attempts() + (countsAsAttempt ? 1 : 0);
        if (countsAsAttempt && attempts >= maxAttempts) {
            markFailed(m, node, reason + "（重试" + attempts + "次后放弃）");
            return;
        }
        jdbc.update("""
                UPDATE sms_message SET status = 'PENDING', attempts = ?, next_attempt_at = ?, last_error = ?,
                  claimed_by = NULL, claimed_until = NULL
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", attempts, now().plus(delay),
                truncate(reason), m.id(), node);
    }

    void markFailed(Claimed m, String node, String reason) {
        tx.executeWithoutResult(st -> {
            int n = jdbc.update("""
                    UPDATE sms_message SET status = 'FAILED', done_at = ?, last_error = ?, claimed_by = NULL,
                      claimed_until = NULL
                    WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", now(), truncate(reason), m.id(), node);
            if (n == 1) {
                log.warn("SMS {} ({}) to {} failed: {}", m.id(), m.kind(), m.phoneMasked(), reason);
                notice(m.id(), m.bookingId(), m.kind(), m.phoneMasked(), reason);
            }
        });
    }

    void markCancelled(Claimed m, String node) {
        jdbc.update("""
                UPDATE sms_message SET status = 'CANCELLED', done_at = ?, claimed_by = NULL, claimed_until = NULL
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", now(), m.id(), node);
    }

    /** At a stop: rows claimed but not finished go back to the queue (parts already accepted stay recorded). */
    int releaseClaims(String node) {
        return jdbc.update("""
                UPDATE sms_message SET status = 'PENDING', claimed_by = NULL, claimed_until = NULL
                WHERE status = 'SENDING' AND claimed_by = ?""", node);
    }

    // ---------------------------------------------------------------- receipts

    /**
     * Applies a delivery receipt. Ids are matched as the SMSC returned them, or, when the receipt quotes a
     * decimal number, against the hex value of the returned id (SMSCs differ). An unknown id waits in
     * {@code sms_receipt_waiting}: its submit_sm_resp may not be recorded yet.
     *
     * @return true when it matched a part
     */
    boolean applyReceipt(String smscId, String stat, String err) {
        String partStatus = partStatusOf(stat);
        if (partStatus == null) {
            return true; // ENROUTE, ACCEPTD: not final, nothing to record
        }
        Boolean matched = tx.execute(st -> {
            long[] part = findPart(smscId);
            if (part == null) {
                jdbc.update("INSERT INTO sms_receipt_waiting (smsc_id, stat, err, received_at) VALUES (?, ?, ?, ?)",
                        smscId, stat, err, now());
                return false;
            }
            applyToPart(part[0], (int) part[1], partStatus, stat, err);
            return true;
        });
        return Boolean.TRUE.equals(matched);
    }

    /** Receipts that overtook their part: applies those whose part is now known, forgets those a day old. */
    int matchWaitingReceipts() {
        List<Map<String, Object>> waiting = jdbc.queryForList(
                "SELECT id, smsc_id, stat, err FROM sms_receipt_waiting ORDER BY id LIMIT 500");
        int n = 0;
        for (Map<String, Object> w : waiting) {
            String smscId = (String) w.get("smsc_id");
            Boolean done = tx.execute(st -> {
                if (jdbc.update("DELETE FROM sms_receipt_waiting WHERE id = ?", w.get("id")) == 0) {
                    return false; // another node applied it
                }
                long[] part = findPart(smscId);
                if (part == null) {
                    st.setRollbackOnly();
                    return false;
                }
                String stat = (String) w.get("stat");
                applyToPart(part[0], (int) part[1], partStatusOf(stat), stat, (String) w.get("err"));
                return true;
            });
            if (Boolean.TRUE.equals(done)) {
                n++;
            }
        }
        jdbc.update("DELETE FROM sms_receipt_waiting WHERE received_at < ?", now().minusDays(1));
        return n;
    }

    private void applyToPart(long messageId, int partNo, String partStatus, String stat, String err) {
        Map<String, Object> m = jdbc.queryForMap(
                "SELECT status, parts, kind, booking_id, phone_masked FROM sms_message WHERE id = ? FOR UPDATE",
                messageId);
        jdbc.update("UPDATE sms_part SET status = ?, receipt_at = ?, receipt_stat = ? WHERE message_id = ? AND part_no = ?",
                partStatus, now(), stat, messageId, partNo);
        SmsStatus current = SmsStatus.valueOf((String) m.get("status"));
        if (current.done()) {
            return;
        }
        Map<String, Object> agg = jdbc.queryForMap("""
                SELECT COALESCE(SUM(status = 'DELIVERED'), 0) AS delivered, COALESCE(SUM(status = 'FAILED'), 0) AS failed,
                       COALESCE(SUM(status = 'EXPIRED'), 0) AS expired
                FROM sms_part WHERE message_id = ?""", messageId);
        int parts = ((Number) m.get("parts")).intValue();
        SmsStatus next = ((Number) agg.get("failed")).intValue() > 0 ? SmsStatus.FAILED
                : ((Number) agg.get("expired")).intValue() > 0 ? SmsStatus.EXPIRED
                : ((Number) agg.get("delivered")).intValue() >= parts ? SmsStatus.DELIVERED : null;
        if (next == null) {
            return;
        }
        String reason = next == SmsStatus.DELIVERED ? null : "回执 " + stat + (err == null ? "" : " err:" + err);
        jdbc.update("UPDATE sms_message SET status = ?, done_at = ?, last_error = COALESCE(?, last_error) WHERE id = ?",
                next.name(), now(), reason, messageId);
        if (next != SmsStatus.DELIVERED) {
            String masked = (String) m.get("phone_masked");
            SmsKind kind = SmsKind.valueOf((String) m.get("kind"));
            log.warn("SMS {} ({}) to {} not delivered: {}", messageId, kind, masked, reason);
            Long bookingId = m.get("booking_id") == null ? null : ((Number) m.get("booking_id")).longValue();
            notice(messageId, bookingId, kind, masked, next == SmsStatus.EXPIRED ? "号码长时间无法接收（" + stat + "）"
                    : "号码无法接收（" + stat + "）");
        }
    }

    private long[] findPart(String smscId) {
        List<long[]> p = jdbc.query("SELECT message_id, part_no FROM sms_part WHERE smsc_id = ?",
                (rs, i) -> new long[] {rs.getLong(1), rs.getInt(2)}, smscId);
        if (p.isEmpty() && smscId.matches("\\d{1,20}")) {
            p = jdbc.query("SELECT message_id, part_no FROM sms_part WHERE smsc_id_hex = ?",
                    (rs, i) -> new long[] {rs.getLong(1), rs.getInt(2)}, new BigDecimal(smscId));
        }
        return p.isEmpty() ? null : p.get(0);
    }

    static BigDecimal hexValue(String smscId) {
        if (smscId == null || !smscId.matches("[0-9a-fA-F]{1,16}")) {
            return null;
        }
        return new BigDecimal(new BigInteger(smscId, 16));
    }

    /** SMPP receipt {@code stat:} → part status; null for states that are not final. */
    static String partStatusOf(String stat) {
        if (stat == null) {
            return null;
        }
        return switch (stat.toUpperCase()) {
            case "DELIVRD" -> "DELIVERED";
            case "EXPIRED" -> "EXPIRED";
            case "UNDELIV", "REJECTD", "DELETED", "UNKNOWN" -> "FAILED";
            default -> null;
        };
    }

    // ---------------------------------------------------------------- agent notices

    private void notice(long messageId, Long bookingId, SmsKind kind, String phoneMasked, String reason) {
        if (!kind.worthANotice()) {
            return;
        }
        String code = bookingId == null ? null : booking.findById(bookingId).map(Booking::code).orElse(null);
        String text = templates.agentNotice(phoneMasked, kind, code, reason);
        jdbc.update("""
                INSERT INTO sms_agent_notice (message_id, booking_id, phone_masked, text, created_at)
                VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id""", messageId, bookingId, phoneMasked,
                truncate(text, 500), now());
        for (String agent : agentPhones) {
            outbox.enqueue(null, SmsKind.AGENT_NOTICE, agent, text, null);
        }
    }

    private static String truncate(String s) {
        return truncate(s, 200);
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
