package org.hotline.release;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Issue 16: the release steps that fell due while no node ran are carried out before the node takes its first
 * call. Quartz would fire the missed jobs on start-up too (fire-once-now), but on its own threads and after the
 * ports are open, so a caller right after a start heard "no places" for a department whose places were due. This
 * runner opens and moves what is due now, synchronously; Spring reports ACCEPTING_TRAFFIC (and the FastAGI and SIP
 * adapters take calls) only after every ApplicationRunner, this one and the demo data ({@code @Order(10)}) included.
 * The operations are idempotent: a job firing at the same time does nothing twice.
 */
@Component
@Order(20)
public class ReleaseCatchUp implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(ReleaseCatchUp.class);

    private final QuotaRelease release;
    private final org.springframework.jdbc.core.JdbcTemplate jdbc;
    private final java.time.Clock clock;
    private volatile boolean done;

    private final java.time.Duration every;
    private volatile java.util.concurrent.ScheduledExecutorService watch;

    public ReleaseCatchUp(QuotaRelease release, org.springframework.jdbc.core.JdbcTemplate jdbc, java.time.Clock clock,
            @org.springframework.beans.factory.annotation.Value("${hotline.release.catch-up-every:10s}")
            java.time.Duration every) {
        this.every = every;
        this.release = release;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    public void run(ApplicationArguments args) {
        Integer due = jdbc.queryForObject("SELECT COUNT(*) FROM release_step WHERE status = 'PLANNED' AND planned_at <= ?",
                Integer.class, java.time.LocalDateTime.now(clock));
        if (due == null || due == 0) {
            done = true;
            log.info("Release catch-up before taking calls: nothing was due");
            return;
        }
        String node = nodeName();
        int changed = release.releaseDue(ReleaseScope.ALL, node);
        done = true;
        log.info("Release catch-up before taking calls: {} release steps were due, {} pools opened or places moved",
                due, changed);
    }

    /**
     * The same catch-up while the node runs, every {@code hotline.release.catch-up-every} (default 10 s; 0 turns
     * it off): the steps overdue by more than that are carried out here. The open and move jobs fire every few
     * seconds on one node of the cluster at a time; a job whose fire was held by a node that died waits until
     * Quartz recovers that node (two check-in intervals, longer while its recovery loses certification on a
     * multi-writer Galera cluster), and a department's places would open that much late. Idempotent as above.
     */
    @org.springframework.context.event.EventListener(org.springframework.boot.context.event.ApplicationReadyEvent.class)
    void startWatch() {
        if (every.isZero() || every.isNegative()) {
            return;
        }
        java.util.concurrent.ScheduledExecutorService t = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(r -> {
                    Thread th = new Thread(r, "release-catch-up");
                    th.setDaemon(true);
                    return th;
                });
        t.scheduleWithFixedDelay(this::catchUpOverdue, every.toMillis(), every.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
        watch = t;
    }

    @jakarta.annotation.PreDestroy
    void stopWatch() {
        var t = watch;
        watch = null;
        if (t != null) {
            t.shutdownNow();
        }
    }

    private void catchUpOverdue() {
        catchUpOverdue(ReleaseScope.ALL);
    }

    /** Carries out the steps overdue by more than one watch period; returns the pools changed. */
    int catchUpOverdue(ReleaseScope scope) {
        try {
            Integer overdue = jdbc.queryForObject(
                    "SELECT COUNT(*) FROM release_step WHERE status = 'PLANNED' AND planned_at <= ?"
                            + scope.and("facility_id"), Integer.class, java.time.LocalDateTime.now(clock).minus(every));
            if (overdue == null || overdue == 0) {
                return 0;
            }
            int changed = release.releaseDue(scope, nodeName());
            log.warn("Release catch-up: {} release steps were more than {} s overdue (the scheduled job missed"
                    + " them), {} pools opened or places moved", overdue, every.toSeconds(), changed);
            return changed;
        } catch (RuntimeException e) {
            log.warn("Release catch-up: {}", e.toString()); // the database away: the next round tries again
            return 0;
        }
    }

    private volatile org.quartz.Scheduler scheduler;

    /** The node's Quartz scheduler, when it has one: its instance id names the node in the release audit. */
    @org.springframework.beans.factory.annotation.Autowired(required = false)
    void scheduler(org.quartz.Scheduler s) {
        this.scheduler = s;
    }

    /** The node as the release audit names it: the Quartz instance id (as the jobs do), else the host name. */
    private String nodeName() {
        org.quartz.Scheduler s = scheduler;
        if (s != null) {
            try {
                return s.getSchedulerInstanceId();
            } catch (org.quartz.SchedulerException e) {
                // the host name, below
            }
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "catch-up";
        }
    }

    /** Whether the catch-up ran (the node takes calls only after it). */
    public boolean done() {
        return done;
    }
}
