package org.hotline.his;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Requests a hospital system may retry ({@code his_request}): the first to claim a key does the work and records
 * what it made; a retry (the same {@code If-None-Exist} or {@code X-Request-Id}) gets that instead of a second
 * one, also while the first is still running (it waits for it). A claim whose work was refused is given back, so
 * the request may be tried again.
 */
@Component
public class HisRequests {

    /** What claiming a key found. */
    public sealed interface Claim {
        /** This request does the work. */
        record Mine() implements Claim {
        }

        /** An earlier request with this key made this resource. */
        record Done(long resourceId) implements Claim {
        }

        /** An earlier request with this key is still running (it did not finish within the wait). */
        record Busy() implements Claim {
        }
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;

    HisRequests(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public Claim claim(long clientId, String key, String resourceType) {
        try {
            jdbc.update("""
                    INSERT INTO his_request (client_id, request_key, resource_type, created_at) VALUES (?, ?, ?, ?)""",
                    clientId, key, resourceType, LocalDateTime.now(clock));
            return new Claim.Mine();
        } catch (DuplicateKeyException e) {
            long end = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < end) {
                Optional<Long> made = made(clientId, key);
                if (made == null) {
                    // given back (the first was refused): try to claim it ourselves
                    return claim(clientId, key, resourceType);
                }
                if (made.isPresent()) {
                    return new Claim.Done(made.get());
                }
                try {
                    Thread.sleep(25);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return new Claim.Busy();
        }
    }

    public void done(long clientId, String key, long resourceId) {
        jdbc.update("UPDATE his_request SET resource_id = ? WHERE client_id = ? AND request_key = ?", resourceId,
                clientId, key);
    }

    public void giveBack(long clientId, String key) {
        jdbc.update("DELETE FROM his_request WHERE client_id = ? AND request_key = ? AND resource_id IS NULL", clientId,
                key);
    }

    /** null: no such claim; empty: claimed, not done yet. */
    private Optional<Long> made(long clientId, String key) {
        return jdbc.query("SELECT resource_id FROM his_request WHERE client_id = ? AND request_key = ?",
                rs -> rs.next() ? Optional.ofNullable(rs.getObject(1, Long.class)) : null, clientId, key);
    }
}
