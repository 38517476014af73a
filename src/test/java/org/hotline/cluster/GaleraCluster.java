package org.hotline.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A 3-node MariaDB Galera cluster on loopback, run by the scripts in {@code src/test/galera/} (Debian's
 * mariadb-server 10.11 + galera-4; {@code bin/test} installs them). Fails, never skips, when they are
 * missing. Ports are shifted by {@code offset} so a test and a benchmark can each have a cluster.
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

    /** A fresh cluster (any earlier one under the same base is purged first). */
    public static GaleraCluster start(int nodes, int offset) throws Exception {
        requirePackages();
        // /tmp: mariadbd runs as user mysql, which must reach the data dirs (not under /root or /work)
        Path base = Path.of("/tmp/hotline-galera-" + offset);
        GaleraCluster c = new GaleraCluster(nodes, offset, base);
        if (Files.exists(base.resolve("cluster.env"))) {
            c.script(120, "galera-down.sh", base.toString(), "--purge");
        }
        try {
            c.script(300, "galera-up.sh", base.toString(), Integer.toString(nodes));
        } catch (Exception e) {
            try {
                c.script(120, "galera-down.sh", base.toString(), "--purge"); // leave no node running
            } catch (Exception ignored) {
                e.addSuppressed(ignored);
            }
            throw e;
        }
        return c;
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

    @Override
    public void close() throws Exception {
        script(180, "galera-down.sh", base.toString(), "--purge");
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
