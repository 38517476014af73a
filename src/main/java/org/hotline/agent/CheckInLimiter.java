package org.hotline.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Check-in look-ups per front-desk user, a token bucket in this node's memory: {@code burst} at once, then
 * {@code perMinute}. A desk checks in one patient standing in front of it at a time; a script trying codes
 * is held to the same pace (docs/security.md).
 */
@Component
public class CheckInLimiter {

    private static final Logger log = LoggerFactory.getLogger(CheckInLimiter.class);

    private record Bucket(double tokens, Instant at) {
    }

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Clock clock;
    private final AgentProperties.CheckInRate props;
    private final MeterRegistry registry;

    public CheckInLimiter(Clock clock, AgentProperties props, ObjectProvider<MeterRegistry> registry) {
        this.clock = clock;
        this.props = props.checkInRate();
        this.registry = registry.getIfAvailable();
    }

    /** Takes one look-up for this desk user: empty when it may go ahead, else how long to wait. */
    public Optional<Duration> take(String username) {
        Instant now = clock.instant();
        double perSecond = props.perMinute() / 60.0;
        Bucket after = buckets.compute(username, (k, b) -> {
            double tokens = props.burst();
            if (b != null && !now.isBefore(b.at())) {
                tokens = Math.min(props.burst(), b.tokens() + perSecond * Duration.between(b.at(), now).toMillis() / 1000.0);
            }
            return new Bucket(tokens - 1, now);
        });
        if (after.tokens() >= 0) {
            return Optional.empty();
        }
        // refused: give the token back (a refused look-up looks nothing up)
        buckets.computeIfPresent(username, (k, b) -> new Bucket(b.tokens() + 1, b.at()));
        if (registry != null) {
            Counter.builder("hotline.checkin.throttled").description("check-in look-ups refused for their pace")
                    .register(registry).increment();
        }
        log.warn("Check-in look-ups by desk user {} over {} a minute: refused for now", username, props.perMinute());
        long ms = (long) Math.ceil((-after.tokens()) / perSecond * 1000);
        return Optional.of(Duration.ofMillis(Math.max(1000, ms)));
    }
}
