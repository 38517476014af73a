package org.hotline.ops.report;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * Pushes to hospital systems still waiting (module his, table {@code his_push}), per client, for the overview and
 * day pages: how many, the oldest one's age, the last error. Empty when nothing waits, or when the table is not there.
 */
@ControllerAdvice(assignableTypes = ReportPages.class)
class HisPushReports {

    /** One client's waiting pushes. */
    record Waiting(long clientId, String client, int pending, long oldestSeconds, int maxAttempts, String lastError) {
    }

    private final JdbcTemplate jdbc;
    private final ModuleTables tables;
    private final Clock clock;

    HisPushReports(JdbcTemplate jdbc, ModuleTables tables, Clock clock) {
        this.jdbc = jdbc;
        this.tables = tables;
        this.clock = clock;
    }

    @ModelAttribute("hisPushes")
    List<Waiting> waiting() {
        if (!tables.has("his_push")) {
            return List.of();
        }
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.query("""
                SELECT p.client_id, c.name, COUNT(*), MIN(p.created_at), MAX(p.attempts),
                       (SELECT e.last_error FROM his_push e WHERE e.client_id = p.client_id AND e.status = 'PENDING'
                          AND e.last_error IS NOT NULL ORDER BY e.id DESC LIMIT 1)
                FROM his_push p JOIN his_client c ON c.id = p.client_id
                WHERE p.status = 'PENDING' GROUP BY p.client_id, c.name ORDER BY MIN(p.created_at)""",
                (rs, i) -> new Waiting(rs.getLong(1), rs.getString(2), rs.getInt(3),
                        Math.max(0, Duration.between(rs.getObject(4, LocalDateTime.class), now).toSeconds()),
                        rs.getInt(5), rs.getString(6)));
    }
}
