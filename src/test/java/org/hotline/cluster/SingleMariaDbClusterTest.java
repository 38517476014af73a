package org.hotline.cluster;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Collections;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.hotline.db.EmbeddedMariaDb;

/** The cluster scenario on one MariaDB: three gateway processes sharing it, one killed mid-run. */
@org.junit.jupiter.api.Tag("cluster") // alone, after the rest (pom.xml: several processes and databases each)
class SingleMariaDbClusterTest extends ClusterScenario {

    static EmbeddedMariaDb server;

    @BeforeAll
    static void startServer() throws Exception {
        server = EmbeddedMariaDb.start(Path.of("target/test-db/cluster-" + UUID.randomUUID()),
                Path.of("target/mariadb-base"), 0, true); // scratch: its data dir goes with it
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + server.port() + "/", "root", "")) {
            c.createStatement().execute("CREATE DATABASE hotline CHARACTER SET utf8mb4");
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.stopAndCleanUp();
        }
    }

    @Test
    void threeGatewaysOnOneDatabaseNeverOversellThroughAGatewayDying() throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + server.port() + "/hotline";
        // the embedded server runs without grant tables: any password is taken, and production needs one
        run("single-mariadb", Collections.nCopies(3, url), "root", "any-password", url, null, Map.of());
    }
}
