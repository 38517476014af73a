package org.hotline.agent;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.ivr.AgentQueue;

/**
 * Tells the voice menu how long a caller would wait for a person, so that it offers a call-back when
 * the wait is long: transferred calls no agent has taken yet, times the average handling time, shared
 * among the agents at their console; nobody at a console means a long wait. An estimate from what the
 * console sees (not Asterisk's queue), so it is off unless {@code hotline.agent.queue.handling-time} is set.
 */
@Component
@ConditionalOnProperty(prefix = "hotline.agent.queue", name = "handling-time")
public class ConsoleQueue implements AgentQueue {

    private final JdbcTemplate jdbc;
    private final AgentPresence presence;
    private final Clock clock;
    private final AgentProperties.Queue cfg;

    public ConsoleQueue(JdbcTemplate jdbc, AgentPresence presence, Clock clock, AgentProperties props) {
        this.jdbc = jdbc;
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
        int waiting = jdbc.queryForObject("""
                SELECT COUNT(*) FROM call_transfer t
                WHERE t.created_at >= ?
                  AND NOT EXISTS (SELECT 1 FROM transfer_pickup p WHERE p.transfer_id = t.transfer_id)
                  AND NOT EXISTS (SELECT 1 FROM callback_request c WHERE c.transfer_id = t.transfer_id)""",
                Integer.class, Timestamp.valueOf(LocalDateTime.now(clock).minus(cfg.window())));
        // the new caller waits behind everyone not yet taken (a caller who chose a call-back is not in the queue)
        return cfg.handlingTime().multipliedBy(waiting).dividedBy(agents);
    }
}
