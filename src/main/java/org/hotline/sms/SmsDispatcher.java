package org.hotline.sms;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
 * semaphore over a pool of that many threads). Each accepted part is recorded at once; a message is
 * SUBMITTED when all its parts are, and receipts then close it.
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

    /** In rising order of what decides the message's fate when its parts disagree. */
    private enum PartResult {
        OK, THROTTLED, LOST, TEMPORARY, PERMANENT
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
        int released = store.releaseClaims(node);
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
        while (running) {
            try {
                if (!link.awaitBound(500)) {
                    continue;
                }
                if (System.nanoTime() - lastSweep > 5_000_000_000L) {
                    store.matchWaitingReceipts();
                    lastSweep = System.nanoTime();
                }
                List<SmsStore.Claimed> batch = store.claim(node, cfg.batchSize(), cfg.lease());
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

    private void dispatch(SmsStore.Claimed m) throws InterruptedException {
        if (m.kind() == SmsKind.NEXT_DOSE && !stillWanted(m)) {
            store.markCancelled(m, node);
            return;
        }
        List<Ucs2Message.Part> parts = Ucs2Message.parts(m.body(), (int) (m.id() & 0xFF));
        Set<Integer> sent = m.sentParts();
        boolean onlyOneToSend = parts.size() - sent.size() == 1;
        List<CompletableFuture<Outcome>> futures = new ArrayList<>();
        inFlight.incrementAndGet();
        try {
            for (Ucs2Message.Part p : parts) {
                if (sent.contains(p.seq())) {
                    continue;
                }
                if (!running) {
                    futures.add(CompletableFuture.completedFuture(new Outcome(PartResult.LOST, "stopping")));
                    continue;
                }
                window.acquire();
                CompletableFuture<Outcome> f = new CompletableFuture<>();
                futures.add(f);
                try {
                    submitters.execute(() -> {
                        try {
                            f.complete(sendPart(m, p, onlyOneToSend));
                        } catch (RuntimeException e) {
                            f.complete(new Outcome(PartResult.LOST, e.toString()));
                        } finally {
                            window.release();
                        }
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    window.release();
                    f.complete(new Outcome(PartResult.LOST, "stopping"));
                }
            }
        } catch (InterruptedException e) {
            futures.add(CompletableFuture.completedFuture(new Outcome(PartResult.LOST, "stopping")));
            finishWhenDone(m, futures);
            throw e;
        }
        finishWhenDone(m, futures);
    }

    private void finishWhenDone(SmsStore.Claimed m, List<CompletableFuture<Outcome>> futures) {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            try {
                finish(m, futures.stream().map(CompletableFuture::join).toList());
            } catch (RuntimeException ex) {
                log.warn("SMS {}: could not record the outcome ({}); the lease will hand it on", m.id(), ex.toString());
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    private boolean stillWanted(SmsStore.Claimed m) {
        if (m.bookingId() == null) {
            return true;
        }
        return booking.findById(m.bookingId()).map(Booking::status)
                .map(s -> s == Booking.BookingStatus.ACTIVE || s == Booking.BookingStatus.ATTENDED).orElse(false);
    }

    private Outcome sendPart(SmsStore.Claimed m, Ucs2Message.Part p, boolean last) {
        for (int attempt = 0;; attempt++) {
            if (stopping) {
                return new Outcome(PartResult.LOST, "stopping");
            }
            awaitPause();
            SmppLink.Submitted r = link.submit(m.phone(), p);
            if (r instanceof SmppLink.Submitted.Accepted a) {
                recordPart(m, p, a.messageId(), last);
                submitted.incrementAndGet();
                eased();
                return last ? Outcome.OK_MARKED : Outcome.OK;
            }
            if (r instanceof SmppLink.Submitted.Lost l) {
                return new Outcome(PartResult.LOST, l.why());
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
    private void recordPart(SmsStore.Claimed m, Ucs2Message.Part p, String smscId, boolean last) {
        for (int i = 0;; i++) {
            try {
                if (last) {
                    store.recordLastPart(m.id(), p.seq(), smscId, node);
                } else {
                    store.recordPart(m.id(), p.seq(), smscId, node);
                }
                return;
            } catch (RuntimeException e) {
                if (i >= 5) {
                    throw e;
                }
                sleepQuietly(200L << i);
            }
        }
    }

    private void finish(SmsStore.Claimed m, List<Outcome> outcomes) {
        Outcome worst = Outcome.OK;
        for (Outcome o : outcomes) {
            if (o.result().ordinal() > worst.result().ordinal()) {
                worst = o;
            }
        }
        switch (worst.result()) {
            case OK -> {
                if (!outcomes.stream().anyMatch(Outcome::marked)) {
                    store.markSubmitted(m.id(), node);
                }
            }
            case PERMANENT -> store.markFailed(m, node, worst.reason());
            case TEMPORARY -> store.retryLater(m, node, worst.reason(), true, backoff(m.attempts()), cfg.maxAttempts());
            case THROTTLED -> store.retryLater(m, node, worst.reason(), false, cfg.throttlePauseMax(), cfg.maxAttempts());
            case LOST -> store.retryLater(m, node, worst.reason(), false,
                    stopping ? Duration.ZERO : Duration.ofSeconds(1), cfg.maxAttempts());
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
