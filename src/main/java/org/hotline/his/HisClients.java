package org.hotline.his;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.agent.Actor;
import org.hotline.agent.AuditTrail;
import org.hotline.booking.Catalogue;

/**
 * Hospital systems and their bearer tokens (tables {@code his_client}, {@code his_client_facility},
 * {@code his_token}). A token is 32 random bytes shown once, at issue; only its SHA-256 is stored (a fast hash is
 * enough for a secret with 256 bits of entropy: there is nothing to guess). A client may hold two valid tokens at
 * once, so it rotates without downtime: issue the new one, deploy it, revoke the old one. Every management action
 * writes an audit row ({@code HIS_CLIENT_CREATE}, {@code HIS_TOKEN_ISSUE}, {@code HIS_TOKEN_REVOKE}) in its own
 * transaction, refusals included.
 */
@Service
public class HisClients {

    private static final Logger log = LoggerFactory.getLogger(HisClients.class);

    /** Valid tokens a client may hold at once: the one in use and its successor during a rotation. */
    public static final int MAX_VALID_TOKENS = 2;
    /** The prefix of every token: lets secret scanners and people recognise one. */
    public static final String PREFIX = "hlhis_";
    /** The prefix of every push-signing key (docs/his.md, "Signed pushes"). */
    public static final String PUSH_PREFIX = "hlpush_";

    /** What a management action answers: done (with the new secret where one was issued) or refused, and why. */
    public sealed interface Outcome {
        record Done(HisClient client, HisToken token, String secret, String pushSecret) implements Outcome {
            public Done(HisClient client, HisToken token, String secret) {
                this(client, token, secret, null);
            }
        }

        record Refused(String problem, String text) implements Outcome {
        }
    }

    /** A request's caller, once its token checked out. */
    public record Authenticated(HisClient client, long tokenId) {
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final AuditTrail audit;
    private final Catalogue catalogue;
    private final SecureRandom random = new SecureRandom();
    /** When each token's last use was written: at most once a minute per token (no write per request). */
    private final Map<Long, Instant> usedWritten = new ConcurrentHashMap<>();

    public HisClients(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, AuditTrail audit, Catalogue catalogue) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.audit = audit;
        this.catalogue = catalogue;
    }

    /** A new client with its first token (the secret is in the outcome, and nowhere else ever again). */
    public Outcome create(Actor actor, String name, Set<Long> facilityIds, String pushUrl,
            Integer ratePerMinute) {
        return create(actor, name, facilityIds, pushUrl, null, ratePerMinute);
    }

    /**
     * A new client with its first token and its push-signing key (both secrets are in the outcome, and the token
     * nowhere else ever again). {@code endpointHosts}: the hosts its own Subscriptions may send to (none: it may
     * not register any).
     */
    public Outcome create(Actor actor, String name, Set<Long> facilityIds, String pushUrl, Set<String> endpointHosts,
            Integer ratePerMinute) {
        Set<String> hosts = endpointHosts == null ? Set.of() : new TreeSet<>(endpointHosts.stream()
                .map(h -> h == null ? "" : h.trim().toLowerCase(java.util.Locale.ROOT)).toList());
        String n = name == null ? "" : name.trim();
        Outcome.Refused refused = null;
        if (n.isEmpty() || n.length() > 100) {
            refused = new Outcome.Refused("NAME", "请填写系统名称（100 字以内）");
        } else if (facilityIds == null || facilityIds.isEmpty()) {
            refused = new Outcome.Refused("FACILITIES", "请至少选择一个机构");
        } else if (facilityIds.stream().anyMatch(f -> f == null || catalogue.facility(f).isEmpty())) {
            refused = new Outcome.Refused("FACILITIES", "机构不存在");
        } else if (pushUrl != null && !pushUrl.isBlank() && !pushUrl.matches("https?://[^\\s]{1,490}")) {
            refused = new Outcome.Refused("PUSH_URL", "推送地址须为 http(s) 地址");
        } else if (ratePerMinute != null && (ratePerMinute < 1 || ratePerMinute > 60_000)) {
            refused = new Outcome.Refused("RATE", "每分钟请求数须在 1 到 60000 之间");
        } else if (hosts.stream().anyMatch(h -> !h.matches("[A-Za-z0-9.:\\[\\]-]{1,100}"))
                || String.join(",", hosts).length() > 500) {
            refused = new Outcome.Refused("ENDPOINT_HOSTS", "订阅地址主机名格式不正确");
        }
        if (refused != null) {
            Outcome.Refused r = refused;
            tx.executeWithoutResult(s -> audit.record(actor, AuditTrail.Entry.of("HIS_CLIENT_CREATE", r.problem())
                    .detail("name=" + cut(n))));
            return r;
        }
        try {
            String pushSecret = newSecret(PUSH_PREFIX);
            return tx.execute(s -> {
                LocalDateTime now = LocalDateTime.now(clock);
                GeneratedKeyHolder key = new GeneratedKeyHolder();
                jdbc.update(c -> {
                    var ps = c.prepareStatement("""
                            INSERT INTO his_client (name, push_url, rate_per_minute, created_by, created_at, push_secret,
                              endpoint_hosts) VALUES (?, ?, ?, ?, ?, ?, ?)""", new String[] {"id"});
                    ps.setString(1, n);
                    ps.setString(2, pushUrl == null || pushUrl.isBlank() ? null : pushUrl.trim());
                    ps.setInt(3, ratePerMinute == null ? 600 : ratePerMinute);
                    ps.setString(4, actor.username());
                    ps.setObject(5, now);
                    ps.setString(6, pushSecret);
                    ps.setString(7, hosts.isEmpty() ? null : String.join(",", hosts));
                    return ps;
                }, key);
                long id = key.getKey().longValue();
                for (long f : new TreeSet<>(facilityIds)) {
                    jdbc.update("INSERT INTO his_client_facility (client_id, facility_id) VALUES (?, ?)", id, f);
                }
                Issued issued = insertToken(id, actor.username(), now);
                audit.record(actor, AuditTrail.Entry.of("HIS_CLIENT_CREATE", "OK").detail("client=" + id + " name="
                        + cut(n) + " facilities=" + new TreeSet<>(facilityIds) + " token=" + issued.token().hint()));
                HisClient client = find(id).orElseThrow();
                return new Outcome.Done(client, issued.token(), issued.secret(), pushSecret);
            });
        } catch (DuplicateKeyException e) {
            tx.executeWithoutResult(s -> audit.record(actor, AuditTrail.Entry.of("HIS_CLIENT_CREATE", "NAME_TAKEN")
                    .detail("name=" + cut(n))));
            return new Outcome.Refused("NAME_TAKEN", "该系统名称已存在");
        }
    }

    /** A new token for a client (rotation): refused while it already holds {@link #MAX_VALID_TOKENS} valid ones. */
    public Outcome issueToken(Actor actor, long clientId) {
        Outcome out = tx.execute(s -> {
            // lock the client row: two admins issuing at once still end with at most two valid tokens
            Long locked = jdbc.query("SELECT id FROM his_client WHERE id = ? FOR UPDATE",
                    rs -> rs.next() ? rs.getLong(1) : null, clientId);
            if (locked == null) {
                return new Outcome.Refused("NOT_FOUND", "没有这个系统");
            }
            Integer valid = jdbc.queryForObject(
                    "SELECT COUNT(*) FROM his_token WHERE client_id = ? AND revoked_at IS NULL", Integer.class, clientId);
            if (valid >= MAX_VALID_TOKENS) {
                return new Outcome.Refused("TOO_MANY_TOKENS", "该系统已有 " + MAX_VALID_TOKENS + " 个有效令牌：请先吊销旧令牌");
            }
            Issued issued = insertToken(clientId, actor.username(), LocalDateTime.now(clock));
            audit.record(actor, AuditTrail.Entry.of("HIS_TOKEN_ISSUE", "OK").detail("client=" + clientId + " token="
                    + issued.token().hint()));
            return new Outcome.Done(find(clientId).orElseThrow(), issued.token(), issued.secret());
        });
        if (out instanceof Outcome.Refused r) {
            tx.executeWithoutResult(s -> audit.record(actor, AuditTrail.Entry.of("HIS_TOKEN_ISSUE", r.problem())
                    .detail("client=" + clientId)));
        }
        return out;
    }

    /**
     * A new push-signing key for a client (the old one stops signing at once: the receiver switches to the new one
     * when it is shown here). Audited as {@code HIS_PUSH_SECRET}.
     */
    public Outcome rotatePushSecret(Actor actor, long clientId) {
        String secret = newSecret(PUSH_PREFIX);
        Outcome out = tx.execute(s -> {
            if (jdbc.update("UPDATE his_client SET push_secret = ? WHERE id = ?", secret, clientId) != 1) {
                return new Outcome.Refused("NOT_FOUND", "没有这个系统");
            }
            audit.record(actor, AuditTrail.Entry.of("HIS_PUSH_SECRET", "OK").detail("client=" + clientId));
            return new Outcome.Done(find(clientId).orElseThrow(), null, null, secret);
        });
        if (out instanceof Outcome.Refused r) {
            tx.executeWithoutResult(s -> audit.record(actor, AuditTrail.Entry.of("HIS_PUSH_SECRET", r.problem())
                    .detail("client=" + clientId)));
        }
        return out;
    }

    /** The key that signs this client's pushes (only the push reads it). */
    public Optional<String> pushSecret(long clientId) {
        return jdbc.query("SELECT push_secret FROM his_client WHERE id = ?", (rs, i) -> rs.getString(1), clientId)
                .stream().filter(java.util.Objects::nonNull).findFirst();
    }

    /** Revokes a token at once: its next request is refused (401). Revoking a revoked token is refused. */
    public Outcome revoke(Actor actor, long tokenId) {
        Outcome out = tx.execute(s -> {
            int n = jdbc.update("UPDATE his_token SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
                    LocalDateTime.now(clock), actor.username(), tokenId);
            if (n != 1) {
                return new Outcome.Refused("NOT_FOUND", "没有这个有效令牌");
            }
            HisToken t = token(tokenId).orElseThrow();
            audit.record(actor, AuditTrail.Entry.of("HIS_TOKEN_REVOKE", "OK").detail("client=" + t.clientId()
                    + " token=" + t.hint()));
            return new Outcome.Done(find(t.clientId()).orElseThrow(), t, null);
        });
        if (out instanceof Outcome.Refused r) {
            tx.executeWithoutResult(s -> audit.record(actor, AuditTrail.Entry.of("HIS_TOKEN_REVOKE", r.problem())
                    .detail("token=" + tokenId)));
        }
        return out;
    }

    /** The client whose valid token this is; empty for anything else (no difference between unknown and revoked). */
    public Optional<Authenticated> authenticate(String secret) {
        if (secret == null || !secret.startsWith(PREFIX) || secret.length() > 100) {
            return Optional.empty();
        }
        List<long[]> rows = jdbc.query(
                "SELECT id, client_id FROM his_token WHERE token_hash = ? AND revoked_at IS NULL",
                (rs, i) -> new long[] {rs.getLong(1), rs.getLong(2)}, sha256(secret));
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        long tokenId = rows.get(0)[0];
        Instant now = clock.instant();
        Instant written = usedWritten.get(tokenId);
        if (written == null || Duration.between(written, now).toSeconds() >= 60) {
            usedWritten.put(tokenId, now);
            jdbc.update("UPDATE his_token SET last_used_at = ? WHERE id = ?", LocalDateTime.now(clock), tokenId);
        }
        return find(rows.get(0)[1]).map(c -> new Authenticated(c, tokenId));
    }

    public List<HisClient> all() {
        return jdbc.query("SELECT * FROM his_client ORDER BY name", this::client);
    }

    public Optional<HisClient> find(long id) {
        return jdbc.query("SELECT * FROM his_client WHERE id = ?", this::client, id).stream().findFirst();
    }

    /** Every client that reaches this facility (the pushes of its bookings go to each). */
    public List<HisClient> reaching(long facilityId) {
        return jdbc.query("""
                SELECT c.* FROM his_client c JOIN his_client_facility f ON f.client_id = c.id
                WHERE f.facility_id = ? ORDER BY c.id""", this::client, facilityId);
    }

    /** A client's Appointment pushes not yet delivered (as {@code /ops} shows them): how many, the oldest's age. */
    public record Backlog(int pending, long oldestSeconds, int maxAttempts, String lastError) {
    }

    /** The push backlog per client that has one (for the console's 医院系统接入 screen). */
    public Map<Long, Backlog> backlog() {
        LocalDateTime now = LocalDateTime.now(clock);
        Map<Long, Backlog> out = new java.util.HashMap<>();
        jdbc.query("""
                SELECT p.client_id, COUNT(*), MIN(p.created_at), MAX(p.attempts),
                       (SELECT e.last_error FROM his_push e WHERE e.client_id = p.client_id AND e.status = 'PENDING'
                          AND e.last_error IS NOT NULL ORDER BY e.id DESC LIMIT 1)
                FROM his_push p WHERE p.status = 'PENDING' GROUP BY p.client_id""",
                rs -> {
                    out.put(rs.getLong(1), new Backlog(rs.getInt(2),
                            Math.max(0, Duration.between(rs.getObject(3, LocalDateTime.class), now).toSeconds()),
                            rs.getInt(4), rs.getString(5)));
                });
        return out;
    }

    public List<HisToken> tokens(long clientId) {
        return jdbc.query("SELECT * FROM his_token WHERE client_id = ? ORDER BY id", HisClients::token, clientId);
    }

    Optional<HisToken> token(long id) {
        return jdbc.query("SELECT * FROM his_token WHERE id = ?", HisClients::token, id).stream().findFirst();
    }

    private record Issued(HisToken token, String secret) {
    }

    private Issued insertToken(long clientId, String by, LocalDateTime now) {
        String secret = newSecret(PREFIX);
        String hint = secret.substring(0, PREFIX.length() + 4) + "…";
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    INSERT INTO his_token (client_id, token_hash, hint, created_by, created_at) VALUES (?, ?, ?, ?, ?)""",
                    new String[] {"id"});
            ps.setLong(1, clientId);
            ps.setString(2, sha256(secret));
            ps.setString(3, hint);
            ps.setString(4, by);
            ps.setObject(5, now);
            return ps;
        }, key);
        log.info("HIS client {}: token {} issued by {}", clientId, hint, by);
        return new Issued(token(key.getKey().longValue()).orElseThrow(), secret);
    }

    private String newSecret(String prefix) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String cut(String s) {
        return s.length() > 60 ? s.substring(0, 60) : s;
    }

    private HisClient client(ResultSet rs, int row) throws SQLException {
        long id = rs.getLong("id");
        Set<Long> facilities = new LinkedHashSet<>(jdbc.queryForList(
                "SELECT facility_id FROM his_client_facility WHERE client_id = ? ORDER BY facility_id", Long.class, id));
        String hosts = rs.getString("endpoint_hosts");
        return new HisClient(id, rs.getString("name"), Set.copyOf(facilities), rs.getString("push_url"),
                hosts == null ? Set.of() : Set.of(hosts.split(",")), rs.getInt("rate_per_minute"),
                rs.getString("created_by"), rs.getObject("created_at", LocalDateTime.class));
    }

    private static HisToken token(ResultSet rs, int row) throws SQLException {
        return new HisToken(rs.getLong("id"), rs.getLong("client_id"), rs.getString("hint"), rs.getString("created_by"),
                rs.getObject("created_at", LocalDateTime.class), rs.getString("revoked_by"),
                rs.getObject("revoked_at", LocalDateTime.class), rs.getObject("last_used_at", LocalDateTime.class));
    }
}
