package org.hotline.ivr.agi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.asteriskjava.fastagi.MappingStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.db.DatabaseWatch;
import org.hotline.ivr.CallHandler;

/**
 * The FastAGI port. Start-up fails when the port cannot be bound (the library itself would only
 * log it and carry on); shutdown stops taking calls, lets running calls finish for
 * {@code drain-timeout}, then cuts the rest so that their flows release their holds.
 */
@Component
public class FastAgiListener implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(FastAgiListener.class);

    private final AgiProperties props;
    private final CallHandler handler;
    private final CallStats stats = new CallStats();
    /** False while this node must not take new calls (its database is away): see HotlineAgiScript. */
    private volatile BooleanSupplier admitting = () -> true;
    private volatile HotlineAgiServer server;
    private volatile AgiConnections connections;
    private volatile boolean running;
    /** The gateway's base URL for Asterisk (names recorded in the console): see {@link NameAudioHttp}. */
    private volatile java.util.function.Supplier<String> mediaUrl = () -> null;

    @Autowired
    public FastAgiListener(AgiProperties props, ObjectProvider<CallHandler> handlers,
            ObjectProvider<MeterRegistry> registry, ObjectProvider<DatabaseWatch> watch,
            ObjectProvider<ApplicationAvailability> availability, org.springframework.core.env.Environment env,
            ObjectProvider<org.hotline.ivr.OutboundAnswer> outbound) {
        this(props, (CallHandler) call -> {
            CallHandler h = handlers.getIfAvailable();
            if (h == null) {
                // no flow engine in this build: a person must still be reachable
                log.warn("no flow engine; sending the call to a person");
                call.transferToAgent("", 0);
            } else {
                h.answer(call);
            }
        });
        registry.ifAvailable(stats::bind);
        // issue 16: no call before the service can serve it. The port is bound early (start-up fails when it
        // cannot be), but calls are taken only once Spring reports ACCEPTING_TRAFFIC, which it does after every
        // ApplicationRunner: the demo data on the embedded default and the release catch-up
        // (org.hotline.release.ReleaseCatchUp). Until then a call is closed before any command and Asterisk's
        // dialplan tries the next node, then the agents' queue; /actuator/health/readiness is OUT_OF_SERVICE.
        BooleanSupplier ready = availability.getIfAvailable() == null ? () -> true
                : () -> availability.getObject().getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
        DatabaseWatch w = watch.getIfAvailable();
        admitting = w == null ? ready : () -> ready.getAsBoolean() && w.reachable();
        this.outbound = (call, token) -> {
            org.hotline.ivr.OutboundAnswer o = outbound.getIfAvailable();
            if (o == null) {
                log.warn("an outbound call arrived but this node places none; hanging up");
                call.hangUp();
            } else {
                o.answer(call, token);
            }
        };
        mediaUrl = () -> NameAudioHttp.baseUrl(env, props);
    }

    /** Calls this gateway placed (Asterisk's outbound context runs AGI(...,outbound,<token>)). */
    private org.hotline.ivr.OutboundAnswer outbound = (call, token) -> call.hangUp();

    /** For tests and benchmarks that bring their own call handler. */
    public FastAgiListener(AgiProperties props, CallHandler handler) {
        this.props = props;
        this.handler = handler;
    }

    @Override
    public synchronized void start() {
        if (running || !props.enabled()) {
            return;
        }
        InetAddress bind;
        try {
            bind = InetAddress.getByName(props.bindAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("hotline.agi.bind-address " + props.bindAddress() + " is unknown", e);
        }
        HotlineAgiScript[] script = new HotlineAgiScript[1];
        MappingStrategy mapping = (request, channel) -> props.script().equals(request.getScript()) ? script[0] : null;
        HotlineAgiServer s = new HotlineAgiServer(mapping, bind, props, stats);
        Thread acceptor = new Thread(() -> {
            try {
                s.startup();
            } catch (Exception e) {
                s.bound.completeExceptionally(e);
            }
        }, "agi-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        try {
            connections = s.bound.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("FastAGI cannot listen on " + props.bindAddress() + ":" + props.port()
                    + " (hotline.agi.port): " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            s.shutdown();
            throw new IllegalStateException("FastAGI did not start listening", e);
        }
        script[0] = new HotlineAgiScript(handler, outbound, props.soundPrefix(), connections, stats,
                () -> admitting.getAsBoolean(), () -> mediaUrl.get());
        server = s;
        running = true;
        log.info("FastAGI listening on agi://{}:{}/{} (up to {} calls; connections only from {})", props.bindAddress(),
                port(), props.script(), props.maxCalls(), String.join(", ", props.allowedPeers()));
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        HotlineAgiServer s = server;
        s.shutdown();
        ThreadPoolExecutor pool = s.pool();
        if (pool == null) {
            return;
        }
        try {
            if (!pool.awaitTermination(props.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{} calls still running after {}; cutting them", pool.getActiveCount(), props.drainTimeout());
                connections.closeAll();
                if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("{} call threads did not end", pool.getActiveCount());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connections.closeAll();
        }
        log.info("FastAGI stopped");
    }

    /** False when this node takes no FastAGI calls ({@code hotline.agi.enabled=false}). */
    public boolean isEnabled() {
        return props.enabled();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    public int port() {
        AgiConnections c = connections;
        return c == null ? -1 : c.localPort();
    }

    /** Calls in progress right now. */
    public int activeCalls() {
        return stats.active();
    }

    /** Calls that may run at once ({@code hotline.agi.max-calls}). */
    public int maxCalls() {
        return props.maxCalls();
    }

    /**
     * Open FastAGI connections that are calls (their environment block was complete and they were
     * handed to a call thread); -1 when not listening.
     */
    public int callConnections() {
        AgiConnections c = connections;
        return c == null ? -1 : c.openCount();
    }

    /** Connections accepted whose environment block has not arrived yet (closed after the header timeout). */
    public int waitingConnections() {
        return stats.waiting();
    }

    /** Connections closed before they became a call since start, by reason (peer, header-timeout, ...). */
    public java.util.Map<String, Long> refusedConnections() {
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (CallStats.Refusal r : CallStats.Refusal.values()) {
            m.put(r.tag(), stats.refusedCount(r));
        }
        return m;
    }

    /** Calls turned away since start because all {@code max-calls} threads were busy. */
    public long rejectedCalls() {
        return stats.rejectedCount();
    }

    /** Takes new calls only while {@code admission} says yes (tests; the Spring bean uses the database watch). */
    public FastAgiListener admitWhile(BooleanSupplier admission) {
        this.admitting = admission;
        return this;
    }

    /** Calls closed unanswered because the database was away (Asterisk went on to the next node). */
    public long notTakenCalls() {
        return stats.endedCount(AgiCall.End.NOT_TAKEN);
    }

    /** Registers this listener's meters (the Spring bean does so with the application's registry). */
    public void bindMetrics(MeterRegistry registry) {
        stats.bind(registry);
    }
}
