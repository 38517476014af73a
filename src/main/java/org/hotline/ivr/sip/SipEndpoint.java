package org.hotline.ivr.sip;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.ivr.CallHandler;
import org.hotline.ivr.CallMeters;
import org.hotline.ivr.PeerAddresses;

/**
 * The hotline's own SIP endpoint (a SIP user agent, on JAIN-SIP): answers INVITEs on UDP and TCP,
 * negotiates G.711 and {@code telephone-event}, and runs each connected call through the
 * {@link CallHandler} on a thread of the call's own. This class starts and stops it and reports on it;
 * the work is done by its parts: {@link SipListeningPoints} (the stack), {@link SipRequestDispatch} (what
 * arrives), {@link InviteAdmission} (new calls), {@link InDialogRequests} (everything within a call),
 * {@link SipResponses} and {@link CallRegistry}. The listener never blocks: anything slow (the flow, a
 * timed answer) happens on the threads here.
 */
public final class SipEndpoint implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SipEndpoint.class);

    private final SipProperties props;
    private final Supplier<CallHandler> handler;
    private final SipListeningPoints host;
    private final CallRegistry calls;
    private final InDialogRequests dialogs;
    private final InviteAdmission admission;
    private final SipRequestDispatch listener;
    private final OutboundInvites outbound;
    private final AtomicInteger callThreads = new AtomicInteger();

    private RtpMedia media;
    private ExecutorService callThreadPool;
    private ScheduledExecutorService timers;
    private volatile boolean running;
    private volatile CallMeters meters = CallMeters.NONE;
    private volatile java.nio.file.Path recordings;

    public SipEndpoint(SipProperties props, Supplier<CallHandler> handler, PromptAudio prompts) {
        this.props = props;
        PeerAddresses trusted = PeerAddresses.parse(props.trustedPeers(), "hotline.sip.trusted-peers");
        this.handler = handler;
        this.host = new SipListeningPoints(props);
        this.calls = new CallRegistry(props);
        SipResponses responses = new SipResponses(host);
        CallResources resources = new Resources();
        this.dialogs = new InDialogRequests(props, host, responses, calls, resources);
        this.admission = new InviteAdmission(props, trusted, handler, prompts, calls, responses, dialogs, resources);
        this.outbound = new OutboundInvites(props, host, calls, dialogs, resources, prompts);
        this.listener = new SipRequestDispatch(admission, dialogs, responses, calls, outbound);
    }

    /** Takes new INVITEs only while {@code admission} says yes; otherwise answers 503 (Retry-After 10). */
    public SipEndpoint admitWhile(BooleanSupplier admission) {
        this.admission.admitWhile(admission);
        return this;
    }

    /** Takes new INVITEs only once {@code readiness} says yes; before, 503 "Starting" with Retry-After 10. */
    public SipEndpoint readyWhen(BooleanSupplier readiness) {
        this.admission.readyWhen(readiness);
        return this;
    }

    /**
     * Lets calls record the caller's voice (a complaint, issue 16) into this directory, as WAV files; without, a
     * call cannot record and the flow hands a complaint to a person.
     */
    public SipEndpoint recordInto(java.nio.file.Path dir) {
        this.recordings = dir;
        return this;
    }

    /** Binds the SIP port(s) and starts answering. Fails (and cleans up) when a port cannot be had. */
    public synchronized void start() throws Exception {
        if (running) {
            return;
        }
        host.choosePort();
        String name = host.name();
        try {
            host.open(listener);
            media = new RtpMedia(host.bindAddress(), props.rtpPortMin(), props.rtpPortMax(), props.rtpTimeout(), name);
            AtomicInteger n = new AtomicInteger();
            callThreadPool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "sip-call-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            timers = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, name + "-timer");
                t.setDaemon(true);
                return t;
            });
        } catch (Exception e) {
            stopQuietly();
            throw new IllegalStateException("SIP user agent cannot listen on " + props.bindAddress() + ":"
                    + host.port() + " (" + String.join("+", props.transports()) + "): " + e.getMessage(), e);
        }
        running = true;
        log.info("SIP user agent listening on {}:{} ({}), RTP {}..{}, at most {} calls", props.bindAddress(),
                host.port(), String.join("+", props.transports()), props.rtpPortMin(), props.rtpPortMax(),
                props.maxCalls());
    }

    /** Hangs up every call, waits briefly for their flows to finish (holds released), then stops. */
    @Override
    public synchronized void close() {
        if (!running) {
            return;
        }
        running = false;
        for (SipCall c : calls.all()) {
            dialogs.bye(c, "service stopping");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (callThreads.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stopQuietly();
        log.info("SIP user agent on port {} stopped", host.port());
    }

    private void stopQuietly() {
        if (timers != null) {
            timers.shutdownNow();
        }
        if (callThreadPool != null) {
            callThreadPool.shutdownNow();
        }
        if (media != null) {
            media.close();
        }
        host.close(listener);
    }

    public int port() {
        return host.port();
    }

    /** Started and not yet closed (a failed start leaves it stopped). */
    public boolean isRunning() {
        return running;
    }

    /**
     * Where the stack listens now, by transport ({@code udp} → {@code 127.0.0.1:5060}); empty when stopped,
     * or when the stack's own threads have ended although we did not close it.
     */
    public Map<String, String> listening() {
        return host.listening(running);
    }

    /** The transports this endpoint is set to listen on ({@code hotline.sip.transports}). */
    public List<String> transports() {
        return props.transports();
    }

    /** At most this many calls at once ({@code hotline.sip.max-calls}). */
    public int maxCalls() {
        return props.maxCalls();
    }

    /**
     * Places a call (a UAC INVITE to {@code uriPattern}, {@code {number}} replaced) and waits until it is answered
     * (then {@code answer} runs it with {@code token} on a call thread) or not; see {@link OutboundInvites}.
     */
    public org.hotline.ivr.DirectSipCalls.Placed place(String uriPattern, String digits, String callerId,
            java.time.Duration ringTimeout, String token, org.hotline.ivr.OutboundAnswer answer) {
        return outbound.place(uriPattern, digits, callerId, ringTimeout, token, answer);
    }

    /** Registers this endpoint's meters: the shared call meters (hotline.sip.step, calls active) and media lateness. */
    public void bindMetrics(MeterRegistry registry) {
        meters = CallMeters.register(registry, "sip",
                "server time per step of a SIP call: from the caller's answer (keys, or the end of a prompt) to our next prompt, transfer or hang-up",
                this::activeCalls, "SIP calls holding a place under hotline.sip.max-calls");
        Gauge.builder("hotline.sip.media.late.ticks", this, SipEndpoint::lateMediaTicks)
                .description("20 ms media ticks that started more than a frame late").register(registry);
    }

    /** Calls holding a place under the call limit (ringing, talking, or their flow still finishing). */
    public int activeCalls() {
        return calls.activeCalls();
    }

    /** How many INVITEs ended each way: answered, busy, no-codec, cancelled, … (for metrics and tests). */
    public Map<String, Long> outcomes() {
        return calls.outcomes();
    }

    /** Media clock ticks that started more than a frame late since start. */
    public long lateMediaTicks() {
        return media == null ? 0 : media.lateTicks();
    }

    /** What the request handlers may use of this endpoint ({@link CallResources}). */
    private final class Resources implements CallResources {

        @Override
        public boolean running() {
            return running;
        }

        @Override
        public RtpMedia media() {
            return media;
        }

        @Override
        public ScheduledExecutorService timers() {
            return timers;
        }

        @Override
        public CallMeters meters() {
            return meters;
        }

        @Override
        public java.nio.file.Path recordings() {
            return recordings;
        }

        @Override
        public void startFlow(SipCall call) {
            SipEndpoint.this.startFlow(call);
        }
    }

    /** Runs the flow on a thread of the call's own; hangs up when no thread can be had. */
    private void startFlow(SipCall call) {
        CallHandler h = call.flow() != null ? call.flow() : handler.get();
        callThreads.incrementAndGet();
        try {
            callThreadPool.execute(() -> {
                MDC.put("callId", call.callId());
                try {
                    if (h == null) {
                        call.hangUp();
                    } else {
                        h.answer(call);
                    }
                } catch (RuntimeException ex) {
                    log.warn("SIP call {}: the flow failed: {}", call.callId(), ex.toString(), ex);
                } finally {
                    call.flowReturned();
                    callThreads.decrementAndGet();
                    MDC.remove("callId");
                }
            });
        } catch (RuntimeException rejected) {
            callThreads.decrementAndGet();
            dialogs.bye(call, "no thread for the call");
            call.release();
        }
    }
}
