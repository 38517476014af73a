package org.hotline.db;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The database liveness watcher ({@code hotline.db.watch.*}, docs/monitoring.md "When the database is away").
 *
 * @param interval         how often the watcher asks the database
 * @param timeout          how long one probe may take (connect and query) before it counts as failed
 * @param failuresToDown   failed probes in a row before the node says the database is away (one slow
 *                         probe on a busy machine is not an outage)
 * @param deferredMax      transfer and call-back records kept in memory while the database is away;
 *                         beyond that the oldest are dropped (and logged, masked)
 */
@ConfigurationProperties("hotline.db.watch")
public record DatabaseWatchProperties(Duration interval, Duration timeout, Integer failuresToDown,
        Integer deferredMax) {

    public DatabaseWatchProperties {
        interval = interval == null ? Duration.ofSeconds(1) : interval;
        timeout = timeout == null ? Duration.ofSeconds(2) : timeout;
        failuresToDown = failuresToDown == null ? 2 : failuresToDown;
        deferredMax = deferredMax == null ? 10_000 : deferredMax;
        if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalStateException("hotline.db.watch.interval and timeout must be positive");
        }
        if (failuresToDown < 1 || deferredMax < 0) {
            throw new IllegalStateException("hotline.db.watch.failures-to-down must be at least 1, deferred-max >= 0");
        }
    }

    public static DatabaseWatchProperties defaults() {
        return new DatabaseWatchProperties(null, null, null, null);
    }
}
