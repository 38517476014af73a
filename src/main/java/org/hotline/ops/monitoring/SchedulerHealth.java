package org.hotline.ops.monitoring;

import java.util.List;
import java.util.Map;

import org.quartz.Scheduler;
import org.quartz.SchedulerMetaData;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The Quartz scheduler that fires the releases: UP while it runs; with a clustered JDBC store also the
 * age of this node's last check-in (a node that stops checking in has its triggers taken over by the
 * others after the check-in interval). No scheduler bean: UNKNOWN, not DOWN.
 */
@Component("scheduler")
public class SchedulerHealth extends AbstractHealthIndicator {

    private final ObjectProvider<Scheduler> scheduler;
    private final JdbcTemplate jdbc;

    public SchedulerHealth(ObjectProvider<Scheduler> scheduler, JdbcTemplate jdbc) {
        super("scheduler check failed");
        this.scheduler = scheduler;
        this.jdbc = jdbc;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        Scheduler s = scheduler.getIfAvailable();
        if (s == null) {
            builder.unknown().withDetail("scheduler", "none in this context");
            return;
        }
        SchedulerMetaData md = s.getMetaData();
        builder.withDetail("name", md.getSchedulerName()).withDetail("instance", md.getSchedulerInstanceId())
                .withDetail("clustered", md.isJobStoreClustered()).withDetail("jobsRun", md.getNumberOfJobsExecuted())
                .withDetail("runningSince", md.getRunningSince() == null ? "not started" : md.getRunningSince());
        if (md.isJobStoreClustered()) {
            List<Map<String, Object>> rows = jdbc.queryForList("""
                    SELECT LAST_CHECKIN_TIME, CHECKIN_INTERVAL FROM QRTZ_SCHEDULER_STATE
                    WHERE SCHED_NAME = ? AND INSTANCE_NAME = ?""", md.getSchedulerName(), md.getSchedulerInstanceId());
            if (!rows.isEmpty()) {
                long last = ((Number) rows.get(0).get("LAST_CHECKIN_TIME")).longValue();
                builder.withDetail("lastCheckinAgoMs", System.currentTimeMillis() - last)
                        .withDetail("checkinIntervalMs", rows.get(0).get("CHECKIN_INTERVAL"));
            }
            builder.withDetail("nodes", jdbc.queryForObject(
                    "SELECT COUNT(*) FROM QRTZ_SCHEDULER_STATE WHERE SCHED_NAME = ?", Integer.class,
                    md.getSchedulerName()));
        }
        if (s.isStarted() && !s.isInStandbyMode() && !s.isShutdown()) {
            builder.up();
        } else {
            builder.down().withDetail("state", s.isShutdown() ? "shut down" : s.isInStandbyMode() ? "standby" : "not started");
        }
    }
}
