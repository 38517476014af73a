package org.hotline.ivr;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The call meters every adapter keeps alike, named by adapter ({@code agi}, {@code sip}):
 * {@code hotline.<adapter>.step}, the server's time per step of a call (from the caller's answer, as
 * the adapter hears it, to our next action on the call: flow, booking, database; the caller's own time
 * is left out), and {@code hotline.<adapter>.calls.active}.
 */
public final class CallMeters {

    /** Records nothing: an adapter running without a meter registry (unit tests, or before one is bound). */
    public static final CallMeters NONE = new CallMeters(null);

    private final Timer step;

    private CallMeters(Timer step) {
        this.step = step;
    }

    /**
     * Registers the adapter's step timer and active-calls gauge.
     *
     * @param adapter     the metric name's part: {@code agi} gives {@code hotline_agi_step_seconds}
     * @param stepMeaning what one step is on this adapter's wire (the timer's description)
     * @param activeCalls calls now, as the adapter counts them
     * @param activeMeaning what the adapter counts as a call in progress (the gauge's description)
     */
    public static CallMeters register(MeterRegistry registry, String adapter, String stepMeaning,
            Supplier<Number> activeCalls, String activeMeaning) {
        Timer step = Timer.builder("hotline." + adapter + ".step").description(stepMeaning)
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry);
        Gauge.builder("hotline." + adapter + ".calls.active", activeCalls).description(activeMeaning)
                .register(registry);
        return new CallMeters(step);
    }

    /** A clock for one call's steps; used by that call's own thread only. */
    public StepClock newCall() {
        return new StepClock(step);
    }

    /** Times the server's turns of one call: from {@link #answered()} to the next {@link #acting()}. */
    public static final class StepClock {

        private final Timer step;
        private long answeredAt;

        private StepClock(Timer step) {
            this.step = step;
        }

        /**
         * We act on the call (a command, a prompt, a transfer, a hang-up): the time since the caller's last
         * answer was ours. Before the first answer, and when an action nests in another, nothing is recorded.
         */
        public void acting() {
            long at = answeredAt;
            if (at != 0) {
                answeredAt = 0;
                if (step != null) {
                    step.record(System.nanoTime() - at, TimeUnit.NANOSECONDS);
                }
            }
        }

        /** The caller (or the far end) answered our last action: the server's turn starts. */
        public void answered() {
            answeredAt = System.nanoTime();
        }
    }
}
