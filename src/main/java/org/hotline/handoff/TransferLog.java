package org.hotline.handoff;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.db.DatabaseWatch;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where the flow engine records each transfer to a person and each call-back request, and where the
 * agent console reads them. Tables {@code call_transfer} and {@code callback_request}.
 *
 * <p>A record never stands between a caller and a person: the engine hands the call over first and then
 * calls {@link #recordAfterTransfer}. While the database is away ({@link DatabaseWatch}) or a write fails,
 * records wait in memory on this node, oldest first, at most {@code hotline.db.watch.deferred-max} (the
 * oldest are dropped beyond that), and are written when the database answers again. A node that dies
 * meanwhile loses them: the caller still reached a person, only the agent's screen lacks the context.
 */
@Component
public class TransferLog {

    private static final Logger log = LoggerFactory.getLogger(TransferLog.class);
    private static final TypeReference<LinkedHashMap<String, String>> CHOICES = new TypeReference<>() {
    };
    /** How long a caller's thread waits for the record after the hand-over before it lets the call go. */
    private static final long RECORD_WAIT_MS = 1500;

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final JsonMapper json = JsonMapper.builder().build();
    private final DatabaseWatch watch;
    private final int deferredMax;
    private final java.util.Deque<Deferred> deferred = new java.util.ArrayDeque<>();
    private final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong writtenLater = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.ThreadPoolExecutor writer;

    /** A record kept until the database answers: a transfer, or a call-back request (with its reason). */
    private record Deferred(TransferContext transfer, String callbackReason, LocalDateTime callbackAt) {
    }

    public TransferLog(JdbcTemplate jdbc, Clock clock, ObjectProvider<DatabaseWatch> watch) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.watch = watch.getIfAvailable();
        this.deferredMax = this.watch == null ? 10_000 : this.watch.properties().deferredMax();
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        this.writer = new java.util.concurrent.ThreadPoolExecutor(8, 8, 30, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(2000), r -> {
                    Thread th = new Thread(r, "transfer-log-" + n.incrementAndGet());
                    th.setDaemon(true);
                    return th;
                });
        writer.allowCoreThreadTimeOut(true);
        if (this.watch != null) {
            this.watch.onChange(up -> {
                if (up) {
                    flushDeferred(30);
                }
            });
        }
    }

    public void record(TransferContext t) {
        insert(t, false);
    }

    private void insert(TransferContext t, boolean ignoreDuplicate) {
        jdbc.update((ignoreDuplicate ? "INSERT IGNORE" : "INSERT") + """
                 INTO call_transfer (transfer_id, call_id, caller_number, caller_masked, patient_masked,
                  patient_age, reason, flow, node, choices_json, priority, created_at)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""", t.transferId(), cut(t.callId(), 64), fits(t.callerNumber(), 32),
                cut(t.callerMasked(), 32), cut(t.patientMasked(), 18), t.patientAge(), t.reason().name(),
                cut(t.flow(), 64), cut(t.node(), 64), json.writeValueAsString(t.choices()), t.priority(),
                Timestamp.valueOf(t.createdAt()));
    }

    /**
     * After the caller was handed to a person: writes the record, or keeps it for later when the database
     * is away or the write fails. Waits at most ~1.5 s (a write the pool is still waiting for goes on in the
     * background), so that Asterisk gets the call back for its queue without a silence.
     */
    public void recordAfterTransfer(TransferContext t) {
        if (!databaseUp()) {
            defer(new Deferred(t, null, null));
            return;
        }
        java.util.Map<String, String> mdc = MDC.getCopyOfContextMap();
        java.util.concurrent.Future<?> f;
        try {
            f = writer.submit(() -> {
                if (mdc != null) {
                    MDC.setContextMap(mdc);
                }
                try {
                    insert(t, true);
                    if (hasDeferred()) {
                        flushDeferred(1);
                    }
                } catch (DataAccessException e) {
                    log.warn("Transfer {} not recorded now ({}); kept to write when the database answers",
                            t.transferId(), e.getClass().getSimpleName());
                    defer(new Deferred(t, null, null));
                } finally {
                    MDC.clear();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            defer(new Deferred(t, null, null));
            return;
        }
        try {
            f.get(RECORD_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("Transfer {} still being recorded; the caller goes on to the queue meanwhile", t.transferId());
        } catch (java.util.concurrent.ExecutionException e) {
            log.warn("Transfer {} not recorded: {}", t.transferId(), e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A call-back request with its transfer record; when the database is away both are kept and written
     * later, and the answer is null (no id yet). The caller was promised a call-back either way.
     */
    public Long requestCallbackOrDefer(TransferContext t, String reason) {
        LocalDateTime at = LocalDateTime.now(clock);
        if (databaseUp()) {
            try {
                insert(t, true);
                return insertCallback(t, reason, at);
            } catch (DataAccessException e) {
                log.warn("Call-back for transfer {} not recorded now ({}); kept to write when the database answers",
                        t.transferId(), e.getClass().getSimpleName());
            }
        }
        defer(new Deferred(t, reason, at));
        return null;
    }

    /** Records kept in memory, waiting for the database. */
    public int deferredCount() {
        synchronized (deferred) {
            return deferred.size();
        }
    }

    /** Kept records written once the database answered again, since start. */
    public long writtenLaterCount() {
        return writtenLater.get();
    }

    /** Kept records dropped because more than {@code deferred-max} waited. */
    public long droppedCount() {
        return dropped.get();
    }

    /**
     * Writes the kept records, oldest first, until none is left or a write fails; with {@code tries} > 1
     * tries again a second later while the database is reachable (its pool may still be reconnecting).
     */
    public void flushDeferred(int tries) {
        for (int i = 0; i < tries && hasDeferred(); i++) {
            if (i > 0) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!databaseUp()) {
                return;
            }
            int n = 0;
            while (true) {
                Deferred d;
                synchronized (deferred) {
                    d = deferred.peekFirst();
                }
                if (d == null) {
                    break;
                }
                try {
                    insert(d.transfer(), true);
                    if (d.callbackReason() != null) {
                        insertCallback(d.transfer(), d.callbackReason(), d.callbackAt());
                    }
                } catch (DataAccessException e) {
                    log.warn("Kept transfer records not written yet ({} written): {}", n, e.getClass().getSimpleName());
                    break;
                }
                synchronized (deferred) {
                    if (deferred.peekFirst() == d) {
                        deferred.pollFirst();
                    }
                }
                writtenLater.incrementAndGet();
                n++;
            }
            if (n > 0) {
                log.info("{} transfer records kept while the database was away are written", n);
            }
        }
    }

    private boolean hasDeferred() {
        synchronized (deferred) {
            return !deferred.isEmpty();
        }
    }

    private void defer(Deferred d) {
        synchronized (deferred) {
            if (deferredMax == 0) {
                dropped.incrementAndGet();
                log.warn("Transfer {} not kept (hotline.db.watch.deferred-max=0)", d.transfer().transferId());
                return;
            }
            while (deferred.size() >= deferredMax) {
                Deferred old = deferred.pollFirst();
                dropped.incrementAndGet();
                log.warn("Too many transfer records waiting for the database; dropped the oldest: {} from {}",
                        old.transfer().transferId(), old.transfer().callerMasked());
            }
            deferred.addLast(d);
        }
        log.info("Transfer {} kept in memory until the database answers ({} waiting)", d.transfer().transferId(),
                deferredCount());
    }

    private boolean databaseUp() {
        return watch == null || watch.reachable();
    }

    private long insertCallback(TransferContext t, String reason, LocalDateTime at) {
        // the generated key of this very insert (LAST_INSERT_ID() could run on another pooled connection)
        org.springframework.jdbc.support.GeneratedKeyHolder key = new org.springframework.jdbc.support.GeneratedKeyHolder();
        jdbc.update(c -> {
            java.sql.PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO callback_request (transfer_id, call_id, caller_number, caller_masked, patient_masked,
                      patient_age, reason, status, created_at)
                    VALUES (?,?,?,?,?,?,?,'OPEN',?)""", java.sql.Statement.RETURN_GENERATED_KEYS);
            ps.setString(1, t.transferId());
            ps.setString(2, cut(t.callId(), 64));
            ps.setString(3, fits(t.callerNumber(), 32));
            ps.setString(4, cut(t.callerMasked(), 32));
            ps.setString(5, cut(t.patientMasked(), 18));
            ps.setObject(6, t.patientAge());
            ps.setString(7, cut(reason, 64));
            ps.setTimestamp(8, Timestamp.valueOf(at));
            return ps;
        }, key);
        return key.getKey().longValue();
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    /** A whole phone number is kept only if it fits; a cut one would name somebody else. */
    private static String fits(String number, int max) {
        return number == null || number.length() <= max ? number : null;
    }

    public Optional<TransferContext> find(String transferId) {
        return jdbc.query("SELECT * FROM call_transfer WHERE transfer_id = ?", this::transferRow, transferId)
                .stream().findFirst();
    }

    /** The newest transfer the call with this id (Asterisk's Uniqueid, the AGI call id) made. */
    public Optional<TransferContext> byCall(String callId) {
        return jdbc.query("SELECT * FROM call_transfer WHERE call_id = ? ORDER BY id DESC LIMIT 1", this::transferRow,
                callId).stream().findFirst();
    }

    /** Transfers since the given time, newest first. */
    public List<TransferContext> since(LocalDateTime from) {
        return jdbc.query("SELECT * FROM call_transfer WHERE created_at >= ? ORDER BY created_at DESC, id DESC",
                this::transferRow, Timestamp.valueOf(from));
    }

    /** Records a call-back request and returns its id. */
    public long requestCallback(TransferContext t, String reason) {
        jdbc.update("""
                INSERT INTO callback_request (transfer_id, call_id, caller_number, caller_masked, patient_masked,
                  patient_age, reason, status, created_at)
                VALUES (?,?,?,?,?,?,?,'OPEN',?)""", t.transferId(), t.callId(), t.callerNumber(),
                t.callerMasked(), t.patientMasked(), t.patientAge(), reason,
                Timestamp.valueOf(LocalDateTime.now(clock)));
        return jdbc.queryForObject("SELECT LAST_INSERT_ID()", Long.class);
    }

    public List<CallbackRequest> callbacks(String status) {
        return jdbc.query("SELECT * FROM callback_request WHERE status = ? ORDER BY created_at, id",
                this::callbackRow, status);
    }

    public Optional<CallbackRequest> callback(long id) {
        return jdbc.query("SELECT * FROM callback_request WHERE id = ?", this::callbackRow, id).stream().findFirst();
    }

    private TransferContext transferRow(ResultSet rs, int row) throws SQLException {
        Map<String, String> choices = json.readValue(rs.getString("choices_json"), CHOICES);
        return new TransferContext(rs.getString("transfer_id"), rs.getString("call_id"),
                rs.getString("caller_number"), rs.getString("caller_masked"), rs.getString("patient_masked"),
                (Integer) rs.getObject("patient_age", Integer.class), TransferReason.valueOf(rs.getString("reason")),
                rs.getString("flow"), rs.getString("node"), choices, rs.getInt("priority"),
                rs.getTimestamp("created_at").toLocalDateTime());
    }

    private CallbackRequest callbackRow(ResultSet rs, int row) throws SQLException {
        return new CallbackRequest(rs.getLong("id"), rs.getString("transfer_id"), rs.getString("call_id"),
                rs.getString("caller_number"), rs.getString("caller_masked"), rs.getString("patient_masked"),
                (Integer) rs.getObject("patient_age", Integer.class), rs.getString("reason"),
                rs.getString("status"), rs.getTimestamp("created_at").toLocalDateTime());
    }
}
