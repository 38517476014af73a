package org.hotline.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
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
 * Failed console logins counted per user name and per client address, in this node's memory (a login's
 * node is the node its session lives on; N nodes allow at most N times the attempts). After
 * {@code userMaxFailures} failures in a row for one name, or {@code addressMaxFailures} from one address,
 * further attempts are refused without looking at the password for {@code lockFirst}, doubling with each
 * failure after that up to {@code lockMax}; a key with no failure for {@code forgetAfter} starts again. A
 * name is counted whether or not such a user exists, so the answer never tells which names are real. A
 * success clears its name (not its address: one good account must not reset an address that sprays).
 */
@Component
public class LoginThrottle {

    private static final Logger log = LoggerFactory.getLogger(LoginThrottle.class);
    /** Keys kept at most; stale ones are dropped first, then (under a flood of names) the oldest. */
    static final int MAX_KEYS = 100_000;

    private record State(int failures, Instant lastFailure, Instant blockedUntil) {
    }

    private final Map<String, State> users = new ConcurrentHashMap<>();
    private final Map<String, State> addresses = new ConcurrentHashMap<>();
    private final Clock clock;
    private final AgentProperties.Login props;
    private final MeterRegistry registry;

    public LoginThrottle(Clock clock, AgentProperties props, ObjectProvider<MeterRegistry> registry) {
        this.clock = clock;
        this.props = props.login();
        this.registry = registry.getIfAvailable();
    }

    /** How long this attempt must wait, or empty when it may be checked. */
    public Optional<Duration> blocked(String username, String address) {
        Instant now = clock.instant();
        Duration wait = max(remaining(users.get(userKey(username)), now),
                remaining(address == null ? null : addresses.get(address), now));
        if (wait.isZero()) {
            return Optional.empty();
        }
        count("throttled");
        return Optional.of(wait);
    }

    public void failed(String username, String address) {
        Instant now = clock.instant();
        count("failed");
        State u = fail(users, userKey(username), props.userMaxFailures(), now);
        if (u.failures() == props.userMaxFailures()) {
            log.warn("Console login: {} failed logins in a row for one user name ({}); it waits before the next",
                    u.failures(), shown(username));
        }
        if (address != null) {
            State a = fail(addresses, address, props.addressMaxFailures(), now);
            if (a.failures() == props.addressMaxFailures()) {
                log.warn("Console login: {} failed logins from {}; that address waits before the next", a.failures(),
                        address);
            }
        }
    }

    public void succeeded(String username) {
        count("ok");
        users.remove(userKey(username));
    }

    private State fail(Map<String, State> map, String key, int maxFailures, Instant now) {
        if (map.size() >= MAX_KEYS) {
            prune(map, now);
        }
        return map.compute(key, (k, s) -> {
            int n = s == null || forgotten(s, now) ? 1 : s.failures() + 1;
            Instant until = null;
            if (n >= maxFailures) {
                long factor = 1L << Math.min(20, n - maxFailures);
                Duration lock = props.lockFirst().multipliedBy(factor);
                until = now.plus(lock.compareTo(props.lockMax()) > 0 ? props.lockMax() : lock);
            }
            return new State(n, now, until);
        });
    }

    private boolean forgotten(State s, Instant now) {
        Instant last = s.blockedUntil() != null && s.blockedUntil().isAfter(s.lastFailure()) ? s.blockedUntil()
                : s.lastFailure();
        // a clock set back (tests, a corrected host clock) must not leave a key locked for years
        return now.isAfter(last.plus(props.forgetAfter())) || now.isBefore(s.lastFailure());
    }

    private Duration remaining(State s, Instant now) {
        if (s == null || s.blockedUntil() == null || !s.blockedUntil().isAfter(now) || now.isBefore(s.lastFailure())) {
            return Duration.ZERO;
        }
        Duration d = Duration.between(now, s.blockedUntil());
        return d.compareTo(props.lockMax()) > 0 ? props.lockMax() : d;
    }

    private void prune(Map<String, State> map, Instant now) {
        map.entrySet().removeIf(e -> forgotten(e.getValue(), now));
        if (map.size() >= MAX_KEYS) {
            Instant cut = now.minus(props.lockFirst());
            map.entrySet().removeIf(e -> e.getValue().lastFailure().isBefore(cut) && remaining(e.getValue(), now).isZero());
        }
    }

    private void count(String outcome) {
        if (registry != null) {
            Counter.builder("hotline.console.logins").tag("outcome", outcome)
                    .description("console login attempts: ok, failed, throttled (refused unchecked)")
                    .register(registry).increment();
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    static String userKey(String username) {
        return username == null ? "" : username.strip().toLowerCase(Locale.ROOT);
    }

    /** A typed user name may be a password typed into the wrong field: logged cut short. */
    private static String shown(String username) {
        String u = username == null ? "" : username.strip();
        return u.length() <= 3 ? u + "…" : u.substring(0, 3) + "…";
    }
}
