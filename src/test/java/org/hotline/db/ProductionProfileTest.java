package org.hotline.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;

/** The production profile uses a MariaDB it is given (here a separately started one), migrates it, loads no demo data. */
class ProductionProfileTest {

    static EmbeddedMariaDb server;

    @BeforeAll
    static void startServer() throws Exception {
        server = EmbeddedMariaDb.start(Path.of("target/test-db/prod-" + UUID.randomUUID()),
                Path.of("target/mariadb-base"), 0, true);
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + server.port() + "/", "root", "")) {
            c.createStatement().execute("CREATE DATABASE hotline_prod CHARACTER SET utf8mb4");
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.stopAndCleanUp();
    }

    ConfigurableApplicationContext start(String hashKey) {
        return start(hashKey, Map.of("HOTLINE_AGI_BIND_ADDRESS", "127.0.0.1", "HOTLINE_AGI_ALLOWED_PEERS", "127.0.0.1"));
    }

    ConfigurableApplicationContext start(String hashKey, Map<String, Object> more) {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setAdditionalProfiles("production");
        Map<String, Object> props = new HashMap<>();
        props.put("HOTLINE_DB_URL", "jdbc:mariadb://127.0.0.1:" + server.port() + "/hotline_prod");
        props.put("HOTLINE_DB_USER", "root");
        props.put("HOTLINE_ID_HASH_KEY", hashKey);
        props.put("logging.level.root", "WARN");
        props.put("hotline.sip.port", "0"); // a free SIP port: other test JVMs share this machine
        props.putAll(more);
        app.setDefaultProperties(props);
        return app.run();
    }

    @Test
    void migratesTheGivenDatabaseAndLoadsNoDemoData() {
        try (ConfigurableApplicationContext ctx = start("a-production-secret-of-enough-length")) {
            assertThat(ctx.getBeansOfType(EmbeddedMariaDb.class)).isEmpty();
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            assertThat(jdbc.queryForObject("SELECT DATABASE()", String.class)).isEqualTo("hotline_prod");
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM facility", Integer.class)).isZero();
            // no bootstrap admin password given: no console user is invented
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM console_user", Integer.class)).isZero();
            // no check-in feed is connected out of the box: nobody may be marked a no-show (and blocked)
            assertThat(ctx.getBean(org.hotline.release.ReleaseProperties.class).noShow().enabled()).isFalse();
        }
    }

    @Test
    void refusesToStartWithoutTheFastAgiAddressAndPeersInsteadOfListeningOnEveryAddress() {
        assertThatThrownBy(() -> start("a-production-secret-of-enough-length",
                Map.of("HOTLINE_AGI_ALLOWED_PEERS", "10.20.0.5")))
                .hasStackTraceContaining("HOTLINE_AGI_BIND_ADDRESS");
        assertThatThrownBy(() -> start("a-production-secret-of-enough-length",
                Map.of("HOTLINE_AGI_BIND_ADDRESS", "127.0.0.1")))
                .hasStackTraceContaining("HOTLINE_AGI_ALLOWED_PEERS");
    }

    @Test
    void refusesToStartWithoutAnIdHashKey() {
        assertThatThrownBy(() -> start("")).hasStackTraceContaining("hotline.booking.id-hash-key must be set");
    }
}
