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

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.booking.ConflictRetry;
import org.hotline.booking.PhoneNumber;

/**
 * The outbox rows as the dispatcher and the receipt handler see them. Every change of a claimed row
 * names the node that claimed it ({@code claimed_by}), so a node whose lease ran out cannot overwrite
 * the node that took the row over.
 */
final class SmsStore {

    private static final Logger log = LoggerFactory.getLogger(SmsStore.class);

    /**
     * A row this node claimed, with the parts the SMSC already has. {@code resentInDoubt}: its last owner died
     * mid-submit and no receipt settled it within the in-doubt wait, so its open part goes out again.
     */
    record Claimed(long id, Long bookingId, SmsKind kind, String phone, String phoneMasked, String body, int parts,
            int attempts, Set<Integer> sentParts, boolean resentInDoubt) {
    }

    /** What one look at an in-doubt row did. */
    enum Settled {
        /** not in doubt (any more), or another node holds it right now */
        NONE,
        /** a receipt was adopted as the open part's submission */
        ADOPTED,
        /** the open part turned out to be recorded after all */
        RECORDED,
        /** no receipt yet */
        WAITING,
        /** more than one row or receipt could be the one: left for the fallback */
        AMBIGUOUS
    }

    /** Bounded retries of an outbox transaction the database refused for a conflict (deadlock, Galera 1213). */
    private static final int CONFLICT_ATTEMPTS = ConflictRetry.ATTEMPTS;
    /** The SMSC's clock may run a little behind ours; receipts quote whole minutes anyway. */
    private static final Duration RECEIPT_CLOCK_SKEW = Duration.ofMinutes(1);

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
    private final Counter inDoubtSettled;
    private final Counter inDoubtResent;
    private final QuietHours quiet;

    SmsStore(JdbcTemplate jdbc, PlatformTransactionManager txManager, Clock clock, SmsTemplates templates,
            SmsOutbox outbox, BookingService booking, List<String> agentPhones, MeterRegistry registry,
            QuietHours quiet) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(txManager);
        this.tx.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
        this.claimTx = tx;
        this.clock = clock;
        this.templates = templates;
        this.outbox = outbox;
        this.booking = booking;
        this.agentPhones = agentPhones;
        this.quiet = quiet;
        MeterRegistry r = registry == null ? new SimpleMeterRegistry() : registry;
        // Prometheus: hotline_sms_in_doubt_settled_total, hotline_sms_in_doubt_resent_total
        this.inDoubtSettled = Counter.builder("hotline.sms.in.doubt.settled")
                .description("SMS parts a dead node may have submitted, settled by their delivery receipt").register(r);
        this.inDoubtResent = Counter.builder("hotline.sms.in.doubt.resent")
                .description("SMS parts a dead node may have submitted, sent again after the in-doubt wait").register(r);
    }

    double inDoubtSettledCount() {
        return inDoubtSettled.count();
    }

    double inDoubtResentCount() {
        return inDoubtResent.count();
    }

    // ---------------------------------------------------------------- claim

    /**
     * Claims up to {@code max} due rows: PENDING ones whose time has come, SENDING ones whose lease ran out
     * with no submit open, and IN_DOUBT ones whose wait is over (their open part goes out again). A SENDING
     * row whose lease ran out with a submit open ({@code in_flight_part}) is not claimed: it turns IN_DOUBT
     * for {@code inDoubtWait}, so that its delivery receipt can settle it (docs/sms.md).
     */
    List<Claimed> claim(String node, int max, Duration lease, Duration inDoubtWait) {
        LocalDateTime now = now();
        holdForQuietHours(now);
        List<Claimed> claimed = retriedOnConflict("claim", List.of(), () -> claimTx.execute(st -> {
            List<Claimed> rows = new ArrayList<>(jdbc.query("""
                    SELECT id, booking_id, kind, phone, phone_masked, body, parts, attempts FROM sms_message
                    WHERE status = 'PENDING' AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED""", SmsStore::claimed, now, max));
            if (rows.size() < max) {
                List<Long> doubtful = new ArrayList<>();
                jdbc.query("""
                        SELECT id, booking_id, kind, phone, phone_masked, body, parts, attempts, in_flight_part
                        FROM sms_message WHERE status = 'SENDING' AND claimed_until < ?
                        ORDER BY claimed_until, id LIMIT ? FOR UPDATE SKIP LOCKED""", rs -> {
                    if (rs.getObject(9) != null) {
                        doubtful.add(rs.getLong(1));
                    } else {
                        rows.add(claimed(rs, 0));
                    }
                }, now, max - rows.size());
                if (!doubtful.isEmpty()) {
                    jdbc.update("UPDATE sms_message SET status = 'IN_DOUBT', in_doubt_until = ?, claimed_by = NULL,"
                            + " claimed_until = NULL WHERE id IN (" + idList(doubtful) + ")", now.plus(inDoubtWait));
                    log.warn("SMS {}: the node sending them died mid-submit; in doubt for up to {} s, waiting for"
                            + " their receipts", doubtful, inDoubtWait.toSeconds());
                }
            }
            int fresh = rows.size();
            if (rows.size() < max) {
                rows.addAll(jdbc.query("""
                        SELECT id, booking_id, kind, phone, phone_masked, body, parts, attempts FROM sms_message
                        WHERE status = 'IN_DOUBT' AND in_doubt_until < ?
                        ORDER BY in_doubt_until, id LIMIT ? FOR UPDATE SKIP LOCKED""", SmsStore::claimed, now,
                        max - rows.size()));
            }
            if (rows.isEmpty()) {
                return List.<Claimed>of();
            }
            String ids = idList(rows.stream().map(Claimed::id).toList());
            jdbc.update("UPDATE sms_message SET status = 'SENDING', claimed_by = ?, claimed_until = ?,"
                    + " in_flight_part = NULL, in_flight_at = NULL, in_doubt_until = NULL WHERE id IN (" + ids + ")",
                    node, now.plus(lease));
            Map<Long, Set<Integer>> sent = new HashMap<>();
            jdbc.query("SELECT message_id, part_no FROM sms_part WHERE message_id IN (" + ids + ")",
                    rs -> {
                        sent.computeIfAbsent(rs.getLong(1), k -> new HashSet<>()).add(rs.getInt(2));
                    });
            List<Claimed> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Claimed r = rows.get(i);
                out.add(new Claimed(r.id(), r.bookingId(), r.kind(), r.phone(), r.phoneMasked(), r.body(), r.parts(),
                        r.attempts(), Collections.unmodifiableSet(sent.getOrDefault(r.id(), Set.of())), i >= fresh));
            }
            return out;
        }));
        for (Claimed c : claimed) {
            if (c.resentInDoubt()) {
                inDoubtResent.increment();
                log.warn("SMS {} ({}) to {}: no receipt settled the part its dead node may have submitted; sending it"
                        + " again (it may arrive twice)", c.id(), c.kind(), c.phoneMasked());
            }
        }
        return claimed;
    }

    /**
     * In the quiet hours, the messages of kinds that keep them and are due now (queued before, retried, or
     * caught up after an outage) are put off to the end of the quiet hours instead of being claimed.
     */
    private void holdForQuietHours(LocalDateTime now) {
        if (!quiet.quietAt(now.toLocalTime())) {
            return;
        }
        int held = jdbc.update("""
                UPDATE sms_message SET next_attempt_at = ?
                WHERE status = 'PENDING' AND next_attempt_at <= ? AND kind IN ('REMINDER', 'NEXT_DOSE')""",
                quiet.sendableFrom(now), now);
        if (held > 0) {
            log.info("{} reminder or next-dose SMS held until {} (quiet hours {}–{})", held, quiet.sendableFrom(now),
                    quiet.start(), quiet.end());
        }
    }

    private static String idList(List<Long> ids) {
        return String.join(",", ids.stream().map(i -> Long.toString(i)).toList());
    }

    private static Claimed claimed(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
        return new Claimed(rs.getLong(1), rs.getObject(2, Long.class), SmsKind.valueOf(rs.getString(3)),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getInt(7), rs.getInt(8), Set.of(), false);
    }

    // ---------------------------------------------------------------- outcomes of a claim

    /**
     * The "submit started" marker: a node that dies from here until the part is recorded leaves the row in
     * doubt instead of free to send again.
     *
     * @return false when this node no longer holds the claim (do not submit)
     */
    boolean startPart(long messageId, int partNo, String node) {
        return jdbc.update("""
                UPDATE sms_message SET in_flight_part = ?, in_flight_at = ?
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", partNo, now(), messageId, node) == 1;
    }

    /**
     * The SMSC accepted one part that is not the last. Recorded at once, so a restart never sends that part
     * again; the marker moves on to {@code nextPart} in the same commit.
     *
     * @return false when this node no longer holds the claim (send no further part)
     */
    boolean recordPart(long messageId, int partNo, String smscId, String node, int nextPart) {
        Boolean held = tx.execute(st -> {
            recordPartRow(messageId, partNo, smscId, node);
            return startPart(messageId, nextPart, node);
        });
        matchWaitingFor(smscId);
        return Boolean.TRUE.equals(held);
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
                  last_error = NULL, in_flight_part = NULL, in_flight_at = NULL
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", now(), id, node);
    }

    /**
     * A submit_sm got no answer (timeout, closed socket) after it was written: the SMSC may have the part.
     * The row waits in doubt for its receipt, as a dead node's would, instead of going out again at once.
     */
    void markInDoubt(Claimed m, String node, String reason, Duration wait) {
        jdbc.update("""
                UPDATE sms_message SET status = 'IN_DOUBT', in_doubt_until = ?, last_error = ?, claimed_by = NULL,
                  claimed_until = NULL
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", now().plus(wait), truncate(reason), m.id(),
                node);
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
                  claimed_by = NULL, claimed_until = NULL, in_flight_part = NULL, in_flight_at = NULL
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", attempts, now().plus(delay),
                truncate(reason), m.id(), node);
    }

    void markFailed(Claimed m, String node, String reason) {
        tx.executeWithoutResult(st -> {
            int n = jdbc.update("""
                    UPDATE sms_message SET status = 'FAILED', done_at = ?, last_error = ?, claimed_by = NULL,
                      claimed_until = NULL, in_flight_part = NULL, in_flight_at = NULL
                    WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", now(), truncate(reason), m.id(), node);
            if (n == 1) {
                log.warn("SMS {} ({}) to {} failed: {}", m.id(), m.kind(), m.phoneMasked(), reason);
                notice(m.id(), m.bookingId(), m.kind(), m.phoneMasked(), reason);
            }
        });
    }

    void markCancelled(Claimed m, String node) {
        jdbc.update("""
                UPDATE sms_message SET status = 'CANCELLED', done_at = ?, claimed_by = NULL, claimed_until = NULL,
                  in_flight_part = NULL, in_flight_at = NULL
                WHERE id = ? AND status = 'SENDING' AND claimed_by = ?""", now(), m.id(), node);
    }

    /**
     * At a stop: rows claimed but not finished go back to the queue (parts already accepted stay recorded),
     * at once. A row whose submit is still open after the stop timeout is in doubt, as if this node had died.
     */
    int releaseClaims(String node, Duration inDoubtWait) {
        Integer n = retriedOnConflict("release claims", 0, () -> tx.execute(st -> jdbc.update("""
                UPDATE sms_message SET status = 'IN_DOUBT', in_doubt_until = ?, claimed_by = NULL, claimed_until = NULL
                WHERE status = 'SENDING' AND claimed_by = ? AND in_flight_part IS NOT NULL""", now().plus(inDoubtWait),
                node) + jdbc.update("""
                UPDATE sms_message SET status = 'PENDING', claimed_by = NULL, claimed_until = NULL
                WHERE status = 'SENDING' AND claimed_by = ?""", node)));
        return n == null ? 0 : n;
    }

    /**
     * Runs a transaction again when the database refuses it for a conflict (InnoDB deadlock between nodes
     * claiming at once, Galera certification 1213), at most {@value #CONFLICT_ATTEMPTS} times; then logs and
     * answers {@code otherwise}: what it did not do, the next round or the lease does.
     */
    private <T> T retriedOnConflict(String what, T otherwise, java.util.function.Supplier<T> transaction) {
        try {
            return ConflictRetry.run(e -> {
            }, transaction);
        } catch (org.springframework.dao.ConcurrencyFailureException e) {
            if (!Thread.currentThread().isInterrupted()) {
                log.warn("SMS outbox: {} refused {} times ({}); left to the next round", what, CONFLICT_ATTEMPTS,
                        e.getMostSpecificCause().toString());
            }
            return otherwise;
        }
    }

    // ---------------------------------------------------------------- receipts

    /**
     * Applies a delivery receipt. Ids are matched as the SMSC returned them, or, when the receipt quotes a
     * decimal number, against the hex value of the returned id (SMSCs differ). An unknown id waits in
     * {@code sms_receipt_waiting} with its source (the handset) and submit date: its submit_sm_resp may not
     * be recorded yet, or it may be the receipt an in-doubt row waits for.
     *
     * @param source     the receipt's source address: the handset the part went to (null: unknown)
     * @param submitDate the SMSC's submit date of the part as the receipt quotes it (null: not given)
     * @return true when it matched a part
     */
    boolean applyReceipt(String smscId, String stat, String err, String source, LocalDateTime submitDate) {
        String partStatus = partStatusOf(stat);
        if (partStatus == null) {
            return true; // ENROUTE, ACCEPTD: not final, nothing to record
        }
        String from = source == null || source.isBlank() ? null : PhoneNumber.normalise(source);
        Boolean matched = tx.execute(st -> {
            long[] part = findPart(smscId);
            if (part == null) {
                jdbc.update("""
                        INSERT INTO sms_receipt_waiting (smsc_id, stat, err, received_at, source_addr, submit_date)
                        VALUES (?, ?, ?, ?, ?, ?)""", smscId, stat, err, now(), from, submitDate);
                return false;
            }
            applyToPart(part[0], (int) part[1], partStatus, stat, err);
            return true;
        });
        if (!Boolean.TRUE.equals(matched) && from != null) {
            // perhaps the receipt an in-doubt row waits for: settle it now rather than at the next sweep
            for (Long id : jdbc.queryForList("SELECT id FROM sms_message WHERE phone = ? AND status = 'IN_DOUBT'",
                    Long.class, from)) {
                settle(id, "receipt");
            }
        }
        return Boolean.TRUE.equals(matched);
    }

    boolean applyReceipt(String smscId, String stat, String err) {
        return applyReceipt(smscId, stat, err, null, null);
    }

    // ---------------------------------------------------------------- settling what is in doubt

    /** Looks at every in-doubt row once; returns how many left the doubt (receipt adopted or part found recorded). */
    int settleInDoubt(String node) {
        int n = 0;
        for (Long id : jdbc.queryForList("SELECT id FROM sms_message WHERE status = 'IN_DOUBT' ORDER BY id LIMIT 500",
                Long.class)) {
            Settled s = settle(id, node);
            if (s == Settled.ADOPTED || s == Settled.RECORDED) {
                n++;
            }
        }
        return n;
    }

    /**
     * Settles one in-doubt row if its receipt is here. Safe with any number of nodes at once: the row is taken
     * with {@code FOR UPDATE SKIP LOCKED} and must still be IN_DOUBT, so one node adopts and the others find
     * nothing to do. A commit the database refuses (InnoDB deadlock, Galera certification 1213) runs again,
     * bounded, and then finds the row settled or still waiting.
     */
    Settled settle(long id, String node) {
        Settled s = retriedOnConflict("settling SMS " + id, Settled.NONE, () -> tx.execute(st -> settleOnce(id, node)));
        if (s == Settled.ADOPTED) {
            inDoubtSettled.increment();
        }
        if (s == Settled.ADOPTED || s == Settled.RECORDED) {
            outbox.wakeDispatchers(); // the parts after the settled one may be due now
        }
        return s;
    }

    private Settled settleOnce(long id, String node) {
        List<Map<String, Object>> rows = jdbc.queryForList("""
                SELECT phone, phone_masked, kind, parts, in_flight_part, in_flight_at FROM sms_message
                WHERE id = ? AND status = 'IN_DOUBT' FOR UPDATE SKIP LOCKED""", id);
        if (rows.isEmpty()) {
            return Settled.NONE;
        }
        Map<String, Object> m = rows.get(0);
        String phone = (String) m.get("phone");
        int parts = ((Number) m.get("parts")).intValue();
        Set<Integer> sent = new HashSet<>(jdbc.queryForList("SELECT part_no FROM sms_part WHERE message_id = ?",
                Integer.class, id));
        Number open = (Number) m.get("in_flight_part");
        if (open == null || sent.contains(open.intValue())) {
            resolve(id, sent.size() >= parts);
            return Settled.RECORDED;
        }
        // Another submit to this handset open (a live node's receipt may overtake its own write) or in doubt
        // too: a receipt from this number could be either one's. Read before the receipts: a live node clears
        // its marker in the commit that records its part, so one of the two reads sees it.
        Long others = jdbc.queryForObject("""
                SELECT COUNT(*) FROM sms_message WHERE phone = ? AND id <> ? AND status IN ('SENDING', 'IN_DOUBT')
                  AND in_flight_part IS NOT NULL""", Long.class, phone, id);
        if (others != null && others > 0) {
            return Settled.AMBIGUOUS;
        }
        LocalDateTime started = toLocal(m.get("in_flight_at"));
        LocalDateTime notBefore = (started == null ? now() : started).withSecond(0).withNano(0)
                .minus(RECEIPT_CLOCK_SKEW);
        // by receipt id: an SMSC offers a receipt again when its deliver_sm_resp was lost (e.g. the dead node
        // had taken it), so the same receipt can wait twice
        Map<String, Map<String, Object>> candidates = new java.util.LinkedHashMap<>();
        for (Map<String, Object> w : jdbc.queryForList("""
                SELECT id, smsc_id, stat, err FROM sms_receipt_waiting
                WHERE source_addr = ? AND submit_date >= ? ORDER BY id FOR UPDATE""", phone, notBefore)) {
            String smscId = (String) w.get("smsc_id");
            if (!candidates.containsKey(smscId) && findPart(smscId) == null) { // else a recorded part's: the sweep applies it
                candidates.put(smscId, w);
            }
        }
        if (candidates.isEmpty()) {
            return Settled.WAITING;
        }
        if (candidates.size() > 1) {
            return Settled.AMBIGUOUS;
        }
        Map<String, Object> w = candidates.values().iterator().next();
        int partNo = open.intValue();
        String smscId = (String) w.get("smsc_id");
        jdbc.update("DELETE FROM sms_receipt_waiting WHERE smsc_id = ?", smscId);
        recordPartRow(id, partNo, smscId, node);
        sent.add(partNo);
        resolve(id, sent.size() >= parts);
        String stat = (String) w.get("stat");
        applyToPart(id, partNo, partStatusOf(stat), stat, (String) w.get("err"));
        log.info("SMS {} ({}) to {}: part {} settled by its receipt {}, not sent again", id, m.get("kind"),
                m.get("phone_masked"), partNo, smscId);
        return Settled.ADOPTED;
    }

    private static LocalDateTime toLocal(Object v) {
        if (v instanceof LocalDateTime l) {
            return l;
        }
        if (v instanceof java.sql.Timestamp t) {
            return t.toLocalDateTime();
        }
        return null;
    }

    /** Out of doubt: SUBMITTED when every part is recorded, else back in the queue for the rest at once. */
    private void resolve(long id, boolean allRecorded) {
        if (allRecorded) {
            jdbc.update("""
                    UPDATE sms_message SET status = 'SUBMITTED', submitted_at = COALESCE(submitted_at, ?),
                      in_flight_part = NULL, in_flight_at = NULL, in_doubt_until = NULL WHERE id = ?""", now(), id);
        } else {
            jdbc.update("""
                    UPDATE sms_message SET status = 'PENDING', next_attempt_at = ?, in_flight_part = NULL,
                      in_flight_at = NULL, in_doubt_until = NULL WHERE id = ?""", now(), id);
        }
    }

    /**
     * Settles as delivered every part still SUBMITTED that was submitted before {@code before}, and the
     * messages all of whose parts are then delivered (the embedded sink's lost receipts, {@link SinkRestartSettlement}).
     *
     * @return messages settled
     */
    int settleSubmittedBefore(LocalDateTime before, String stat, String note) {
        return retriedOnConflict("settle", 0, () -> tx.execute(st -> {
            LocalDateTime now = now();
            jdbc.update("""
                    UPDATE sms_part SET status = 'DELIVERED', receipt_at = ?, receipt_stat = ?
                    WHERE status = 'SUBMITTED' AND submitted_at < ?""", now, stat, before);
            return jdbc.update("""
                    UPDATE sms_message m SET m.status = 'DELIVERED', m.done_at = ?, m.last_error = ?
                    WHERE m.status = 'SUBMITTED'
                      AND (SELECT COUNT(*) FROM sms_part p WHERE p.message_id = m.id AND p.status = 'DELIVERED') >= m.parts""",
                    now, note);
        }));
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

    java.time.LocalDate today() {
        return now().toLocalDate();
    }
}
