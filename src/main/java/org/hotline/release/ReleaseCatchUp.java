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

    public ReleaseCatchUp(QuotaRelease release, org.springframework.jdbc.core.JdbcTemplate jdbc, java.time.Clock clock) {
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
        String node = "catch-up";
        try {
            node = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            // the node name is only a label of the run
        }
        int changed = release.releaseDue(ReleaseScope.ALL, node);
        done = true;
        log.info("Release catch-up before taking calls: {} release steps were due, {} pools opened or places moved",
                due, changed);
    }

    /** Whether the catch-up ran (the node takes calls only after it). */
    public boolean done() {
        return done;
    }
}
