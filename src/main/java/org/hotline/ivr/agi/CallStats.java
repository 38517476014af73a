package org.hotline.ivr.agi;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.ivr.CallMeters;

/**
 * Calls now, calls by how they ended, calls turned away because every thread was busy, and the
 * server's time per AGI step (from Asterisk's reply to our next command: flow, booking, database).
 * Also the connections: those still sending their environment block, and those closed before they
 * became a call, by reason.
 */
final class CallStats {

    /** Why a connection was closed before it became a call. */
    enum Refusal {
        /** from an address outside hotline.agi.allowed-peers */
        PEER("peer"),
        /** hotline.agi.max-waiting-connections were already waiting; the oldest was closed */
        OVERFLOW("overflow"),
        /** the environment block did not arrive within hotline.agi.header.timeout */
        HEADER_TIMEOUT("header-timeout"),
        /** a line, the line count or the block over hotline.agi.header limits */
        HEADER_TOO_LONG("header-too-long"),
        /** a line that is not agi_* (not Asterisk) */
        NOT_AGI("not-agi"),
        /** the peer closed before its block was complete */
        CLOSED_EARLY("closed-early");

        private final String tag;

        Refusal(String tag) {
            this.tag = tag;
        }

        String tag() {
            return tag;
        }
    }

    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicLong[] refused = new AtomicLong[Refusal.values().length];
    private volatile java.util.function.IntSupplier openCalls = () -> 0;

    private volatile CallMeters meters = CallMeters.NONE;

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong[] ended = new AtomicLong[AgiCall.End.values().length];

    CallStats() {
        for (int i = 0; i < ended.length; i++) {
            ended[i] = new AtomicLong();
        }
        for (int i = 0; i < refused.length; i++) {
            refused[i] = new AtomicLong();
        }
    }

    void bind(MeterRegistry registry) {
        meters = CallMeters.register(registry, "agi", "server time between an AGI reply and the next command of the call",
                active::get, "FastAGI calls in progress");
        Gauge.builder("hotline.agi.calls.rejected", rejected, AtomicLong::get)
                .description("FastAGI calls turned away: every call thread was busy").register(registry);
        for (AgiCall.End e : AgiCall.End.values()) {
            Gauge.builder("hotline.agi.calls.ended", ended[e.ordinal()], AtomicLong::get).tag("end", e.name())
                    .description("FastAGI calls by how they ended").register(registry);
        }
        Gauge.builder("hotline.agi.connections", waiting, AtomicInteger::get).tag("state", "waiting")
                .description("FastAGI connections: waiting for their environment block, or handed to a call")
                .register(registry);
        Gauge.builder("hotline.agi.connections", this, s -> s.openCalls.getAsInt()).tag("state", "call")
                .description("FastAGI connections: waiting for their environment block, or handed to a call")
                .register(registry);
        for (Refusal r : Refusal.values()) {
            Gauge.builder("hotline.agi.connections.refused", refused[r.ordinal()], AtomicLong::get).tag("reason", r.tag())
                    .description("FastAGI connections closed before they became a call, by reason").register(registry);
        }
    }

    void waiting(int now) {
        waiting.set(now);
    }

    int waiting() {
        return waiting.get();
    }

    /** Where the number of connections handed to calls is read from (the listener's open sockets). */
    void openCalls(java.util.function.IntSupplier s) {
        openCalls = s;
    }

    void refused(Refusal r) {
        refused[r.ordinal()].incrementAndGet();
    }

    long refusedCount(Refusal r) {
        return refused[r.ordinal()].get();
    }

    /** Times one call's AGI steps (hotline.agi.step). */
    CallMeters.StepClock stepClock() {
        return meters.newCall();
    }

    void started() {
        active.incrementAndGet();
    }

    void ended(AgiCall.End end) {
        active.decrementAndGet();
        ended[end.ordinal()].incrementAndGet();
    }

    void rejected() {
        rejected.incrementAndGet();
    }

    int active() {
        return active.get();
    }

    long rejectedCount() {
        return rejected.get();
    }

    long endedCount(AgiCall.End end) {
        return ended[end.ordinal()].get();
    }
}
