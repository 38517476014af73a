package org.hotline.outbound;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's share of the outbound work: each {@link #poll()} claims the calls that are due (the claim is a row
 * lock with SKIP LOCKED and a fresh token, so two nodes never place the same call), checks each against the
 * rules (opt-out, the purpose still holds, the per-number cap) and places it through the {@link Dialer} on a
 * thread of its own, at most {@code maxConcurrent} at once. Nothing starts in the quiet hours.
 */
public class OutboundScheduler {

    private static final Logger log = LoggerFactory.getLogger(OutboundScheduler.class);

    private final OutboundStore store;
    private final OutboundCalls calls;
    private final OutboundChecks checks;
    private final Dialer dialer;
    private final OutboundProperties props;
    private final Clock clock;
    private final String node;
    private final Semaphore lines;
    private final ExecutorService pool;
    private final AtomicLong placed = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();

    public OutboundScheduler(OutboundStore store, OutboundCalls calls, OutboundChecks checks, Dialer dialer,
            OutboundProperties props, Clock clock, String node, int maxConcurrent) {
        this.store = store;
        this.calls = calls;
        this.checks = checks;
        this.dialer = dialer;
        this.props = props;
        this.clock = clock;
        this.node = node;
        this.lines = new Semaphore(maxConcurrent);
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "outbound-" + node + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public String node() {
        return node;
    }

    /** Calls this node has placed since start. */
    public long placed() {
        return placed.get();
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Claims what is due and starts placing it; returns how many calls it claimed. */
    public int poll() {
        LocalDateTime now = LocalDateTime.now(clock);
        if (props.quietAt(now.toLocalTime()) || !dialer.ready()) {
            return 0;
        }
        int free = lines.availablePermits();
        if (free == 0) {
            return 0;
        }
        List<OutboundStore.OutboundCall> claimed = store.claimDue(node, now, now.plus(props.claimFor()), free);
        for (OutboundStore.OutboundCall c : claimed) {
            if (!lines.tryAcquire()) {
                store.unclaim(c, now, now);
                continue;
            }
            inFlight.incrementAndGet();
            pool.execute(() -> {
                try {
                    place(c);
                } catch (RuntimeException e) {
                    log.error("{} call {} to {} failed: {}", c.purpose(), c.id(), c.numberMasked(), e.toString());
                } finally {
                    inFlight.decrementAndGet();
                    lines.release();
                }
            });
        }
        return claimed.size();
    }

    private void place(OutboundStore.OutboundCall c) {
        LocalDateTime now = LocalDateTime.now(clock);
        if (store.optedOut(c.number())) {
            store.close(c, "OPTED_OUT", null, now);
            log.info("{} call {} to {} not placed: the number opted out", c.purpose(), c.id(), c.numberMasked());
            return;
        }
        OutboundChecks.Decision d = checks.check(c);
        if (d instanceof OutboundChecks.Decision.Cancel x) {
            store.close(c, "CANCELLED", null, now);
            log.info("{} call {} to {} not placed: {}", c.purpose(), c.id(), c.numberMasked(), x.why());
            return;
        }
        if (d instanceof OutboundChecks.Decision.Later x) {
            store.unclaim(c, now.plus(x.after()), now);
            log.debug("{} call {} later: {}", c.purpose(), c.id(), x.why());
            return;
        }
        if (!store.takeDailyCall(c.number(), now.toLocalDate(), props.perNumberPerDay())) {
            LocalDateTime tomorrow = props.callableFrom(now.toLocalDate().plusDays(1).atTime(props.quietEnd()));
            store.unclaim(c, tomorrow, now);
            log.info("{} call {} to {} waits for tomorrow: {} calls today already", c.purpose(), c.id(),
                    c.numberMasked(), props.perNumberPerDay());
            return;
        }
        store.startAttempt(c, node, dialer.via(), now);
        placed.incrementAndGet();
        log.info("{} call {} to {}: try {} of {} via {}", c.purpose(), c.id(), c.numberMasked(), c.attempts(),
                c.maxAttempts(), dialer.via());
        Dialer.Result r = dialer.dial(c.number(), Map.of("HOTLINE_OUTBOUND_TOKEN", c.claimToken(), "HOTLINE_PURPOSE",
                c.purpose().name()));
        if (!r.answered()) {
            calls.finish(c, r.failure(), null, r.channelId());
        }
        // answered: the node that runs the answered call (over FastAGI or SIP) records how it ended
    }

    public void shutdown() {
        pool.shutdownNow();
    }
}
