package org.hotline.his;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

/**
 * The FHIR Subscriptions (R4, rest-hook) hospital systems register themselves ({@code his_subscription}): which of
 * their Appointments' changes go where. Each is its client's alone: another client's is not found. What a
 * subscription may say (criteria, endpoint host, headers) is checked by the FHIR door before it gets here
 * ({@code his.fhir.SubscriptionResources}); {@link AppointmentFeed} queues a push for each active one that matches.
 */
@Component
public class HisSubscriptions {

    private static final Logger log = LoggerFactory.getLogger(HisSubscriptions.class);

    /** What a client asked for, checked. {@code statuses}: FHIR Appointment status codes, null for all. */
    public record Spec(String status, String reason, String criteria, Long facilityId, List<String> statuses,
            String endpoint, String payload, List<String> headers, LocalDateTime endAt) {
    }

    /** A subscription as stored. */
    public record Subscription(long id, long clientId, Spec spec, int version, String lastError,
            LocalDateTime createdAt, LocalDateTime updatedAt) {

        /** Whether pushes go to it now. */
        public boolean live(LocalDateTime now) {
            return "active".equals(spec.status()) && (spec.endAt() == null || spec.endAt().isAfter(now));
        }
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;

    HisSubscriptions(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public Subscription create(HisClient client, Spec s) {
        LocalDateTime now = LocalDateTime.now(clock);
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    INSERT INTO his_subscription (client_id, status, reason, criteria, facility_id, statuses, endpoint,
                      payload, headers, end_at, version, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)""", new String[] {"id"});
            ps.setLong(1, client.id());
            int i = bind(ps, 2, s);
            ps.setObject(i++, now);
            ps.setObject(i, now);
            return ps;
        }, key);
        long id = key.getKey().longValue();
        log.info("HIS client {}: Subscription {} ({}) to {}", client.id(), id, s.status(), host(s.endpoint()));
        return find(client, id).orElseThrow();
    }

    /** Replaces a subscription's content (a new version); empty when it is not this client's. */
    public Optional<Subscription> update(HisClient client, long id, Spec s) {
        int n = jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    UPDATE his_subscription SET status = ?, reason = ?, criteria = ?, facility_id = ?, statuses = ?,
                      endpoint = ?, payload = ?, headers = ?, end_at = ?, version = version + 1, updated_at = ?,
                      last_error = NULL
                    WHERE id = ? AND client_id = ?""");
            int i = bind(ps, 1, s);
            ps.setObject(i++, LocalDateTime.now(clock));
            ps.setLong(i++, id);
            ps.setLong(i, client.id());
            return ps;
        });
        if (n == 1) {
            log.info("HIS client {}: Subscription {} now {} to {}", client.id(), id, s.status(), host(s.endpoint()));
        }
        return n == 1 ? find(client, id) : Optional.empty();
    }

    /** Removes a subscription: its pushes still waiting are dropped. False when it is not this client's. */
    public boolean delete(HisClient client, long id) {
        boolean gone = jdbc.update("DELETE FROM his_subscription WHERE id = ? AND client_id = ?", id, client.id()) == 1;
        if (gone) {
            jdbc.update("""
                    UPDATE his_push SET status = 'DROPPED', last_error = 'subscription deleted'
                    WHERE subscription_id = ? AND status = 'PENDING'""", id);
            log.info("HIS client {}: Subscription {} deleted", client.id(), id);
        }
        return gone;
    }

    public Optional<Subscription> find(HisClient client, long id) {
        return jdbc.query("SELECT * FROM his_subscription WHERE id = ? AND client_id = ?", HisSubscriptions::row, id,
                client.id()).stream().findFirst();
    }

    public List<Subscription> all(HisClient client) {
        return jdbc.query("SELECT * FROM his_subscription WHERE client_id = ? ORDER BY id", HisSubscriptions::row,
                client.id());
    }

    /** For the push: the subscription whatever its client (the push checks it is still live and whose it is). */
    public Optional<Subscription> byId(long id) {
        return jdbc.query("SELECT * FROM his_subscription WHERE id = ?", HisSubscriptions::row, id).stream()
                .findFirst();
    }

    /** The push's word on delivery: the last error (shown as Subscription.error), or none once one got through. */
    public void delivered(long id, String error) {
        jdbc.update("UPDATE his_subscription SET last_error = ? WHERE id = ?", error, id);
    }

    private static int bind(java.sql.PreparedStatement ps, int i, Spec s) throws SQLException {
        ps.setString(i++, s.status());
        ps.setString(i++, s.reason());
        ps.setString(i++, s.criteria());
        ps.setObject(i++, s.facilityId());
        ps.setString(i++, s.statuses() == null || s.statuses().isEmpty() ? null : String.join(",", s.statuses()));
        ps.setString(i++, s.endpoint());
        ps.setString(i++, s.payload());
        ps.setString(i++, s.headers() == null || s.headers().isEmpty() ? null : String.join("\n", s.headers()));
        ps.setObject(i++, s.endAt());
        return i;
    }

    private static Subscription row(ResultSet rs, int n) throws SQLException {
        String statuses = rs.getString("statuses");
        String headers = rs.getString("headers");
        Spec spec = new Spec(rs.getString("status"), rs.getString("reason"), rs.getString("criteria"),
                rs.getObject("facility_id", Long.class), statuses == null ? null : Arrays.asList(statuses.split(",")),
                rs.getString("endpoint"), rs.getString("payload"),
                headers == null ? List.of() : Arrays.asList(headers.split("\n")),
                rs.getObject("end_at", LocalDateTime.class));
        return new Subscription(rs.getLong("id"), rs.getLong("client_id"), spec, rs.getInt("version"),
                rs.getString("last_error"), rs.getObject("created_at", LocalDateTime.class),
                rs.getObject("updated_at", LocalDateTime.class));
    }

    private static String host(String url) {
        try {
            return java.net.URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            return "?";
        }
    }
}
