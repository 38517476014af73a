package org.hotline.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A 3-node MariaDB Galera cluster on loopback, run by the scripts in {@code src/test/galera/} (Debian's
 * mariadb-server 10.11 + galera-4; {@code bin/test} installs them). Fails, never skips, when they are
 * missing. Each cluster has a data directory of its own ({@code mktemp -d /tmp/hotline-galera-XXXX}: mariadbd runs
 * as user mysql, which must reach it, so not under /root or /work) and its ports shifted by an offset whose
 * ports are all free, so several suites and benchmarks on one machine never meet. {@link #close()} stops
 * every node and removes the directory; a shutdown hook does it too if the JVM ends first.
 */
public final class GaleraCluster implements AutoCloseable {

    static final Path SCRIPTS = Path.of("src/test/galera");
    public static final String USER = "hotline";
    public static final String PASSWORD = "hotline";

    public final int nodes;
    private final int offset;
    private final Path base;

    private GaleraCluster(int nodes, int offset, Path base) {
        this.nodes = nodes;
        this.offset = offset;
        this.base = base;
    }

    private final Thread cleanUp = new Thread(this::purgeQuietly, "galera-clean-up");
    private volatile boolean closed;

    /** A fresh cluster in a directory of its own, on ports no one else uses. */
    public static GaleraCluster start(int nodes) throws Exception {
        requirePackages();
        Exception last = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            int offset = freeOffset(nodes);
            Path base = Files.createTempDirectory(Path.of("/tmp"), "hotline-galera-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            GaleraCluster c = new GaleraCluster(nodes, offset, base);
            Runtime.getRuntime().addShutdownHook(c.cleanUp);
            try {
                c.script(300, "galera-up.sh", base.toString(), Integer.toString(nodes));
                return c;
            } catch (Exception e) {
                c.close(); // leave no node running, no directory behind
                if (!String.valueOf(e.getMessage()).contains("is in use by another process")) {
                    throw e;
                }
                last = e; // a port was taken between our check and the start: another offset
            }
        }
        throw last;
    }

    /** An offset (1000..19999) at which every port of every node is free now (see galera-lib.sh's port plan). */
    static int freeOffset(int nodes) {
        java.util.Random rnd = new java.util.Random();
        for (int tries = 0; tries < 200; tries++) {
            int offset = 1000 + rnd.nextInt(19_000);
            boolean free = true;
            for (int i = 1; i <= nodes && free; i++) {
                for (int port : new int[] {3306 + offset + i, 4567 + offset + 10 * (i - 1),
                    4568 + offset + 10 * (i - 1), 4444 + offset + 10 * (i - 1)}) {
                    free &= portFree(port);
                }
            }
            if (free) {
                return offset;
            }
        }
        throw new IllegalStateException("no free port range for a Galera cluster");
    }

    private static boolean portFree(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void requirePackages() {
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(Path.of("/usr/sbin/mariadbd"))) {
            missing.add("mariadb-server (/usr/sbin/mariadbd)");
        }
        if (!Files.exists(Path.of("/usr/lib/galera/libgalera_smm.so"))) {
            missing.add("galera-4 (/usr/lib/galera/libgalera_smm.so)");
        }
        if (!Files.isExecutable(Path.of("/usr/bin/rsync"))) {
            missing.add("rsync");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Galera test peers missing: " + missing
                    + ". Run bin/test (it installs them) or apt-get install -y mariadb-server galera-4 mariadb-client");
        }
    }

    public int port(int node) {
        return 3306 + offset + node;
    }

    public String url(int node) {
        return "jdbc:mariadb://127.0.0.1:" + port(node) + "/hotline";
    }

    /** A sequential multi-host URL starting at {@code first} and going round: every gateway writes to its first live node. */
    public String sequentialUrl(int first) {
        return "jdbc:mariadb:sequential://" + IntStream.range(0, nodes).map(i -> (first - 1 + i) % nodes + 1)
                .mapToObj(n -> "127.0.0.1:" + port(n)).collect(Collectors.joining(",")) + "/hotline";
    }

    /** kill -9 of one node's mariadbd. */
    public void kill(int node) throws Exception {
        script(60, "galera-kill.sh", Integer.toString(node), base.toString());
    }

    /** Restarts a killed node and waits until it is Synced (IST). */
    public void rejoin(int node) throws Exception {
        script(240, "galera-rejoin.sh", Integer.toString(node), base.toString());
    }

    /** Rejoins every node that is not running (after a test that killed one). */
    public void rejoinDead() throws Exception {
        for (int n = 1; n <= nodes; n++) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port(n))) {
                // listening
            } catch (IOException dead) {
                rejoin(n);
            }
        }
    }

    /** Where the nodes' data and logs are (removed by {@link #close()}). */
    public Path base() {
        return base;
    }

    /** Stops every node (a killed one is already gone) and removes the data directory. */
    @Override
    public void close() throws Exception {
        if (closed) {
            return;
        }
        try {
            if (Files.exists(base.resolve("cluster.env"))) {
                script(180, "galera-down.sh", base.toString(), "--purge");
            }
        } finally {
            closed = true;
            deleteTree(base); // galera-up.sh may have failed before writing cluster.env
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUp);
            } catch (IllegalStateException shuttingDown) {
                // we are the hook
            }
        }
    }

    private void purgeQuietly() {
        try {
            close();
        } catch (Exception e) {
            System.err.println("Galera clean-up of " + base + " failed: " + e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void script(int timeoutSeconds, String name, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("bash");
        cmd.add(SCRIPTS.resolve(name).toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("galera-" + name, ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("GALERA_PORT_OFFSET", Integer.toString(offset));
        pb.environment().put("GALERA_PARALLEL_JOIN", "1");
        Process p = pb.start();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        String log = read(out);
        Files.deleteIfExists(out);
        if (!done) {
            p.destroyForcibly();
            throw new IllegalStateException(name + " timed out after " + timeoutSeconds + " s:\n" + log);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(name + " failed (" + p.exitValue() + "):\n" + log);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
