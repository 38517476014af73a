package org.hotline.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import com.zaxxer.hikari.HikariDataSource;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Whether this node's database answers, asked every {@code hotline.db.watch.interval} over a connection of
 * the watcher's own (outside the pool, with a short connect and read timeout), so that the answer comes in
 * seconds even when every pooled connection is taken or waits out the pool's connection timeout.
 *
 * <p>While the database is away ({@code failures-to-down} failed probes in a row): the FastAGI and SIP
 * adapters refuse new calls (Asterisk's dialplan then tries the next node, sip-config/extensions.conf),
 * the voice menu hands callers to a person without touching the database, readiness reads
 * {@code REFUSING_TRAFFIC} and the {@code database} health component DOWN. When a probe succeeds again,
 * everything turns back and the listeners registered with {@link #onChange} run (e.g. the transfer
 * records kept in memory are written).
 */
@Component
public class DatabaseWatch implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DatabaseWatch.class);

    private final DataSource dataSource;
    private final DatabaseWatchProperties props;
    private final ApplicationEventPublisher events;
    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
    private final Object probeLock = new Object();
    private ScheduledExecutorService probes;
    private ExecutorService notifier;
    private Connection connection;
    private Boolean galera;
    private int failures;
    private volatile boolean reachable = true;
    private volatile boolean running;
    private volatile Instant since = Instant.now();
    private volatile Instant lastProbe;
    private volatile String lastError;
    private volatile long outages;

    @Autowired
    public DatabaseWatch(DataSource dataSource, ObjectProvider<DatabaseWatchProperties> props,
            ApplicationEventPublisher events, ObjectProvider<MeterRegistry> registry) {
        this(dataSource, props.getIfAvailable(DatabaseWatchProperties::defaults), events);
        registry.ifAvailable(r -> Gauge.builder("hotline.database.reachable", this, w -> w.reachable ? 1 : 0)
                .description("1 while this node's database liveness probe succeeds, 0 while the database is away")
                .register(r));
    }

    /** For tests that build one by hand. */
    public DatabaseWatch(DataSource dataSource, DatabaseWatchProperties props, ApplicationEventPublisher events) {
        this.dataSource = dataSource;
        this.props = props;
        this.events = events;
    }

    /** False while the database is away: take no new calls, touch no table on a call's path. */
    public boolean reachable() {
        return reachable;
    }

    /** Since when the current state holds. */
    public Instant since() {
        return since;
    }

    /** The last probe's failure (masked of nothing secret: driver messages name host and port only). */
    public String lastError() {
        return lastError;
    }

    public Instant lastProbe() {
        return lastProbe;
    }

    /** How many times the database went away since this node started. */
    public long outages() {
        return outages;
    }

    public DatabaseWatchProperties properties() {
        return props;
    }

    /** Runs on a thread of the watcher's (never the probe's) each time the state flips: true = back. */
    public void onChange(Consumer<Boolean> listener) {
        listeners.add(listener);
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        probes = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "db-watch"));
        notifier = Executors.newSingleThreadExecutor(r -> daemon(r, "db-watch-events"));
        long every = props.interval().toMillis();
        probes.scheduleWithFixedDelay(this::probeOnce, 0, every, TimeUnit.MILLISECONDS);
        running = true;
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        probes.shutdownNow();
        notifier.shutdownNow();
        try {
            probes.awaitTermination(props.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts before the call adapters and stops after them. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 1000;
    }

    /** One probe; public so that a test can drive the watcher without its timer. */
    public void probeOnce() {
        synchronized (probeLock) {
            probe();
        }
    }

    private void probe() {
        String error = null;
        boolean refused = false;
        try {
            check();
        } catch (SQLException | RuntimeException e) {
            error = e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
            // nothing listens on the database's port (mariadbd gone): no need to ask twice
            refused = e instanceof java.sql.SQLNonTransientConnectionException
                    && String.valueOf(e.getMessage()).contains("Connection refused");
            closeQuietly();
        }
        lastProbe = Instant.now();
        if (error == null) {
            failures = 0;
            lastError = null;
            if (!reachable) {
                flip(true, null);
            }
        } else {
            lastError = error;
            failures = refused ? Math.max(failures + 1, props.failuresToDown()) : failures + 1;
            if (failures >= props.failuresToDown() && reachable) {
                flip(false, error);
            }
        }
    }

    private void flip(boolean up, String error) {
        Duration was = Duration.between(since, Instant.now());
        reachable = up;
        since = Instant.now();
        if (up) {
            log.info("Database reachable again after {} s away: this node takes calls again", was.toSeconds());
        } else {
            outages++;
            log.warn("Database unreachable ({}): this node refuses new calls and hands callers in the menu to a "
                    + "person until it answers again", error);
        }
        if (events != null) {
            AvailabilityChangeEvent.publish(events, this,
                    up ? ReadinessState.ACCEPTING_TRAFFIC : ReadinessState.REFUSING_TRAFFIC);
        }
        ExecutorService n = notifier;
        for (Consumer<Boolean> l : listeners) {
            Runnable r = () -> {
                try {
                    l.accept(up);
                } catch (RuntimeException e) {
                    log.warn("A database state listener failed: {}", e.toString());
                }
            };
            if (n == null || n.isShutdown()) {
                r.run();
            } else {
                n.execute(r);
            }
        }
    }

    private void check() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = connect();
            galera = null;
        }
        int seconds = (int) Math.max(1, (props.timeout().toMillis() + 999) / 1000);
        try (Statement st = connection.createStatement()) {
            st.setQueryTimeout(seconds);
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                rs.next();
            }
            if (galera == null) {
                try (ResultSet rs = st.executeQuery("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")) {
                    galera = rs.next() && "ON".equalsIgnoreCase(rs.getString(2));
                }
            }
            if (!galera) {
                return;
            }
            // a Galera node cut off from the majority answers but refuses work: that is away too
            try (ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS LIKE 'wsrep_ready'")) {
                if (rs.next() && !"ON".equalsIgnoreCase(rs.getString(2))) {
                    throw new SQLException("Galera node not ready (wsrep_ready=" + rs.getString(2) + ")");
                }
            }
        }
    }

    /** A connection of the watcher's own, with the pool's URL and credentials and short timeouts. */
    private Connection connect() throws SQLException {
        HikariDataSource hikari = hikari(dataSource);
        if (hikari == null) {
            return dataSource.getConnection();
        }
        Properties p = new Properties();
        p.putAll(hikari.getDataSourceProperties());
        if (hikari.getUsername() != null) {
            p.setProperty("user", hikari.getUsername());
        }
        if (hikari.getPassword() != null) {
            p.setProperty("password", hikari.getPassword());
        }
        String ms = Long.toString(props.timeout().toMillis());
        p.setProperty("connectTimeout", ms);
        p.setProperty("socketTimeout", ms);
        return DriverManager.getConnection(hikari.getJdbcUrl(), p);
    }

    private static HikariDataSource hikari(DataSource ds) {
        if (ds instanceof HikariDataSource h) {
            return h;
        }
        try {
            return ds.isWrapperFor(HikariDataSource.class) ? ds.unwrap(HikariDataSource.class) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    private void closeQuietly() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException e) {
                // already broken
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
