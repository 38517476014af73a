package org.hotline.release;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

import org.hotline.booking.ConflictRetry;

/**
 * The job-run log ({@code release_job_run}): every execution of a release job, scheduled or by hand,
 * with the node that ran it, when it was due and when it ran. Audit rows point at their run.
 */
@Component
public class JobRuns {

    private static final Logger log = LoggerFactory.getLogger(JobRuns.class);
    /** Quartz may fire up to a few milliseconds early: a fire this close to its time counts as on time. */
    static final Duration EARLY_FIRE_TOLERANCE = Duration.ofSeconds(1);
    public static final String BY_HAND = "direct";

    /** One execution: its log id, the node running it and the time it acts as of. */
    public record Run(long id, String node, LocalDateTime now) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;

    public JobRuns(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Runs {@code work} as one logged execution of {@code job}; returns what it changed. */
    public int run(String job, String node, Instant scheduledFireTime, ToIntFunction<Run> work) {
        Instant now = clock.instant();
        if (scheduledFireTime != null && scheduledFireTime.isAfter(now)
                && Duration.between(now, scheduledFireTime).compareTo(EARLY_FIRE_TOLERANCE) <= 0) {
            now = scheduledFireTime;
        }
        LocalDateTime at = LocalDateTime.ofInstant(now, clock.getZone());
        LocalDateTime scheduled = scheduledFireTime == null ? null
                : LocalDateTime.ofInstant(scheduledFireTime, clock.getZone());
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    INSERT INTO release_job_run (job, node, scheduled_at, started_at) VALUES (?, ?, ?, ?)""",
                    new String[] {"id"});
            ps.setString(1, job);
            ps.setString(2, node);
            ps.setObject(3, scheduled);
            ps.setObject(4, at);
            return ps;
        }, key);
        long id = key.getKey().longValue();
        try {
            int changed = work.applyAsInt(new Run(id, node, at));
            jdbc.update("UPDATE release_job_run SET finished_at = ?, changed = ?, outcome = 'OK' WHERE id = ?",
                    LocalDateTime.now(clock), changed, id);
            if (changed > 0) {
                log.info("Release job {} on {} changed {}", job, node, changed);
            }
            return changed;
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            jdbc.update("UPDATE release_job_run SET finished_at = ?, outcome = 'FAILED', error = ? WHERE id = ?",
                    LocalDateTime.now(clock), msg.substring(0, Math.min(500, msg.length())), id);
            throw e;
        }
    }

    /** Forgets runs older than the cut-off that released nothing (runs with audit rows are kept). */
    public int prune(LocalDateTime before) {
        return jdbc.update("""
                DELETE FROM release_job_run WHERE started_at < ?
                  AND NOT EXISTS (SELECT 1 FROM release_audit a WHERE a.run_id = release_job_run.id)""", before);
    }

    /** A deadlock or (on Galera) a certification failure: the whole transaction is retried, a few times. */
    static <T> T retried(Supplier<T> tx) {
        return ConflictRetry.run(
                e -> log.warn("Release transaction retried after {}", e.getClass().getSimpleName()), tx);
    }
}
