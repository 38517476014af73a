package org.hotline.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One gateway in its own JVM ({@code java -cp <test class path> org.hotline.HotlineApplication}), the
 * production profile and nothing test-only in it, its output in a log file. Its HTTP and FastAGI ports are
 * picked free here and passed in ({@code HOTLINE_HTTP_PORT}, {@code HOTLINE_AGI_PORT}), so the test knows
 * where Asterisk's calls go. {@link #kill()} is {@code kill -9}: no shutdown hook, no clean-up.
 */
public final class GatewayProcess implements AutoCloseable {

    public final String name;
    public final int httpPort;
    /** Where Asterisk's FastAGI calls go: {@code agi://127.0.0.1:<agiPort>/hotline}. */
    public final int agiPort;
    public final Path log;
    private final Process process;

    private GatewayProcess(String name, int httpPort, int agiPort, Path log, Process process) {
        this.name = name;
        this.httpPort = httpPort;
        this.agiPort = agiPort;
        this.log = log;
        this.process = process;
    }

    /** Starts a gateway; {@code env} adds to (and overrides) the production settings. */
    public static GatewayProcess start(String name, Path logDir, String dbUrl, String dbUser, String dbPassword,
            Map<String, String> env) throws IOException {
        int port = freePort();
        int agiPort = freePort();
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", testClassPath(),
                "org.hotline.HotlineApplication"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> e = pb.environment();
        e.put("SPRING_PROFILES_ACTIVE", "production");
        e.put("HOTLINE_DB_URL", dbUrl);
        e.put("HOTLINE_DB_USER", dbUser);
        e.put("HOTLINE_DB_PASSWORD", dbPassword);
        e.put("HOTLINE_ID_HASH_KEY", "cluster-test-hash-key-of-enough-length");
        e.put("HOTLINE_HTTP_PORT", Integer.toString(port));
        e.put("SPRING_APPLICATION_NAME", name);
        e.putAll(env);
        // a free port picked here rather than 0, so Asterisk (the test) knows where to call; a clash with
        // another process in between fails the gateway's start-up (the listener refuses to start unbound)
        e.put("HOTLINE_AGI_PORT", Integer.toString(agiPort));
        return new GatewayProcess(name, port, agiPort, log, pb.start());
    }

    /** The class path of this test JVM (surefire passes it in a property; its own class path is a booter jar). */
    static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return cp;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    /** Waits until /actuator/health answers (any status) or the process dies. */
    public void awaitStarted(HttpClient http, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log: " + tail());
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
