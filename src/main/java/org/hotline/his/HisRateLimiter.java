package org.hotline.his;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * FHIR requests per hospital system: a token bucket in the database ({@code his_rate}), so every gateway node takes
 * from the same bucket and N nodes allow the client's {@code rate_per_minute}, not N times it (as the per-number
 * limits of {@code phone_lookup_day} and {@code outbound_number_day} do). The burst is ten seconds' worth (at least
 * 5). A request takes one token by one conditional {@code UPDATE} (refill and take in the same statement, so two
 * nodes at the same instant cannot both take the last token); the first request of a client inserts its bucket.
 * One write per request is the price: only a client holding a valid token gets that far, and it is held to its rate.
 */
@Component
public class HisRateLimiter {

    private static final Logger log = LoggerFactory.getLogger(HisRateLimiter.class);

    /** The bucket's level once refilled up to now: the same expression in the take and in the look after a refusal. */
    private static final String REFILLED = "LEAST(?, tokens + ? * GREATEST(0, TIMESTAMPDIFF(MICROSECOND, at, ?)) / 1000000)";

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final MeterRegistry registry;

    @org.springframework.beans.factory.annotation.Autowired
    public HisRateLimiter(JdbcTemplate jdbc, Clock clock, ObjectProvider<MeterRegistry> registry) {
        this(jdbc, clock, registry.getIfAvailable());
    }

    /** Another node's limiter on the same database (the tests' second node). */
    HisRateLimiter(JdbcTemplate jdbc, Clock clock, MeterRegistry registry) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.registry = registry;
    }

    static int burst(int perMinute) {
        return Math.max(5, (perMinute + 5) / 6);
    }

    /** Takes one request for this client: empty when it may go ahead, else how long to wait. */
    public Optional<Duration> take(HisClient client) {
        LocalDateTime now = LocalDateTime.now(clock);
        int burst = burst(client.ratePerMinute());
        double perSecond = client.ratePerMinute() / 60.0;
        double tokens = 0;
        for (int attempt = 0; attempt < 2; attempt++) {
            // assignments run left to right: tokens is computed from the old `at`
            int took = jdbc.update("UPDATE his_rate SET tokens = " + REFILLED + " - 1, at = GREATEST(at, ?)"
                    + " WHERE client_id = ? AND " + REFILLED + " >= 1", burst, perSecond, now, now, client.id(), burst,
                    perSecond, now);
            if (took == 1) {
                return Optional.empty();
            }
            if (jdbc.update("INSERT IGNORE INTO his_rate (client_id, tokens, at) VALUES (?, ?, ?)", client.id(),
                    burst - 1.0, now) == 1) {
                return Optional.empty();
            }
            List<Double> level = jdbc.queryForList("SELECT " + REFILLED + " FROM his_rate WHERE client_id = ?",
                    Double.class, burst, perSecond, now, client.id());
            tokens = level.isEmpty() ? 0 : level.get(0);
            if (tokens < 1) {
                break;
            }
            // refilled between the take and this look (another node moved `at` on): take again
        }
        if (registry != null) {
            Counter.builder("hotline.his.throttled").description("FHIR requests refused for their pace")
                    .tag("client", Long.toString(client.id())).register(registry).increment();
        }
        log.warn("HIS client {} over {} requests a minute: refused for now", client.id(), client.ratePerMinute());
        long ms = (long) Math.ceil((1 - tokens) / perSecond * 1000);
        return Optional.of(Duration.ofMillis(Math.max(1000, ms)));
    }
}
