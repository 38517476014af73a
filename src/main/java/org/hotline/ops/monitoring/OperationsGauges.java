package org.hotline.ops.monitoring;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Cluster-wide figures read from the database, the same on every gateway (aggregate with max, not sum):
 * the SMS queue ({@code hotline_sms_queue_depth} by status, {@code hotline_sms_queue_oldest_age_seconds},
 * {@code hotline_sms_messages} by final status), transfers to a person ({@code hotline_transfers} by
 * reason), call-backs by status and release job runs ({@code hotline_job_runs} by job and outcome,
 * {@code hotline_job_last_run_age_seconds}). Read at most every {@value #REFRESH_SECONDS} s, whatever the
 * scrape rate; while the database is away the last figures stay and the refresh is retried.
 */
@Component
public class OperationsGauges {

    private static final Logger log = LoggerFactory.getLogger(OperationsGauges.class);
    static final int REFRESH_SECONDS = 5;

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();
    private volatile long refreshedAt = System.nanoTime() - Duration.ofDays(1).toNanos();

    public OperationsGauges(JdbcTemplate jdbc, Clock clock, ObjectProvider<MeterRegistry> registry) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.registry = registry.getIfAvailable();
        if (this.registry != null) {
            for (String status : new String[] {"PENDING", "SENDING", "IN_DOUBT"}) {
                gauge("hotline.sms.queue.depth", "SMS waiting to be sent (outbox)", "status", status);
            }
            gauge("hotline.sms.queue.oldest.age.seconds", "age of the oldest SMS still waiting", null, null);
            for (String status : new String[] {"SUBMITTED", "DELIVERED", "FAILED", "EXPIRED", "CANCELLED"}) {
                gauge("hotline.sms.messages", "SMS by final status (all time)", "status", status);
            }
            gauge("hotline.his.push.pending", "Appointment pushes to hospital systems waiting (his_push)", null, null);
            gauge("hotline.his.push.oldest.age.seconds", "age of the oldest Appointment push still waiting", null,
                    null);
        }
    }

    /** A gauge whose value is the last snapshot; tags beyond the first come from {@link #dynamic}. */
    private void gauge(String name, String description, String tagKey, String tagValue) {
        String key = tagKey == null ? name : name + "|" + tagKey + "=" + tagValue;
        AtomicLong v = values.computeIfAbsent(key, k -> new AtomicLong());
        Gauge.Builder<AtomicLong> b = Gauge.builder(name, v, x -> {
            refreshIfStale();
            return x.get();
        }).description(description);
        if (tagKey != null) {
            b.tag(tagKey, tagValue);
        }
        b.register(registry);
    }

    /** A gauge for a tag value met in the data (a transfer reason, a job name). */
    private void dynamic(String name, String description, Map<String, String> tags, long value) {
        StringBuilder key = new StringBuilder(name);
        tags.forEach((k, v) -> key.append('|').append(k).append('=').append(v));
        AtomicLong v = values.computeIfAbsent(key.toString(), k -> {
            AtomicLong created = new AtomicLong();
            Gauge.Builder<AtomicLong> b = Gauge.builder(name, created, x -> {
                refreshIfStale();
                return x.get();
            }).description(description);
            tags.forEach(b::tag);
            b.register(registry);
            return created;
        });
        v.set(value);
    }

    private void set(String key, long value) {
        AtomicLong v = values.get(key);
        if (v != null) {
            v.set(value);
        }
    }

    void refreshIfStale() {
        long now = System.nanoTime();
        if (now - refreshedAt < Duration.ofSeconds(REFRESH_SECONDS).toNanos()) {
            return;
        }
        synchronized (this) {
            if (now - refreshedAt < Duration.ofSeconds(REFRESH_SECONDS).toNanos()) {
                return;
            }
            refreshedAt = now;
            refresh();
        }
    }

    /** Reads every figure now. Tables of modules not installed are skipped. */
    public void refresh() {
        LocalDateTime now = LocalDateTime.now(clock);
        read("sms", () -> {
            for (String s : new String[] {"PENDING", "SENDING", "IN_DOUBT", "SUBMITTED", "DELIVERED", "FAILED",
                    "EXPIRED", "CANCELLED"}) {
                set("hotline.sms.queue.depth|status=" + s, 0);
                set("hotline.sms.messages|status=" + s, 0);
            }
            jdbc.query("SELECT status, COUNT(*) FROM sms_message GROUP BY status", rs -> {
                String s = rs.getString(1);
                set("hotline.sms.queue.depth|status=" + s, rs.getLong(2));
                set("hotline.sms.messages|status=" + s, rs.getLong(2));
            });
            LocalDateTime oldest = jdbc.queryForObject(
                    "SELECT MIN(created_at) FROM sms_message WHERE status IN ('PENDING', 'SENDING', 'IN_DOUBT')",
                    LocalDateTime.class);
            set("hotline.sms.queue.oldest.age.seconds",
                    oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toSeconds()));
        });
        read("his pushes", () -> {
            Map<String, Object> p = jdbc.queryForMap(
                    "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM his_push WHERE status = 'PENDING'");
            set("hotline.his.push.pending", ((Number) p.get("n")).longValue());
            Object oldest = p.get("oldest");
            set("hotline.his.push.oldest.age.seconds", oldest == null ? 0 : Math.max(0, Duration.between(
                    oldest instanceof java.sql.Timestamp t ? t.toLocalDateTime() : (LocalDateTime) oldest, now).toSeconds()));
        });
        read("transfers", () -> jdbc.query("SELECT reason, COUNT(*) FROM call_transfer GROUP BY reason",
                rs -> {
                    dynamic("hotline.transfers", "transfers to a person (all time)", Map.of("reason",
                            rs.getString(1)), rs.getLong(2));
                }));
        read("callbacks", () -> jdbc.query("SELECT status, COUNT(*) FROM callback_request GROUP BY status",
                rs -> {
                    dynamic("hotline.callbacks", "call-back requests (all time)", Map.of("status", rs.getString(1)),
                            rs.getLong(2));
                }));
        read("job runs", () -> jdbc.query("""
                SELECT job, outcome, COUNT(*), MAX(started_at) FROM release_job_run GROUP BY job, outcome""", rs -> {
            dynamic("hotline.job.runs", "release job runs kept in the run log", Map.of("job", rs.getString(1),
                    "outcome", rs.getString(2)), rs.getLong(3));
            if ("OK".equals(rs.getString(2))) {
                LocalDateTime last = rs.getObject(4, LocalDateTime.class);
                dynamic("hotline.job.last.ok.age.seconds", "seconds since the job last ran without error",
                        Map.of("job", rs.getString(1)), Math.max(0, Duration.between(last, now).toSeconds()));
            }
        }));
    }

    private static void read(String what, Runnable query) {
        try {
            query.run();
        } catch (org.springframework.jdbc.BadSqlGrammarException noSuchTable) {
            log.debug("no {} figures: {}", what, noSuchTable.getMessage());
        } catch (DataAccessException e) {
            log.debug("{} figures not refreshed: {}", what, e.getMessage());
        }
    }

    /** For tests: the current value of one figure (name|tag=value…), refreshed now. */
    public long value(String key) {
        refresh();
        AtomicLong v = values.get(key);
        return v == null ? -1 : v.get();
    }

}
