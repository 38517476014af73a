package org.hotline.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;

/**
 * The production profile uses a MariaDB it is given (here a separately started one), migrates it, loads no demo
 * data; with settings missing or unfit it names them all and stops before it tries a database.
 */
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
        return start(hashKey, "jdbc:mariadb://127.0.0.1:" + server.port() + "/hotline_prod");
    }

    /** Every production setting given (the embedded server takes any password), the hash key and URL as asked. */
    ConfigurableApplicationContext start(String hashKey, String dbUrl) {
        Map<String, Object> props = new HashMap<>();
        props.put("HOTLINE_DB_URL", dbUrl);
        props.put("HOTLINE_DB_USER", "root");
        props.put("HOTLINE_DB_PASSWORD", "a-database-password");
        props.put("HOTLINE_ID_HASH_KEY", hashKey);
        props.put("HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD", "Kw7-tulip-harbour-42");
        props.putAll(AGI);
        return startWith(props);
    }

    /** Where Asterisk reaches this node and who may connect: required in production while FastAGI is on. */
    static final Map<String, Object> AGI = Map.of("HOTLINE_AGI_BIND_ADDRESS", "127.0.0.1",
            "HOTLINE_AGI_ALLOWED_PEERS", "127.0.0.1");

    static ConfigurableApplicationContext startWith(Map<String, Object> settings) {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setAdditionalProfiles("production");
        Map<String, Object> props = new HashMap<>(settings);
        props.put("logging.level.root", "WARN");
        props.put("hotline.sip.port", "0"); // a free SIP port: other test JVMs share this machine
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
            // the bootstrap admin password is a required production setting: its admin, and no one else
            assertThat(jdbc.queryForList("SELECT username FROM console_user", String.class)).containsExactly("admin");
            // no check-in feed is connected out of the box: nobody may be marked a no-show (and blocked)
            assertThat(ctx.getBean(org.hotline.release.ReleaseProperties.class).noShow().enabled()).isFalse();
        }
    }

    @Test
    void refusesToStartWithoutTheFastAgiAddressAndPeersInsteadOfListeningOnEveryAddress() throws Exception {
        try (Database db = new Database()) {
            Map<String, Object> all = new HashMap<>();
            all.put("HOTLINE_DB_URL", db.url());
            all.put("HOTLINE_DB_USER", "root");
            all.put("HOTLINE_DB_PASSWORD", "a-database-password");
            all.put("HOTLINE_ID_HASH_KEY", "a-production-secret-of-enough-length");
            all.put("HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD", "Kw7-tulip-harbour-42");
            assertThatThrownBy(() -> startWith(all)).hasMessageContaining("2 settings need attention")
                    .hasMessageContainingAll("HOTLINE_AGI_BIND_ADDRESS", "HOTLINE_AGI_ALLOWED_PEERS");
            all.put("HOTLINE_AGI_BIND_ADDRESS", "10.20.0.11");
            assertThatThrownBy(() -> startWith(all)).hasMessageContaining("1 setting needs attention")
                    .hasMessageContaining("HOTLINE_AGI_ALLOWED_PEERS");
            assertThat(db.connections()).as("connections to the database").isZero();
            // a node that takes no FastAGI calls needs neither
            all.remove("HOTLINE_AGI_BIND_ADDRESS");
            all.put("hotline.agi.enabled", "false");
            assertThat(ProductionSettings.problems(k -> k.startsWith("hotline.agi.") ? (String) all.get(k)
                    : "a-production-secret-of-enough-length"))
                    .isEmpty();
        }
    }

    @Test
    void refusesToStartWithoutAnIdHashKey() {
        assertThatThrownBy(() -> start("")).hasStackTraceContaining("hotline.booking.id-hash-key must be set");
    }

    @Test
    void withNothingSetEveryMissingSettingIsNamedInOneMessage() {
        assertThatThrownBy(() -> startWith(Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no database was tried").hasMessageContaining("7 settings need attention")
                .hasMessageContainingAll("HOTLINE_DB_URL", "HOTLINE_DB_USER", "HOTLINE_DB_PASSWORD",
                        "HOTLINE_ID_HASH_KEY", "HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD", "HOTLINE_AGI_BIND_ADDRESS",
                        "HOTLINE_AGI_ALLOWED_PEERS");
    }

    @Test
    void missingSettingsStopTheStartBeforeTheDatabaseIsTried() throws Exception {
        try (Database db = new Database()) {
            assertThatThrownBy(() -> startWith(Map.of("HOTLINE_DB_URL", db.url(), "HOTLINE_AGI_BIND_ADDRESS",
                    "127.0.0.1", "HOTLINE_AGI_ALLOWED_PEERS", "127.0.0.1")))
                    .hasMessageContaining("4 settings need attention")
                    .hasMessageContainingAll("HOTLINE_DB_USER", "HOTLINE_DB_PASSWORD", "HOTLINE_ID_HASH_KEY",
                            "HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD")
                    .message().doesNotContain("HOTLINE_DB_URL");
            assertThat(db.connections()).as("connections to the database").isZero();
        }
    }

    @Test
    void refusesTheDemoHashKeyAShortOneAndARepetitiveOneBeforeTheDatabaseIsTried() throws Exception {
        try (Database db = new Database()) {
            assertThatThrownBy(() -> start(ProductionSettings.DEMO_HASH_KEY, db.url()))
                    .hasMessageContaining("1 setting needs attention").hasMessageContaining("embedded demo key");
            assertThatThrownBy(() -> start("0123456789abcdefghij-20", db.url()))
                    .hasMessageContaining("HOTLINE_ID_HASH_KEY").hasMessageContaining("too short");
            assertThatThrownBy(() -> start("ab".repeat(20), db.url()))
                    .hasMessageContaining("HOTLINE_ID_HASH_KEY").hasMessageContaining("too repetitive");
            assertThat(db.connections()).as("connections to the database").isZero();
        }
    }

    @Test
    void refusesTheDemoAdminPassword() {
        Map<String, Object> props = new HashMap<>();
        props.put("HOTLINE_DB_URL", "jdbc:mariadb://127.0.0.1:" + server.port() + "/hotline_prod");
        props.put("HOTLINE_DB_USER", "root");
        props.put("HOTLINE_DB_PASSWORD", "a-database-password");
        props.put("HOTLINE_ID_HASH_KEY", "a-production-secret-of-enough-length");
        props.put("HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD", ProductionSettings.DEMO_ADMIN_PASSWORD);
        assertThatThrownBy(() -> startWith(props)).hasMessageContaining("HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD")
                .hasMessageContaining("demo password");
    }

    /** A port that counts who connects to it (a database the service must not try). */
    static final class Database implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger accepted = new AtomicInteger();

        Database() throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "counting-database");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String url() {
            return "jdbc:mariadb://127.0.0.1:" + socket.getLocalPort() + "/hotline_prod";
        }

        int connections() {
            return accepted.get();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
