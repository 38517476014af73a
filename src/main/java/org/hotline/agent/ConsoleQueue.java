package org.hotline.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

import org.hotline.handoff.WaitingCalls;
import org.hotline.ivr.AgentQueue;

/**
 * Tells the voice menu how long a caller would wait for a person, so that it offers a call-back when
 * the wait is long: transferred calls no agent has taken yet, times the average handling time, shared
 * among the agents at their console; nobody at a console means a long wait. An estimate from what the
 * console sees (not Asterisk's queue). On by default ({@code hotline.agent.queue.enabled}); the handling
 * time is {@code hotline.agent.queue.handling-time} when set, else measured from the console's own pick-ups
 * ({@link #handlingTime()}).
 */
@Component
@ConditionalOnProperty(prefix = "hotline.agent.queue", name = "enabled", matchIfMissing = true)
public class ConsoleQueue implements AgentQueue {

    /** The handling time until the console has measured enough of its own ({@link #MIN_FIGURES}). */
    public static final Duration DEFAULT_HANDLING_TIME = Duration.ofMinutes(4);
    /** Back-to-back pick-ups needed before the measured figure replaces the default. */
    public static final int MIN_FIGURES = 5;
    private static final Duration REMEASURE = Duration.ofMinutes(1);

    private final WaitingCalls calls;
    private final AgentPresence presence;
    private final Clock clock;
    private final AgentProperties.Queue cfg;

    private record Measured(LocalDateTime at, Duration handlingTime) {
    }

    private volatile Measured measured;

    public ConsoleQueue(WaitingCalls calls, AgentPresence presence, Clock clock, AgentProperties props) {
        this.calls = calls;
        this.presence = presence;
        this.clock = clock;
        this.cfg = props.queue();
    }

    @Override
    public Duration expectedWait() {
        int agents = presence.present(cfg.presenceTimeout());
        if (agents == 0) {
            return cfg.noAgentWait();
        }
        int waiting = calls.notTaken(LocalDateTime.now(clock).minus(cfg.window()), LocalDateTime.now(clock));
        if (waiting == 0) {
            return Duration.ZERO;
        }
        // the new caller waits behind everyone not yet taken (a caller who chose a call-back is not in the queue)
        return handlingTime().multipliedBy(waiting).dividedBy(agents);
    }

    /**
     * The time an agent spends on one call: {@code queue.handling-time} when set; else the console's own
     * figure, the mean time from one pick-up (接听) of an agent to their next, counted only when that next
     * caller was already waiting at the first pick-up (so the agent was busy the whole time, not idle) and
     * the gap is within {@code queue.window}, over the last {@code queue.handling-sample}. Until there are
     * {@link #MIN_FIGURES} such gaps, {@link #DEFAULT_HANDLING_TIME}. Measured at most once a minute.
     */
    public Duration handlingTime() {
        if (cfg.handlingTime() != null) {
            return cfg.handlingTime();
        }
        LocalDateTime now = LocalDateTime.now(clock);
        Measured m = measured;
        if (m == null || now.isBefore(m.at()) || !now.isBefore(m.at().plus(REMEASURE))) {
            m = new Measured(now, measure(now));
            measured = m;
        }
        return m.handlingTime();
    }

    private Duration measure(LocalDateTime now) {
        WaitingCalls.Gaps gaps = calls.busyGaps(now.minus(cfg.handlingSample()), now, cfg.window());
        return gaps.count() < MIN_FIGURES ? DEFAULT_HANDLING_TIME
                : Duration.ofMillis(Math.round(gaps.meanMicros() / 1000.0));
    }
}
