package org.hotline.booking;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Every node's own hold sweeper, beside the cluster's scheduled one ({@code expire-holds}, a Quartz job that
 * runs on one node at a time). That job stops while the cluster scheduler recovers a dead node's triggers
 * (Quartz finds a node dead two check-in intervals late, and on a multi-writer Galera cluster its recovery
 * can lose certification to the live nodes' trigger updates and wait a retry interval): places held by the
 * dead node's callers would stay held meanwhile, refused to everyone. This sweeper needs no scheduler and
 * no other node: every {@code hotline.booking.sweep-every} (default 15 s; 0 turns it off) it gives back the
 * holds whose time ran out more than that long ago, i.e. those the scheduled job has missed. Ending a hold
 * is idempotent under the hold's row lock, so the two sweepers never count a place twice.
 */
@Component
class HoldSweeper implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(HoldSweeper.class);

    private final Holds holds;
    private final Clock clock;
    private final Duration every;
    private volatile ScheduledExecutorService timer;

    HoldSweeper(Holds holds, Clock clock, @Value("${hotline.booking.sweep-every:15s}") Duration every) {
        this.holds = holds;
        this.clock = clock;
        this.every = every;
    }

    /** One sweep: the holds expired before {@code now - every}. */
    int sweep() {
        int total = 0;
        LocalDateTime before = LocalDateTime.now(clock).minus(every);
        for (int n = holds.expireHoldsBefore(before); n > 0; n = holds.expireHoldsBefore(before)) {
            total += n;
        }
        if (total > 0) {
            log.info("Hold sweeper on this node gave back {} place(s) the scheduled sweep had missed", total);
        }
        return total;
    }

    @Override
    public void start() {
        if (every.isZero() || every.isNegative()) {
            return;
        }
        ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "hold-sweeper");
            th.setDaemon(true);
            return th;
        });
        long ms = every.toMillis();
        t.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                // the database away: the next round tries again
                log.warn("Hold sweeper: {}", e.toString());
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
        timer = t;
    }

    @Override
    public void stop() {
        ScheduledExecutorService t = timer;
        timer = null;
        if (t != null) {
            t.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }
}
