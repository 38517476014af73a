package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The first admin comes from configuration, only when no admin exists, and never from a password the
 * service makes up. Runs inside a transaction that is rolled back, so the shared database keeps its admin.
 */
@ConsoleTest
class BootstrapAdminTest {

    @Autowired ConsoleUsers users;
    @Autowired JdbcTemplate jdbc;
    @Autowired TransactionTemplate tx;
    @Autowired PasswordEncoder encoder;

    static AgentProperties props(String username, String password) {
        return new AgentProperties(new AgentProperties.BootstrapAdmin(username, password, null), Duration.ofHours(12),
                Duration.ofSeconds(3), 10, 3, null);
    }

    int users(String name) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM console_user WHERE username = ?", Integer.class, name);
    }

    @Test
    void theEmbeddedDemoStartsWithAnAdminFromConfiguration() {
        String hash = jdbc.queryForObject("SELECT password_hash FROM console_user WHERE username = 'admin'", String.class);
        assertThat(hash).startsWith("{bcrypt}");
        assertThat(encoder.matches("hotline-demo-admin", hash)).isTrue();
        assertThat(jdbc.queryForObject("SELECT role FROM console_user WHERE username = 'admin'", String.class))
                .isEqualTo("ADMIN");
    }

    @Test
    void withNoAdminAnAdminIsCreatedOnlyFromAConfiguredPassword() {
        tx.executeWithoutResult(status -> {
            status.setRollbackOnly();
            jdbc.update("UPDATE console_user SET enabled = FALSE WHERE role = 'ADMIN'");
            assertThat(users.anyAdmin()).isFalse();

            // no password configured (the production default): nothing is invented, the service still starts
            new BootstrapAdmin(users, props("root-admin", "")).run(null);
            new BootstrapAdmin(users, props("root-admin", null)).run(null);
            assertThat(users("root-admin")).isZero();

            // a weak one is refused at start-up rather than used
            assertThatThrownBy(() -> new BootstrapAdmin(users, props("root-admin", "short")).run(null))
                    .hasMessageContaining("PASSWORD_TOO_SHORT");

            new BootstrapAdmin(users, props("root-admin", "a-proper-secret-1")).run(null);
            assertThat(users("root-admin")).isOne();
            assertThat(users.anyAdmin()).isTrue();
            // once an admin exists, configuration changes nothing
            new BootstrapAdmin(users, props("second-admin", "another-secret-22")).run(null);
            assertThat(users("second-admin")).isZero();
        });
        assertThat(users("root-admin")).isZero();
        assertThat(users.anyAdmin()).isTrue();
    }
}
