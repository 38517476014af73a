package org.hotline.agent;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Which agents have their console open: each console polls the transfer list every few seconds, and
 * that poll is written here (at most every 20 s per agent and node, so polling does not load the database).
 */
@Component
public class AgentPresence {

    private static final Duration WRITE_EVERY = Duration.ofSeconds(20);

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final Map<String, LocalDateTime> lastWritten = new ConcurrentHashMap<>();

    public AgentPresence(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public void seen(Actor actor) {
        if (actor.role() != ConsoleRole.AGENT) {
            return;
        }
        LocalDateTime now = LocalDateTime.now(clock);
        LocalDateTime last = lastWritten.get(actor.username());
        if (last != null && last.isBefore(now) && last.plus(WRITE_EVERY).isAfter(now)) {
            return;
        }
        lastWritten.put(actor.username(), now);
        jdbc.update("""
                INSERT INTO agent_presence (username, last_seen) VALUES (?, ?)
                ON DUPLICATE KEY UPDATE last_seen = VALUES(last_seen)""", actor.username(),
                Timestamp.valueOf(now));
    }

    /** Agents whose console polled within {@code within} (a poll from the future, beyond clock skew, is none). */
    public int present(Duration within) {
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.queryForObject("SELECT COUNT(*) FROM agent_presence WHERE last_seen >= ? AND last_seen <= ?",
                Integer.class, Timestamp.valueOf(now.minus(within).minus(WRITE_EVERY)),
                Timestamp.valueOf(now.plus(WRITE_EVERY)));
    }
}
