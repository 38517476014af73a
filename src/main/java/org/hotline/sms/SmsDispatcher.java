package org.hotline.sms;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jsmpp.SMPPConstant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;

/**
 * Sends the outbox over one SMPP link. Claims due rows ({@code FOR UPDATE SKIP LOCKED}, so several
 * nodes share the work and never take the same row), splits each into UCS2 parts and submits them
 * through a window of {@code window} submits in flight (jsmpp blocks per submit, so the window is a
 * semaphore over a pool of that many threads; the parts of one message go one after another). Before a
 * message's first submit_sm it marks the part as started; each accepted part is recorded at once, moving
 * the mark on in the same commit. A message is SUBMITTED when all its parts are, and receipts then close
 * it. A row whose node died with a part marked is in doubt: its receipt settles it (SmsStore#settle).
 *
 * <p>ESME_RTHROTTLED pauses every submit of this node (the pause doubles while throttling goes on
 * and shrinks again on success) and retries the part. Temporary errors put the row back with an
 * exponential back-off; permanent ones mark it FAILED and leave a notice for agents. A lost link
 * (timeout, closed socket) puts the row back without counting an attempt.
 */
public final class SmsDispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SmsDispatcher.class);
    /** After the booking core's and before the web server's stop, and before the sink's. */
    static final int PHASE = Integer.MAX_VALUE - 2048;

    /** How a message's sending ended (its parts go one by one, so the first that is not OK decides). */
    private enum PartResult {
        OK, THROTTLED, LOST, IN_DOUBT, TEMPORARY, PERMANENT
    }

    /** {@code marked}: the message was already marked SUBMITTED together with its last part. */
    private record Outcome(PartResult result, String reason, boolean marked) {
        static final Outcome OK = new Outcome(PartResult.OK, null, false);
        static final Outcome OK_MARKED = new Outcome(PartResult.OK, null, true);

        Outcome(PartResult result, String reason) {
            this(result, reason, false);
        }
    }

    private final String node;
    private final SmsStore store;
    private final SmsProperties.Dispatch cfg;
    private final java.util.function.Supplier<SmppLink> linkFactory;
    private final DispatchSignal signal;
    private final BookingService booking;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong submitted = new AtomicLong();
    private final Object pauseLock = new Object();
    private long pauseUntilNanos;
    private long pauseMillis;

    private volatile boolean running;
    private volatile boolean stopping;
    private SmppLink link;
    private ExecutorService submitters;
    private Semaphore window;
    private Thread loop;

    SmsDispatcher(String node, SmsStore store, SmsProperties.Dispatch cfg,
            java.util.function.Supplier<SmppLink> linkFactory, DispatchSignal signal, BookingService booking) {
        this.node = node;
        this.store = store;
        this.cfg = cfg;
        this.linkFactory = linkFactory;
        this.signal = signal;
        this.booking = booking;
    }

    public String node() {
        return node;
    }

    /** Parts accepted by the SMSC through this dispatcher since it was built. */
    public long partsSubmitted() {
        return submitted.get();
    }

    public boolean bound() {
        SmppLink l = link;
        return l != null && l.bound();
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        stopping = false;
        link = linkFactory.get();
        link.start();
        window = new Semaphore(cfg.window());
        AtomicInteger n = new AtomicInteger();
        submitters = Executors.newFixedThreadPool(cfg.window(), r -> {
            Thread t = new Thread(r, "sms-submit-" + node + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        running = true;
        loop = new Thread(this::run, "sms-dispatch-" + node);
        loop.setDaemon(true);
        loop.start();
        log.info("SMS dispatcher {} started (window {}, batch {})", node, cfg.window(), cfg.batchSize());
    }

    /**
     * Stops claiming, lets the submits in flight finish (up to {@code stop-timeout}), puts what this node
     * claimed but did not send back in the queue, then unbinds.
     */
    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        stopping = true;
        running = false;
        loop.interrupt();
        try {
            loop.join(cfg.stopTimeout().toMillis());
            submitters.shutdown();
            long end = System.nanoTime() + cfg.stopTimeout().toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            submitters.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int released = store.releaseClaims(node, cfg.inDoubtWait());
        link.stop();
        log.info("SMS dispatcher {} stopped ({} claimed messages back in the queue, {} still in flight)", node,
                released, inFlight.get());
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        long lastSweep = 0;
        long lastSettle = 0;
        while (running) {
            try {
                if (!link.awaitBound(500)) {
                    continue;
                }
                if (System.nanoTime() - lastSweep > 5_000_000_000L) {
                    store.matchWaitingReceipts();
                    lastSweep = System.nanoTime();
                }
                if (System.nanoTime() - lastSettle > 1_000_000_000L) {
                    store.settleInDoubt(node); // before claiming: a receipt may spare a resend
                    lastSettle = System.nanoTime();
                }
                List<SmsStore.Claimed> batch = store.claim(node, cfg.batchSize(), cfg.lease(), cfg.inDoubtWait());
                if (batch.isEmpty()) {
                    signal.await(cfg.pollInterval().toMillis());
                    continue;
                }
                for (SmsStore.Claimed m : batch) {
                    if (!running) {
                        break; // the rest go back to the queue in stop()
                    }
                    dispatch(m);
                }
            } catch (InterruptedException e) {
                // stop() interrupts; the loop condition decides
            } catch (RuntimeException e) {
                log.warn("SMS dispatcher {}: {}", node, e.toString());
                sleepQuietly(1000);
            }
        }
    }

    /**
     * One task per message: its parts go out one after another (only one submit of a message is ever open,
     * so a receipt from its handset can only be that part's), and several messages share the window.
     */
    private void dispatch(SmsStore.Claimed m) throws InterruptedException {
        if (m.kind() == SmsKind.NEXT_DOSE && !stillWanted(m)) {
            store.markCancelled(m, node);
            return;
        }
        if (m.kind() == SmsKind.REMINDER && !reminderStillTrue(m)) {
            // held past midnight (quiet hours after an outage) or cancelled: its "明天" would be wrong now
            store.markCancelled(m, node);
            return;
        }
        Set<Integer> sent = m.sentParts();
        List<Ucs2Message.Part> todo = Ucs2Message.parts(m.body(), (int) (m.id() & 0xFF)).stream()
                .filter(p -> !sent.contains(p.seq())).toList();
        if (todo.isEmpty()) {
            store.markSubmitted(m.id(), node); // every part recorded, by a node that died before saying so
            return;
        }
        window.acquire(); // interrupted: the row stays claimed and stop() hands it back
        inFlight.incrementAndGet();
        try {
            submitters.execute(() -> {
                try {
                    finish(m, sendAll(m, todo));
                } catch (RuntimeException e) {
                    log.warn("SMS {}: could not record the outcome ({}); the lease will hand it on", m.id(),
                            e.toString());
                } finally {
                    window.release();
                    inFlight.decrementAndGet();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            window.release();
            inFlight.decrementAndGet();
        }
    }

    private Outcome sendAll(SmsStore.Claimed m, List<Ucs2Message.Part> todo) {
        if (stopping) {
            return new Outcome(PartResult.LOST, "stopping");
        }
        if (!store.startPart(m.id(), todo.get(0).seq(), node)) {
            return new Outcome(PartResult.LOST, "claim taken over");
        }
        for (int i = 0; i < todo.size(); i++) {
            Integer next = i + 1 < todo.size() ? todo.get(i + 1).seq() : null;
            Outcome o = sendPart(m, todo.get(i), next);
            if (o.result() != PartResult.OK) {
                return o;
            }
        }
        return Outcome.OK_MARKED;
    }

    /** A day-before reminder still goes out on the day before its visit, for a booking still active. */
    private boolean reminderStillTrue(SmsStore.Claimed m) {
        if (m.bookingId() == null) {
            return true;
        }
        java.time.LocalDate today = store.today();
        return booking.findById(m.bookingId())
                .filter(b -> b.status() == Booking.BookingStatus.ACTIVE && b.date().isAfter(today)).isPresent();
    }

    private boolean stillWanted(SmsStore.Claimed m) {
        if (m.bookingId() == null) {
            return true;
        }
        return booking.findById(m.bookingId()).map(Booking::status)
                .map(s -> s == Booking.BookingStatus.ACTIVE || s == Booking.BookingStatus.ATTENDED).orElse(false);
    }

    /** @param next the part to mark as started once this one is recorded; null: this is the last one */
    private Outcome sendPart(SmsStore.Claimed m, Ucs2Message.Part p, Integer next) {
        for (int attempt = 0;; attempt++) {
            if (stopping) {
                return new Outcome(PartResult.LOST, "stopping");
            }
            awaitPause();
            SmppLink.Submitted r = link.submit(m.phone(), p);
            if (r instanceof SmppLink.Submitted.Accepted a) {
                boolean held = recordPart(m, p, a.messageId(), next);
                submitted.incrementAndGet();
                eased();
                if (!held) {
                    return new Outcome(PartResult.LOST, "claim taken over");
                }
                return next == null ? Outcome.OK_MARKED : Outcome.OK;
            }
            if (r instanceof SmppLink.Submitted.Lost l) {
                // written but unanswered: the SMSC may have it, so it waits for its receipt like a dead node's
                return new Outcome(l.written() ? PartResult.IN_DOUBT : PartResult.LOST, l.why());
            }
            int status = ((SmppLink.Submitted.Refused) r).status();
            if (status == SMPPConstant.STAT_ESME_RTHROTTLED) {
                throttled();
                if (attempt >= cfg.throttleRetries()) {
                    return new Outcome(PartResult.THROTTLED, "SMSC 限流 ESME_RTHROTTLED");
                }
                continue;
            }
            String reason = "SMSC 拒绝 " + SmppStatus.name(status);
            return new Outcome(SmppStatus.temporary(status) ? PartResult.TEMPORARY : PartResult.PERMANENT, reason);
        }
    }

    /** The SMSC has this part now: a failed write here would send it twice, so it is worth a few tries. */
    private boolean recordPart(SmsStore.Claimed m, Ucs2Message.Part p, String smscId, Integer next) {
        for (int i = 0;; i++) {
            try {
                if (next == null) {
                    store.recordLastPart(m.id(), p.seq(), smscId, node);
                    return true;
                }
                return store.recordPart(m.id(), p.seq(), smscId, node, next);
            } catch (RuntimeException e) {
                if (i >= 5) {
                    throw e;
                }
                sleepQuietly(200L << i);
            }
        }
    }

    private void finish(SmsStore.Claimed m, Outcome o) {
        switch (o.result()) {
            case OK -> {
                if (!o.marked()) {
                    store.markSubmitted(m.id(), node);
                }
            }
            case PERMANENT -> store.markFailed(m, node, o.reason());
            case TEMPORARY -> store.retryLater(m, node, o.reason(), true, backoff(m.attempts()), cfg.maxAttempts());
            case THROTTLED -> store.retryLater(m, node, o.reason(), false, cfg.throttlePauseMax(), cfg.maxAttempts());
            case LOST -> store.retryLater(m, node, o.reason(), false,
                    stopping ? Duration.ZERO : Duration.ofSeconds(1), cfg.maxAttempts());
            case IN_DOUBT -> store.markInDoubt(m, node, "无应答，等待回执 " + o.reason(), cfg.inDoubtWait());
        }
    }

    private Duration backoff(int attempts) {
        Duration d = cfg.retryMin().multipliedBy(1L << Math.min(attempts, 20));
        return d.compareTo(cfg.retryMax()) > 0 ? cfg.retryMax() : d;
    }

    // ---------------------------------------------------------------- throttling

    private void throttled() {
        synchronized (pauseLock) {
            long min = cfg.throttlePauseMin().toMillis();
            pauseMillis = pauseMillis == 0 ? min : Math.min(pauseMillis * 2, cfg.throttlePauseMax().toMillis());
            pauseUntilNanos = Math.max(pauseUntilNanos, System.nanoTime() + pauseMillis * 1_000_000);
        }
    }

    private void eased() {
        synchronized (pauseLock) {
            if (pauseMillis > 0) {
                pauseMillis = pauseMillis / 2 < cfg.throttlePauseMin().toMillis() ? 0 : pauseMillis / 2;
            }
        }
    }

    private void awaitPause() {
        while (!stopping) {
            long wait;
            synchronized (pauseLock) {
                wait = pauseUntilNanos - System.nanoTime();
            }
            if (wait <= 0) {
                return;
            }
            sleepQuietly(Math.max(1, wait / 1_000_000));
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
