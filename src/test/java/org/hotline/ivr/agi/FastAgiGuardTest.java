package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.hotline.ivr.CallHandler;

/**
 * FastAGI cannot be starved or blown up: connections that do not send Asterisk's environment block hold
 * no call thread and are closed after the header timeout; an endless line, too many lines, a slow block
 * or something that is not AGI at all is cut, counted and logged shortened; peers outside
 * {@code allowed-peers} are closed at accept. A real Asterisk block, even with long AGI() arguments, passes.
 */
class FastAgiGuardTest {

    final List<FastAgiListener> listeners = new ArrayList<>();
    final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // gone
            }
        }
        listeners.forEach(FastAgiListener::stop);
    }

    FastAgiListener start(AgiProperties props, CallHandler handler) {
        FastAgiListener l = new FastAgiListener(AgiSettings.of(props).port(0).build(), handler);
        l.start();
        listeners.add(l);
        return l;
    }

    static AgiProperties withHeaderTimeout(Duration timeout) {
        return AgiSettings.defaults().header(new AgiProperties.Header(timeout, null, null, null), 256).build();
    }

    Socket connect(int port) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return s;
    }

    /** True when the server closed the socket (EOF or reset) within the time given. */
    static boolean closedByServer(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void fiftyIdleConnectionsHoldNoCallThreadRealCallsAreAnsweredAndTheIdleOnesAreClosedAtTheHeaderTimeout()
            throws Exception {
        int maxCalls = 5;
        CountDownLatch inFlow = new CountDownLatch(maxCalls);
        CountDownLatch release = new CountDownLatch(1);
        AgiProperties props = AgiSettings.of(withHeaderTimeout(Duration.ofSeconds(3))).maxCalls(maxCalls).build();
        FastAgiListener l = start(props, call -> {
            inFlow.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            call.hangUp();
        });
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        l.bindMetrics(meters);
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            idle.add(connect(l.port()));
        }
        waitFor(() -> l.waitingConnections() == 50);
        long idleSince = System.nanoTime();

        ExecutorService callers = Executors.newFixedThreadPool(maxCalls);
        try {
            List<Future<AsteriskCall.Transcript>> calls = new ArrayList<>();
            for (int i = 0; i < maxCalls; i++) {
                calls.add(callers.submit(() -> AsteriskCall.to(l.port()).run()));
            }
            assertThat(inFlow.await(10, TimeUnit.SECONDS)).as("every real call reached the menu").isTrue();
            assertThat(l.activeCalls()).isEqualTo(maxCalls);
            assertThat(l.callConnections()).isEqualTo(maxCalls);
            assertThat(l.waitingConnections()).isEqualTo(50);
            assertThat(meters.get("hotline.agi.connections").tag("state", "waiting").gauge().value()).isEqualTo(50);
            assertThat(meters.get("hotline.agi.connections").tag("state", "call").gauge().value()).isEqualTo(maxCalls);
            assertThat(l.rejectedCalls()).isZero();
            release.countDown();
            for (Future<AsteriskCall.Transcript> f : calls) {
                assertThat(f.get(10, TimeUnit.SECONDS).serverHungUp).isTrue();
            }
        } finally {
            release.countDown();
            callers.shutdownNow();
        }
        for (Socket s : idle) {
            assertThat(closedByServer(s, Duration.ofSeconds(5))).as("an idle connection is closed").isTrue();
        }
        long idleMs = (System.nanoTime() - idleSince) / 1_000_000;
        assertThat(idleMs).as("closed at the 3 s header timeout, not the 10 min read timeout").isLessThan(7000);
        assertThat(l.refusedConnections()).containsEntry("header-timeout", 50L);
        assertThat(l.waitingConnections()).isZero();
        assertThat(meters.get("hotline.agi.connections.refused").tag("reason", "header-timeout").gauge().value())
                .isEqualTo(50);
    }

    @Test
    void whenMoreConnectionsWaitThanAllowedTheOldestIsClosedAndARealCallStillGetsThrough() throws Exception {
        CompletableFuture<String> served = new CompletableFuture<>();
        FastAgiListener l = start(AgiSettings.defaults().header(
                new AgiProperties.Header(Duration.ofSeconds(30), null, null, null), 10).build(), call -> {
                    served.complete(call.callId());
                    call.hangUp();
                });
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            idle.add(connect(l.port()));
            int n = i + 1;
            waitFor(() -> l.waitingConnections() + l.refusedConnections().get("overflow") == n);
        }
        assertThat(l.waitingConnections()).isEqualTo(10);
        assertThat(l.refusedConnections()).containsEntry("overflow", 5L);
        for (int i = 0; i < 5; i++) {
            assertThat(closedByServer(idle.get(i), Duration.ofSeconds(2))).as("oldest %d closed", i).isTrue();
        }
        var t = AsteriskCall.to(l.port()).uniqueId("1732000009.1").run();
        assertThat(served.get(5, TimeUnit.SECONDS)).isEqualTo("1732000009.1");
        assertThat(t.serverHungUp).isTrue();
    }

    @Test
    void thirteenHundredIdleConnectionsAsInTheIncidentLeaveEveryRealCallAnswered() throws Exception {
        int maxCalls = 5;
        CountDownLatch inFlow = new CountDownLatch(maxCalls);
        CountDownLatch release = new CountDownLatch(1);
        FastAgiListener l = start(AgiSettings.defaults().maxCalls(maxCalls).build(), call -> {
            inFlow.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            call.hangUp();
        });
        for (int i = 0; i < 1300; i++) {
            connect(l.port());
        }
        waitFor(() -> l.waitingConnections() + l.refusedConnections().get("overflow") == 1300);
        assertThat(l.waitingConnections()).isEqualTo(256);
        ExecutorService callers = Executors.newFixedThreadPool(maxCalls);
        try {
            List<Future<AsteriskCall.Transcript>> calls = new ArrayList<>();
            for (int i = 0; i < maxCalls; i++) {
                calls.add(callers.submit(() -> AsteriskCall.to(l.port()).run()));
            }
            assertThat(inFlow.await(10, TimeUnit.SECONDS)).as("every real call reached the menu").isTrue();
            assertThat(l.rejectedCalls()).isZero();
            release.countDown();
            for (Future<AsteriskCall.Transcript> f : calls) {
                assertThat(f.get(10, TimeUnit.SECONDS).serverHungUp).isTrue();
            }
        } finally {
            release.countDown();
            callers.shutdownNow();
        }
    }

    @Test
    void aLineWithoutNewlineIsCutAtTheLineLimitTheConnectionClosedAndOnlyItsStartLogged() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AgiConnections.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.setLevel(Level.INFO);
        logger.addAppender(lines);
        AtomicInteger calls = new AtomicInteger();
        try {
            FastAgiListener l = start(AgiSettings.defaults().build(), call -> calls.incrementAndGet());
            Socket s = connect(l.port());
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'A');
            out.write("agi_network_script: ".getBytes(StandardCharsets.US_ASCII));
            long written = 0;
            long oneGigabyte = 1L << 30;
            long t0 = System.nanoTime();
            IOException cut = null;
            try {
                while (written < oneGigabyte && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30)) {
                    out.write(chunk);
                    written += chunk.length;
                }
            } catch (IOException e) {
                cut = e;
            }
            assertThat(cut).as("the server closed the connection while the line was still coming").isNotNull();
            // what the kernel's socket buffers took before the reset reached us; the server read ~16 KiB of it
            assertThat(written).isLessThan(64L << 20);
            waitFor(() -> l.refusedConnections().get("header-too-long") == 1);
            assertThat(calls).hasValue(0);
            assertThat(lines.list).hasSize(1);
            String logged = lines.list.get(0).getFormattedMessage();
            assertThat(logged).contains("header-too-long").contains("'agi_network_script: AAAA").hasSizeLessThan(400);
        } finally {
            logger.detachAppender(lines);
            logger.setLevel(null);
        }
    }

    @Test
    void aBlockDeliveredSlowerThanTheHeaderTimeoutIsClosedAlthoughEveryLineArrivesInTime() throws Exception {
        FastAgiListener l = start(withHeaderTimeout(Duration.ofSeconds(1)), call -> { });
        Socket s = connect(l.port());
        OutputStream out = s.getOutputStream();
        long t0 = System.nanoTime();
        boolean cut = false;
        try {
            for (int i = 0; i < 20; i++) {
                out.write(("agi_arg_" + i + ": x\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(250);
            }
        } catch (IOException e) {
            cut = true;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(cut || closedByServer(s, Duration.ofSeconds(2))).isTrue();
        assertThat(ms).isLessThan(4000);
        assertThat(l.refusedConnections()).containsEntry("header-timeout", 1L);
    }

    @Test
    void tooManyLinesOrSomethingThatIsNotAgiIsClosedAtOnce() throws Exception {
        FastAgiListener l = start(AgiSettings.defaults().build(), call -> { });
        Socket many = connect(l.port());
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            b.append("agi_arg_").append(i).append(": x\n");
        }
        many.getOutputStream().write(b.toString().getBytes(StandardCharsets.US_ASCII));
        assertThat(closedByServer(many, Duration.ofSeconds(2))).isTrue();

        Socket http = connect(l.port());
        http.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(closedByServer(http, Duration.ofSeconds(2))).isTrue();

        waitFor(() -> l.refusedConnections().get("not-agi") == 1 && l.refusedConnections().get("header-too-long") == 1);
        assertThat(l.activeCalls()).isZero();
    }

    @Test
    void aRealAsteriskBlockWithTheLongestArgumentsItCanSendIsServed() throws Exception {
        CompletableFuture<String> served = new CompletableFuture<>();
        FastAgiListener l = start(AgiSettings.defaults().build(), call -> {
            served.complete(call.callId());
            call.hangUp();
        });
        // res_agi.c: at most MAX_ARGS - 1 = 127 arguments, all from one AGI() data string of at most
        // EXT_DATA_SIZE = 8192 bytes (pbx.c); here one argument takes nearly all of it
        List<String> args = new ArrayList<>();
        args.add("x".repeat(7800));
        for (int i = 1; i < 127; i++) {
            args.add("a" + i);
        }
        var t = AsteriskCall.to(l.port()).uniqueId("1732000010.1").args(args).run();
        assertThat(served.get(5, TimeUnit.SECONDS)).isEqualTo("1732000010.1");
        assertThat(t.serverHungUp).isTrue();
        assertThat(l.refusedConnections().values()).allMatch(n -> n == 0);
    }

    @Test
    void aPeerOutsideAllowedPeersIsClosedAtAcceptCountedAndLoggedOncePerMinute() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AgiConnections.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.setLevel(Level.INFO);
        logger.addAppender(lines);
        try {
            AtomicInteger calls = new AtomicInteger();
            FastAgiListener l = start(AgiSettings.defaults().allowedPeers(List.of("127.0.0.1/32")).build(), call -> {
                calls.incrementAndGet();
                call.hangUp();
            });
            for (int i = 0; i < 20; i++) {
                var refused = AsteriskCall.to(l.port()).from("127.0.0.2").run();
                assertThat(refused.commands).isEmpty();
                assertThat(refused.serverClosed).isTrue();
            }
            assertThat(calls).hasValue(0);
            assertThat(l.refusedConnections()).containsEntry("peer", 20L);
            assertThat(lines.list).hasSize(1);
            assertThat(lines.list.get(0).getFormattedMessage()).contains("127.0.0.2").contains("allowed-peers");

            var allowed = AsteriskCall.to(l.port()).from("127.0.0.1").run();
            assertThat(allowed.serverHungUp).isTrue();
            assertThat(calls).hasValue(1);
        } finally {
            logger.detachAppender(lines);
            logger.setLevel(null);
        }
    }

    @Test
    void allowedPeersMustBeAddressesAndAnEmptyListOrBindAddressIsRefused() {
        assertThatThrownBy(() -> AgiSettings.defaults().allowedPeers(List.of("asterisk.example.org")).build())
                .hasMessageContaining("hotline.agi.allowed-peers").hasMessageContaining("asterisk.example.org");
        assertThatThrownBy(() -> AgiSettings.defaults().allowedPeers(List.of("")).build())
                .hasMessageContaining("HOTLINE_AGI_ALLOWED_PEERS");
        assertThatThrownBy(() -> AgiSettings.defaults().bindAddress("").build())
                .hasMessageContaining("HOTLINE_AGI_BIND_ADDRESS");
        assertThat(AgiSettings.defaults().build().allowedPeers()).containsExactly("127.0.0.0/8", "::1");
        assertThat(AgiSettings.defaults().build().bindAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void aReplyLineLongerThanTheLimitEndsTheCallAsAHangUp() throws Exception {
        CompletableFuture<String> seen = new CompletableFuture<>();
        FastAgiListener l = start(AgiSettings.defaults().build(), call -> {
            try {
                call.play(List.of("welcome"));
                seen.complete("played");
            } catch (org.hotline.ivr.CallerHungUp e) {
                seen.complete("hung up");
            }
        });
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), l.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("agi_network: yes\nagi_network_script: hotline\nagi_request: agi://127.0.0.1/hotline\n"
                    + "agi_uniqueid: 1.1\nagi_callerid: 13800138000\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            assertThat(FastAgiWireTest.readLine(in)).startsWith("STREAM FILE");
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) '7');
            out.write("200 result=".getBytes(StandardCharsets.US_ASCII));
            try {
                for (int i = 0; i < 64; i++) {
                    out.write(chunk);
                }
            } catch (IOException cut) {
                // closed under us: fine
            }
            assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("hung up");
        }
    }

    static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met in 10 s");
            }
            Thread.sleep(10);
        }
    }
}
