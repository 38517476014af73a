package org.hotline.ops.monitoring;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.sql.DataSource;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

import org.hotline.db.DatabaseWatch;

/**
 * The database as the booking core sees it: a real query through the pool, and on Galera the node's
 * own view (a node cut off from the majority still answers a ping but refuses queries, so a ping alone
 * would say UP). DOWN when no connection comes within the pool's timeout, or the node is not a Synced
 * member of the Primary component.
 */
@Component("database")
public class DatabaseHealth extends AbstractHealthIndicator {

    private final DataSource dataSource;
    private final ObjectProvider<DatabaseWatch> watch;

    public DatabaseHealth(DataSource dataSource, ObjectProvider<DatabaseWatch> watch) {
        super("database check failed");
        this.dataSource = dataSource;
        this.watch = watch;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        DatabaseWatch w = watch.getIfAvailable();
        if (w != null && !w.reachable()) {
            // the watcher's own probe failed: say so at once instead of waiting out the pool's timeout
            builder.down().withDetail("reachable", false).withDetail("awaySince", w.since().toString())
                    .withDetail("error", String.valueOf(w.lastError()));
            return;
        }
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.setQueryTimeout(5);
            Map<String, Object> details = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT VERSION(), @@hostname, @@port, DATABASE()")) {
                rs.next();
                details.put("version", rs.getString(1));
                details.put("server", rs.getString(2) + ":" + rs.getInt(3));
                details.put("database", rs.getString(4));
            }
            boolean galera = false;
            try (ResultSet rs = st.executeQuery("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")) {
                galera = rs.next() && "ON".equalsIgnoreCase(rs.getString(2));
            }
            if (!galera) {
                builder.up().withDetails(details);
                return;
            }
            Map<String, String> wsrep = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("""
                    SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_cluster_status',
                      'wsrep_local_state_comment', 'wsrep_ready', 'wsrep_local_cert_failures', 'wsrep_local_bf_aborts')""")) {
                while (rs.next()) {
                    wsrep.put(rs.getString(1).toLowerCase(), rs.getString(2));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT @@wsrep_node_name")) {
                rs.next();
                details.put("galeraNode", rs.getString(1));
            }
            details.put("galeraClusterSize", wsrep.get("wsrep_cluster_size"));
            details.put("galeraClusterStatus", wsrep.get("wsrep_cluster_status"));
            details.put("galeraState", wsrep.get("wsrep_local_state_comment"));
            details.put("galeraCertFailures", wsrep.get("wsrep_local_cert_failures"));
            details.put("galeraBfAborts", wsrep.get("wsrep_local_bf_aborts"));
            boolean serving = "Primary".equals(wsrep.get("wsrep_cluster_status"))
                    && "ON".equalsIgnoreCase(wsrep.get("wsrep_ready"))
                    && "Synced".equals(wsrep.get("wsrep_local_state_comment"));
            (serving ? builder.up() : builder.down()).withDetails(details);
        }
    }
}
