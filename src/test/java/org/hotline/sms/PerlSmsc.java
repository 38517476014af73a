package org.hotline.sms;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The test SMSC ({@code src/test/smsc/smsc.pl}, Debian's Net::SMPP) as a process: start, kill (the
 * listener and every connection), restart on the same port, change its behaviour through its control
 * file, inject replies, read what it received from its JSONL log. Fails, never skips, when Perl or
 * Net::SMPP is missing (bin/test installs libnet-smpp-perl).
 */
public final class PerlSmsc implements AutoCloseable {

    static final Path SCRIPT = Path.of("src/test/smsc/smsc.pl");
    static final JsonMapper JSON = JsonMapper.builder().build();

    /** One submit_sm as the SMSC logged it. */
    public record Submit(String destination, String status, String messageId, int dataCoding, int esmClass,
            String text, Integer ref, Integer total, Integer seq, int smLength, double ts) {
        boolean accepted() {
            return "ESME_ROK".equals(status);
        }
    }

    private final Path dir;
    private final Map<String, String> env;
    private Process process;
    private int port;

    private PerlSmsc(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = env;
    }

    public static PerlSmsc start(Map<String, String> extraEnv) {
        requireNetSmpp();
        try {
            Path dir = Path.of("target/perl-smsc/" + UUID.randomUUID()).toAbsolutePath();
            Files.createDirectories(dir.resolve("mo"));
            Map<String, String> env = new LinkedHashMap<>(extraEnv);
            PerlSmsc s = new PerlSmsc(dir, env);
            s.control(Map.of());
            s.launch(0);
            return s;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void requireNetSmpp() {
        try {
            Process p = new ProcessBuilder("perl", "-MNet::SMPP", "-e1").redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("Perl Net::SMPP is missing: install libnet-smpp-perl (bin/test does)");
            }
        } catch (IOException e) {
            throw new AssertionError("perl is missing: install perl and libnet-smpp-perl (bin/test does)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void launch(int wantedPort) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("perl", SCRIPT.toAbsolutePath().toString());
        pb.environment().put("SMSC_LOG", log().toString());
        pb.environment().put("SMSC_MO_DIR", dir.resolve("mo").toString());
        pb.environment().put("SMSC_CONTROL", dir.resolve("control.json").toString());
        pb.environment().put("SMSC_DLR_SPOOL", dir.resolve("dlr").toString());
        // receipts carry the SMSC's local submit date; a carrier's SMSC here runs on Beijing time
        pb.environment().put("TZ", "Asia/Shanghai");
        pb.environment().putAll(env); // SMSC_LOG="" turns the log off (benchmarks)
        pb.environment().put("SMSC_PORT", Integer.toString(wantedPort));
        pb.redirectError(dir.resolve("stderr.txt").toFile());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            process = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line != null && line.startsWith("READY port=")) {
                port = Integer.parseInt(line.substring("READY port=".length()).trim());
                return;
            }
            process.destroyForcibly();
            if (System.nanoTime() > end) {
                throw new IllegalStateException("test SMSC did not start: " + Files.readString(
                        dir.resolve("stderr.txt")));
            }
            sleep(200); // the port may still be held by the killed one's connections
        }
    }

    public int port() {
        return port;
    }

    Path log() {
        return dir.resolve("smsc.jsonl");
    }

    /** Kills the listener and every connection process at once, as a crash would. */
    public void kill() {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
    }

    /** A new SMSC process on the same port. */
    public void restart() {
        try {
            launch(port);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces the control file (atomically): the SMSC reads it within 100 ms. */
    public void control(Map<String, Object> settings) {
        try {
            Path tmp = dir.resolve("control.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(settings));
            Files.move(tmp, dir.resolve("control.json"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            sleep(250); // every connection process looks at it at most 100 ms later
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A reply from a phone (deliver_sm, UCS2). */
    public void mo(String from, String text) {
        try {
            String name = UUID.randomUUID().toString();
            Path tmp = dir.resolve("mo/" + name + ".tmp");
            Files.writeString(tmp, JSON.writeValueAsString(Map.of("from", from, "to", "12320", "text", text)));
            Files.move(tmp, dir.resolve("mo/" + name + ".json"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<JsonNode> events(String event) {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(log())) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(log(), StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                if (event.equals(n.path("event").asString())) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            // a line being appended right now: read again next time
        }
        return out;
    }

    public List<Submit> submits() {
        return events("submit_sm").stream().map(n -> new Submit(n.path("destination_addr").asString(),
                n.path("status").asString(), n.path("message_id").isNull() ? null : n.path("message_id").asString(),
                n.path("data_coding").asInt(), n.path("esm_class").asInt(), n.path("text").asString(null),
                n.has("concat_ref") ? n.path("concat_ref").asInt() : null,
                n.has("concat_total") ? n.path("concat_total").asInt() : null,
                n.has("concat_seq") ? n.path("concat_seq").asInt() : null, n.path("sm_length").asInt(),
                n.path("ts").asDouble())).toList();
    }

    public List<Submit> submitsTo(String destination) {
        return submits().stream().filter(s -> s.destination().equals(destination)).toList();
    }

    /** The accepted texts sent to a number, long ones reassembled from their parts (by ref, in seq order). */
    public List<String> textsTo(String destination) {
        return texts(submitsTo(destination));
    }

    /** Accepted texts, long ones reassembled, from submits read once (key: destination). */
    public Map<String, List<String>> textsByDestination() {
        Map<String, List<Submit>> byDest = new LinkedHashMap<>();
        for (Submit s : submits()) {
            byDest.computeIfAbsent(s.destination(), k -> new ArrayList<>()).add(s);
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        byDest.forEach((d, list) -> out.put(d, texts(list)));
        return out;
    }

    static List<String> texts(List<Submit> submits) {
        List<String> out = new ArrayList<>();
        Map<Integer, String[]> partial = new LinkedHashMap<>();
        for (Submit s : submits) {
            if (!s.accepted()) {
                continue;
            }
            if (s.total() == null) {
                out.add(s.text());
                continue;
            }
            String[] parts = partial.computeIfAbsent(s.ref(), k -> new String[s.total()]);
            parts[s.seq() - 1] = s.text();
            if (java.util.Arrays.stream(parts).allMatch(java.util.Objects::nonNull)) {
                out.add(String.join("", parts));
                partial.remove(s.ref());
            }
        }
        return out;
    }

    @Override
    public void close() {
        kill();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
