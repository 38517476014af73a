package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs SIPp (Debian {@code sip-tester}) with a scenario from {@code src/test/resources/sipp/} against a
 * local port. A test that needs it fails, never skips, when it is not installed ({@code bin/test}
 * installs it).
 */
final class Sipp {

    /** What a finished run left: its exit code (0 = every call succeeded) and its logs. */
    record Run(int exitCode, String output, Path dir) {
        boolean succeeded() {
            return exitCode == 0;
        }

        /** Everything SIPp wrote (stdout, error and message logs), for a failing assertion's message. */
        String logs() {
            StringBuilder s = new StringBuilder(output);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                    s.append("\n--- ").append(f.getFileName()).append('\n');
                    String text = Files.readString(f, StandardCharsets.ISO_8859_1);
                    s.append(text.length() > 12000 ? text.substring(text.length() - 12000) : text);
                }
            } catch (IOException e) {
                s.append("\n(logs unreadable: ").append(e).append(')');
            }
            return s.toString();
        }
    }

    private final Path dir;
    private final String scenario;
    private final int target;
    private final List<String> args = new ArrayList<>();
    /** SIPp's own SIP port (where a UAS scenario answers the gateway's INVITEs). */
    private final int sipPort = freeUdpPort();
    private Process process;

    private Sipp(Path dir, String scenario, int target) {
        this.dir = dir;
        this.scenario = scenario;
        this.target = target;
    }

    static Sipp scenario(Path workDir, String scenario, int targetPort) {
        assertThat(Path.of("/usr/bin/sipp")).as("sipp missing: install Debian package sip-tester (bin/test does)")
                .isExecutable();
        try {
            Path dir = Files.createTempDirectory(workDir, scenario.replace(".xml", "") + "-");
            return new Sipp(dir, scenario, targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One CSV line per call (SEQUENTIAL); fields separated by ';'. */
    Sipp calls(String... lines) {
        try {
            Files.writeString(dir.resolve("calls.csv"), "SEQUENTIAL\n" + String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        args.add("-inf");
        args.add(dir.resolve("calls.csv").toString());
        return this;
    }

    /** A file the scenario reads from its working directory (a pcap for play_pcap_audio). */
    Sipp file(String name, byte[] content) {
        try {
            Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /**
     * A caller's "speech" for play_pcap_audio: {@code length} of a 440 Hz tone at a speaking level, G.711 u-law (PT 0)
     * in 20 ms RTP packets, as a pcap of Ethernet/IPv4/UDP frames from port 49176 to 10000 (the layout of the
     * dtmf_2833_*.pcap files sip-tester ships: SIPp sends each UDP payload from its media port to the remote one,
     * paced by the capture's timestamps).
     */
    static byte[] speechPcap(Duration length) {
        int packets = (int) (length.toMillis() / 20);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24 + packets * (16 + 14 + 20 + 8 + 12 + 160))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        short[] pcm = new short[160];
        for (int i = 0; i < packets; i++) {
            long usec = i * 20_000L;
            int frame = 14 + 20 + 8 + 12 + 160;
            b.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) (1_700_000_000L + usec / 1_000_000))
                    .putInt((int) (usec % 1_000_000)).putInt(frame).putInt(frame);
            b.order(java.nio.ByteOrder.BIG_ENDIAN);
            b.put(new byte[] {0, 0x50, (byte) 0xbf, (byte) 0x99, 3, 0x36, 0, 0x0d, (byte) 0x87, 0x14, (byte) 0xac, 0x24})
                    .putShort((short) 0x0800);
            b.put((byte) 0x45).put((byte) 0).putShort((short) (frame - 14)).putShort((short) i).putShort((short) 0)
                    .put((byte) 64).put((byte) 17).putShort((short) 0).put(new byte[] {(byte) 192, (byte) 168, 0, 3})
                    .put(new byte[] {(byte) 192, (byte) 168, 0, 1});
            b.putShort((short) 49176).putShort((short) 10000).putShort((short) (8 + 12 + 160)).putShort((short) 0);
            b.put((byte) 0x80).put((byte) (i == 0 ? 0x80 : 0)).putShort((short) i).putInt(i * 160).putInt(0x1234abcd);
            for (int k = 0; k < 160; k++) {
                pcm[k] = (short) (Math.sin(2 * Math.PI * 440 * (i * 160 + k) / 8000.0) * 6000);
            }
            b.put(G711.PCMU.encode(pcm));
        }
        return b.array();
    }

    /** The port SIPp listens on for SIP: a UAS scenario's address for the gateway to call. */
    int sipPort() {
        return sipPort;
    }

    Sipp args(String... more) {
        args.addAll(List.of(more));
        return this;
    }

    Sipp start() {
        try (InputStream in = Sipp.class.getResourceAsStream("/sipp/" + scenario)) {
            if (in == null) {
                throw new IllegalArgumentException("no scenario " + scenario);
            }
            Files.copy(in, dir.resolve(scenario));
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/sipp", "-sf", dir.resolve(scenario).toString(),
                    "127.0.0.1:" + target, "-i", "127.0.0.1", "-p", Integer.toString(sipPort), "-mi",
                    "127.0.0.1", "-mp", Integer.toString(freeMediaPort()), "-nostdin", "-trace_err",
                    "-trace_logs", "-timeout_error", "-max_recv_loops", "100"));
            if (!args.contains("-m")) {
                cmd.addAll(List.of("-m", "1"));
            }
            cmd.addAll(args);
            process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.txt").toFile()).start();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits (up to 10 s) until SIPp holds its SIP port: a UAS scenario ready for the gateway's INVITE. Read from
     * /proc/net/udp (binding a probe socket would race SIPp for the port).
     */
    Sipp listening() {
        String local = String.format(":%04X ", sipPort);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                if (Files.readAllLines(Path.of("/proc/net/udp")).stream()
                        .anyMatch(l -> l.trim().split("\\s+").length > 1 && (l.trim().split("\\s+")[1] + " ").endsWith(local))) {
                    return this;
                }
                Thread.sleep(20);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("SIPp did not bind port " + sipPort);
    }

    /** Waits for the run to end (killing it after the limit) and returns what happened. */
    Run await(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroy();
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                process.waitFor(2, TimeUnit.SECONDS);
            }
            String out = Files.readString(dir.resolve("stdout.txt"), StandardCharsets.ISO_8859_1);
            return new Run(process.isAlive() ? -1 : process.exitValue(), out, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException(e);
        }
    }

    Run run(Duration limit) {
        return start().await(limit);
    }

    void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    /** Lines SIPp's {@code <log>} actions wrote. */
    static String messages(Run run) {
        try (Stream<Path> files = Files.list(run.dir())) {
            return files.filter(p -> p.getFileName().toString().matches(".*_logs\\.log")).map(p -> {
                try {
                    return Files.readString(p, StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    return "";
                }
            }).collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "";
        }
    }

    static int freeUdpPort() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An even port whose neighbours (RTP+2 for SIPp's video echo) are free too, more or less. */
    static int freeMediaPort() {
        for (int i = 0; i < 50; i++) {
            int p = freeUdpPort() & ~1;
            try (DatagramSocket a = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                    DatagramSocket b = new DatagramSocket(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), p + 2))) {
                return p;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no free media port");
    }
}
