package org.hotline.ivr.agi;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.ivr.CallMeters;

/**
 * Calls now, calls by how they ended, calls turned away because every thread was busy, and the
 * server's time per AGI step (from Asterisk's reply to our next command: flow, booking, database).
 */
final class CallStats {

    private volatile CallMeters meters = CallMeters.NONE;

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong[] ended = new AtomicLong[AgiCall.End.values().length];

    CallStats() {
        for (int i = 0; i < ended.length; i++) {
            ended[i] = new AtomicLong();
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
