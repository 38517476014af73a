package org.hotline.his;

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
 * FHIR requests per hospital system, a token bucket in this node's memory as {@code agent.CheckInLimiter}: the
 * client's {@code rate_per_minute}, with a burst of ten seconds' worth (at least 5). N nodes allow N times the
 * rate, as the console's login limits do (docs/security.md).
 */
@Component
public class HisRateLimiter {

    private static final Logger log = LoggerFactory.getLogger(HisRateLimiter.class);

    private record Bucket(double tokens, Instant at) {
    }

    private final Map<Long, Bucket> buckets = new ConcurrentHashMap<>();
    private final Clock clock;
    private final MeterRegistry registry;

    public HisRateLimiter(Clock clock, ObjectProvider<MeterRegistry> registry) {
        this.clock = clock;
        this.registry = registry.getIfAvailable();
    }

    static int burst(int perMinute) {
        return Math.max(5, (perMinute + 5) / 6);
    }

    /** Takes one request for this client: empty when it may go ahead, else how long to wait. */
    public Optional<Duration> take(HisClient client) {
        Instant now = clock.instant();
        int burst = burst(client.ratePerMinute());
        double perSecond = client.ratePerMinute() / 60.0;
        Bucket after = buckets.compute(client.id(), (k, b) -> {
            double tokens = burst;
            if (b != null && !now.isBefore(b.at())) {
                tokens = Math.min(burst, b.tokens() + perSecond * Duration.between(b.at(), now).toMillis() / 1000.0);
            } else if (b != null) {
                tokens = b.tokens();
            }
            return new Bucket(tokens - 1, now);
        });
        if (after.tokens() >= 0) {
            return Optional.empty();
        }
        buckets.computeIfPresent(client.id(), (k, b) -> new Bucket(b.tokens() + 1, b.at()));
        if (registry != null) {
            Counter.builder("hotline.his.throttled").description("FHIR requests refused for their pace")
                    .tag("client", Long.toString(client.id())).register(registry).increment();
        }
        log.warn("HIS client {} over {} requests a minute: refused for now", client.id(), client.ratePerMinute());
        long ms = (long) Math.ceil((-after.tokens()) / perSecond * 1000);
        return Optional.of(Duration.ofMillis(Math.max(1000, ms)));
    }
}
