package org.hotline.agent;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Catalogue;
import org.hotline.booking.FacilityKind;

/** Console users in table {@code console_user}; passwords stored only as a delegating (bcrypt) hash. */
@Component
public class ConsoleUsers {

    private static final String USERNAME = "[A-Za-z0-9._-]{3,64}";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final PasswordEncoder encoder;
    private final Catalogue catalogue;
    private final AuditTrail audit;
    private final Clock clock;
    private final AgentProperties props;

    public ConsoleUsers(JdbcTemplate jdbc, TransactionTemplate tx, PasswordEncoder encoder, Catalogue catalogue,
            AuditTrail audit, Clock clock, AgentProperties props) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.encoder = encoder;
        this.catalogue = catalogue;
        this.audit = audit;
        this.clock = clock;
        this.props = props;
    }

    /**
     * A user with the hash, for login only. {@code version} is the credential version at login: disabling the
     * user or setting its password raises it, which ends every session made before ({@link #sessionValid}).
     */
    public record Credentials(ConsoleUser user, String passwordHash, int version) {
    }

    public Optional<Credentials> credentials(String username) {
        return jdbc.query(SELECT + " WHERE u.username = ?", (rs, i) -> new Credentials(user(rs, i),
                rs.getString("password_hash"), rs.getInt("credential_version")), username).stream().findFirst();
    }

    /** Whether a session made at this credential version may go on: the user is enabled and kept its password. */
    public boolean sessionValid(String username, int version) {
        return jdbc.query("SELECT enabled, credential_version FROM console_user WHERE username = ?",
                (rs, i) -> rs.getBoolean(1) && rs.getInt(2) == version, username).stream().findFirst().orElse(false);
    }

    public Optional<ConsoleUser> find(String username) {
        return jdbc.query(SELECT + " WHERE u.username = ?", ConsoleUsers::user, username).stream().findFirst();
    }

    public List<ConsoleUser> all() {
        return jdbc.query(SELECT + " ORDER BY u.role, u.username", ConsoleUsers::user);
    }

    public boolean anyAdmin() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM console_user WHERE role = 'ADMIN' AND enabled", Integer.class) > 0;
    }

    /** Creates a user, or says why not. {@code by} is null for the bootstrap admin (created by the system). */
    public Optional<UserProblem> create(Actor by, String username, String rawPassword, String displayName,
            ConsoleRole role, Long facilityId) {
        if (username == null || !username.matches(USERNAME)) {
            return Optional.of(UserProblem.USERNAME_INVALID);
        }
        Optional<UserProblem> weak = PasswordRule.check(username, rawPassword, props.minPasswordLength());
        if (weak.isPresent()) {
            return weak;
        }
        if (displayName != null && displayName.strip().length() > 64) {
            return Optional.of(UserProblem.DISPLAY_NAME_TOO_LONG);
        }
        if (role == ConsoleRole.COMMUNITY_DOCTOR) {
            boolean centre = facilityId != null && catalogue.facility(facilityId)
                    .map(f -> f.kind() == FacilityKind.COMMUNITY_CENTRE).orElse(false);
            if (!centre) {
                return Optional.of(UserProblem.DOCTOR_NEEDS_CENTRE);
            }
        } else if (role == ConsoleRole.HOSPITAL_ADMIN) {
            if (facilityId == null || catalogue.facility(facilityId).isEmpty()) {
                return Optional.of(UserProblem.HOSPITAL_ADMIN_NEEDS_FACILITY);
            }
        } else if (role == ConsoleRole.FRONT_DESK) {
            boolean seesPatients = facilityId != null && catalogue.facility(facilityId)
                    .map(f -> f.kind() != FacilityKind.COMMUNITY_CENTRE).orElse(false);
            if (!seesPatients) {
                return Optional.of(UserProblem.DESK_NEEDS_FACILITY);
            }
        } else if (facilityId != null) {
            return Optional.of(UserProblem.ONLY_DOCTORS_HAVE_CENTRE);
        }
        String name = displayName == null || displayName.isBlank() ? username : displayName.trim();
        String creator = by == null ? "system" : by.username();
        try {
            tx.executeWithoutResult(s -> {
                jdbc.update("""
                        INSERT INTO console_user (username, password_hash, display_name, role, facility_id, enabled,
                          created_at, created_by) VALUES (?, ?, ?, ?, ?, TRUE, ?, ?)""", username,
                        encoder.encode(rawPassword), name, role.name(), facilityId, LocalDateTime.now(clock), creator);
                audit.record(by == null ? new Actor("system", ConsoleRole.ADMIN, null) : by,
                        AuditTrail.Entry.of("USER_CREATE", "OK").detail("用户 " + username + "（" + role.label() + "）"));
            });
        } catch (DuplicateKeyException e) {
            return Optional.of(UserProblem.USERNAME_TAKEN);
        }
        return Optional.empty();
    }

    /** Sets a new password; every session the user had ends (on every node) at its next request. */
    public Optional<UserProblem> setPassword(Actor by, String username, String rawPassword) {
        Optional<UserProblem> weak = PasswordRule.check(username, rawPassword, props.minPasswordLength());
        if (weak.isPresent()) {
            return weak;
        }
        return Boolean.TRUE.equals(tx.execute(s -> {
            int n = jdbc.update("""
                    UPDATE console_user SET password_hash = ?, credential_version = credential_version + 1
                    WHERE username = ?""", encoder.encode(rawPassword), username);
            if (n == 1) {
                audit.record(by, AuditTrail.Entry.of("USER_PASSWORD", "OK").detail("用户 " + username));
            }
            return n == 1;
        })) ? Optional.empty() : Optional.of(UserProblem.NOT_FOUND);
    }

    /** Disabling a user ends every session it had (on every node) at its next request. */
    public Optional<UserProblem> setEnabled(Actor by, String username, boolean enabled) {
        return tx.execute(s -> {
            Optional<ConsoleUser> u = jdbc.query(SELECT + " WHERE u.username = ? FOR UPDATE", ConsoleUsers::user,
                    username).stream().findFirst();
            if (u.isEmpty()) {
                return Optional.of(UserProblem.NOT_FOUND);
            }
            if (!enabled && u.get().enabled() && u.get().role() == ConsoleRole.ADMIN && jdbc.queryForObject(
                    "SELECT COUNT(*) FROM console_user WHERE role = 'ADMIN' AND enabled FOR UPDATE", Integer.class) <= 1) {
                return Optional.of(UserProblem.LAST_ADMIN);
            }
            jdbc.update("""
                    UPDATE console_user SET enabled = ?,
                      credential_version = credential_version + CASE WHEN ? THEN 0 ELSE 1 END
                    WHERE username = ?""", enabled, enabled, username);
            audit.record(by, AuditTrail.Entry.of(enabled ? "USER_ENABLE" : "USER_DISABLE", "OK")
                    .detail("用户 " + username));
            return Optional.<UserProblem>empty();
        });
    }

    private static final String SELECT = """
            SELECT u.*, f.name AS facility_name FROM console_user u LEFT JOIN facility f ON f.id = u.facility_id""";

    static ConsoleUser user(ResultSet rs, int row) throws SQLException {
        return new ConsoleUser(rs.getLong("id"), rs.getString("username"), rs.getString("display_name"),
                ConsoleRole.valueOf(rs.getString("role")), rs.getObject("facility_id", Long.class),
                rs.getString("facility_name"), rs.getBoolean("enabled"),
                rs.getObject("created_at", LocalDateTime.class), rs.getString("created_by"));
    }
}
