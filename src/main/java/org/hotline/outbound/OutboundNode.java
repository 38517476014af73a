package org.hotline.outbound;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import org.hotline.handoff.CallbackRequest;
import org.hotline.handoff.TransferLog;
import org.hotline.outbound.ami.AmiLinks;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * This node's outbound worker: every {@code poll-interval} it queues a call-back call for each open call-back
 * request (once per request, whichever node sees it first) and runs its {@link OutboundScheduler}. It places calls
 * only when it has a way to: the direct SIP adapter when {@code hotline.sip.outbound-uri} is set ({@link SipDialer}),
 * else an Asterisk over AMI ({@code hotline.ami.servers}); with neither, and on a node with
 * {@code hotline.outbound.enabled=false}, it places nothing (another node may). Metrics:
 * {@code hotline_outbound_placed}, {@code hotline_outbound_in_flight}.
 */
@Component
public class OutboundNode implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(OutboundNode.class);
    /** Calls at once per node (each one holds a thread while it rings). */
    static final int LINES = 20;

    private final OutboundProperties props;
    private final OutboundStore store;
    private final OutboundCalls calls;
    private final OutboundChecks checks;
    private final TransferLog transfers;
    private final Clock clock;
    private final ObjectProvider<AmiLinks> ami;
    private final ObjectProvider<MeterRegistry> registry;
    private final ObjectProvider<org.hotline.ivr.DirectSipCalls> sip;
    private final ObjectProvider<OutboundAnswerer> answerer;
    private volatile OutboundScheduler scheduler;
    private volatile ScheduledExecutorService timer;

    public OutboundNode(OutboundProperties props, OutboundStore store, OutboundCalls calls, OutboundChecks checks,
            TransferLog transfers, Clock clock, ObjectProvider<AmiLinks> ami, ObjectProvider<MeterRegistry> registry,
            ObjectProvider<org.hotline.ivr.DirectSipCalls> sip, ObjectProvider<OutboundAnswerer> answerer) {
        this.sip = sip;
        this.answerer = answerer;
        this.props = props;
        this.store = store;
        this.calls = calls;
        this.checks = checks;
        this.transfers = transfers;
        this.clock = clock;
        this.ami = ami;
        this.registry = registry;
    }

    @Override
    public synchronized void start() {
        AmiLinks links = ami.getIfAvailable();
        org.hotline.ivr.DirectSipCalls direct = sip.getIfAvailable();
        boolean viaSip = direct != null && !direct.outboundUri().isBlank() && answerer.getIfAvailable() != null;
        if (!props.enabled() || !viaSip && (links == null || !links.enabled())) {
            log.info("Outbound calls: not placed by this node ({})",
                    !props.enabled() ? "hotline.outbound.enabled=false" : "no Asterisk in hotline.ami.servers");
            return;
        }
        String node = props.nodeId().isBlank() ? defaultNode() : props.nodeId();
        Dialer dialer = viaSip ? new SipDialer(direct, direct.outboundUri(), answerer.getObject(), props)
                : new AmiDialer(links, props);
        OutboundScheduler s = new OutboundScheduler(store, calls, checks, dialer, props, clock, node, LINES);
        registry.ifAvailable(r -> {
            Gauge.builder("hotline.outbound.placed", s, OutboundScheduler::placed).register(r);
            Gauge.builder("hotline.outbound.in.flight", s, OutboundScheduler::inFlight).register(r);
        });
        scheduler = s;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "outbound-poll");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(100, props.pollInterval().toMillis());
        timer.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        log.info("Outbound calls: node {} places calls over {}, quiet {}–{}, {} a number a day, {} tries", node,
                dialer.via(), props.quietStart(), props.quietEnd(), props.perNumberPerDay(), props.maxAttempts());
    }

    private void tick() {
        try {
            queueCallbacks(calls, transfers, clock);
            scheduler.poll();
        } catch (RuntimeException e) {
            log.warn("Outbound poll failed: {}", e.toString());
        }
    }

    /** A call-back call for every open call-back request with a number (once per request), within a day. */
    static int queueCallbacks(OutboundCalls calls, TransferLog transfers, Clock clock) {
        int n = 0;
        for (CallbackRequest r : transfers.callbacks("OPEN")) {
            if (r.callerNumber() == null || r.callerNumber().isBlank()) {
                continue;
            }
            if (calls.queued(Purpose.CALLBACK, String.valueOf(r.id()))) {
                continue;
            }
            LocalDateTime now = LocalDateTime.now(clock);
            if (calls.request(Purpose.CALLBACK, String.valueOf(r.id()), r.callerNumber(), now,
                    r.createdAt().plus(Duration.ofDays(1))).isPresent()) {
                n++;
            }
        }
        return n;
    }

    private static String defaultNode() {
        try {
            return InetAddress.getLocalHost().getHostName() + "-" + ManagementFactory.getRuntimeMXBean().getPid();
        } catch (Exception e) {
            return "node-" + ManagementFactory.getRuntimeMXBean().getPid();
        }
    }

    @Override
    public synchronized void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        if (scheduler != null) {
            scheduler.shutdown();
            scheduler = null;
        }
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }
}
