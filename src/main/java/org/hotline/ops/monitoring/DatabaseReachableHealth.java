package org.hotline.ops.monitoring;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

import org.hotline.db.DatabaseWatch;

/**
 * What the database liveness watcher last found, without touching the database or its pool (so it answers at
 * once even while every pooled connection waits): DOWN while the database is away. Part of the readiness group
 * ({@code /actuator/health/readiness}), with {@code readinessState}.
 */
@Component("databaseReachable")
public class DatabaseReachableHealth extends AbstractHealthIndicator {

    private final ObjectProvider<DatabaseWatch> watch;

    public DatabaseReachableHealth(ObjectProvider<DatabaseWatch> watch) {
        super("database watch check failed");
        this.watch = watch;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        DatabaseWatch w = watch.getIfAvailable();
        if (w == null) {
            builder.unknown().withDetail("watch", "not on this node");
            return;
        }
        builder.withDetail("since", w.since().toString()).withDetail("outages", w.outages());
        if (w.reachable()) {
            builder.up();
        } else {
            builder.down().withDetail("error", String.valueOf(w.lastError()));
        }
    }
}
