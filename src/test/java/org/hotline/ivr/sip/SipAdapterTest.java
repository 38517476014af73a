package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallerHungUp;

/**
 * The SIP adapter against SIPp, with a small test flow in place of the flow engine: what a caller keys
 * reaches the flow exactly once per press, hang-ups reach it as {@link CallerHungUp}, and the SIP
 * exchanges around a call are answered as RFC 3261 says.
 */
class SipAdapterTest {

    @TempDir
    static Path work;

    static SipEndpoint endpoint;
    static final BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    static volatile Consumer<CallChannel> flow = c -> { };

    @BeforeAll
    static void start() throws Exception {
        Path prompts = work.resolve("prompts");
        TestPrompts.write(prompts, "welcome", TestPrompts.tone(440, 1000));
        TestPrompts.write(prompts, "ask", TestPrompts.tone(660, 400));
        TestPrompts.write(prompts, "bye", TestPrompts.tone(330, 300));
        TestPrompts.write(prompts, "long", TestPrompts.tone(550, 3000));
        SipProperties props = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp", "tcp"), 3, 486,
                Duration.ofMillis(200), 30000, 39999, Duration.ofSeconds(4), null, Duration.ofSeconds(5),
                List.of());
        endpoint = new SipEndpoint(props, () -> call -> {
            try {
                flow.accept(call);
            } catch (CallerHungUp e) {
                seen.add("hung up");
            }
        }, new PromptAudio(prompts));
        endpoint.start();
    }

    @AfterAll
    static void stop() {
        if (endpoint != null) {
            endpoint.close();
        }
    }

    @BeforeEach
    void clear() {
        seen.clear();
    }

    static String next() throws InterruptedException {
        String s = seen.poll(20, TimeUnit.SECONDS);
        return s == null ? "(nothing within 20 s)" : s;
    }

    @Test
    void rfc4733KeysReachTheFlowOncePerPressAndTheCallersByeEndsIt() throws Exception {
        flow = call -> {
            seen.add("keys " + call.collect(List.of("welcome"), 2, Duration.ofSeconds(6)));
            seen.add("keys " + call.collect(List.of("ask"), 8, Duration.ofSeconds(6)));
            seen.add("caller " + call.callerNumber() + (call.callerVerified() ? " verified" : " unverified"));
            call.collect(List.of(), 1, Duration.ofSeconds(30));
            seen.add("no hang-up seen");
        };
        Sipp.Run run = Sipp.scenario(work, "uac_rfc4733.xml", endpoint.port())
                .calls("hotline;1200:12|2500:4567#|3500:;13800138000;bye").args("-rtp_echo").run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("keys 12");
        assertThat(next()).isEqualTo("keys 4567");
        // SIPp sends from loopback, a trusted peer by default: its From counts as the verified number
        assertThat(next()).isEqualTo("caller 13800138000 verified");
        assertThat(next()).isEqualTo("hung up");
    }

    @Test
    void sipInfoKeysReachTheFlowEachInfoCountedOnce() throws Exception {
        flow = call -> {
            seen.add("keys " + call.collect(List.of("welcome"), 2, Duration.ofSeconds(6)));
            seen.add("keys " + call.collect(List.of("ask"), 8, Duration.ofSeconds(6)));
            call.collect(List.of(), 1, Duration.ofSeconds(30));
        };
        Sipp.Run run = Sipp.scenario(work, "uac_info.xml", endpoint.port()).calls("hotline;600:12|800:34#|1000:;13800138000;bye")
                .args("-rtp_echo").run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("keys 12");
        assertThat(next()).isEqualTo("keys 34");
        assertThat(next()).isEqualTo("hung up");
    }

    @Test
    void theFlowsHangUpSendsBye() throws Exception {
        flow = call -> {
            seen.add("played " + (int) call.play(List.of("bye")));
            call.hangUp();
            try {
                call.play(List.of("bye"));
                seen.add("played after hang-up");
            } catch (CallerHungUp e) {
                seen.add("gone after hang-up");
            }
        };
        Sipp.Run run = Sipp.scenario(work, "uac_waits_for_bye.xml", endpoint.port()).args("-rtp_echo")
                .run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("played 0");
        assertThat(next()).isEqualTo("gone after hang-up");
    }

    @Test
    void rtpSilenceEndsTheCallAndTheFlowHearsTheHangUp() throws Exception {
        flow = call -> call.collect(List.of(), 1, Duration.ofSeconds(60));
        long t0 = System.nanoTime();
        Sipp.Run run = Sipp.scenario(work, "uac_waits_for_bye.xml", endpoint.port()).run(Duration.ofSeconds(30));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("hung up");
        assertThat(took).as("silence timeout is 4 s").isBetween(3500L, 15000L);
    }

    @Test
    void cancelWhileRingingGets200Then487AndNoFlowRuns() throws Exception {
        flow = call -> seen.add("flow ran");
        Sipp.Run run = Sipp.scenario(work, "uac_cancel.xml", endpoint.port()).run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(seen.poll(500, TimeUnit.MILLISECONDS)).isNull();
        awaitNoCalls();
    }

    @Test
    void optionsIsAnsweredWithWhatTheGatewayAllows() {
        Sipp.Run run = Sipp.scenario(work, "uac_options.xml", endpoint.port()).run(Duration.ofSeconds(20));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
    }

    @Test
    void anOfferWithoutG711Gets488() {
        Sipp.Run run = Sipp.scenario(work, "uac_no_codec.xml", endpoint.port()).run(Duration.ofSeconds(20));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(endpoint.outcomes()).containsKey("no-codec");
    }

    @Test
    void reInviteForHoldAndResumeIsAnsweredAndABadOneLeavesTheCallAsItWas() throws Exception {
        flow = call -> call.collect(List.of(), 1, Duration.ofSeconds(60));
        Sipp.Run run = Sipp.scenario(work, "uac_reinvite.xml", endpoint.port()).args("-rtp_echo")
                .run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("hung up");
    }

    @Test
    void anInviteWithoutSdpOverTcpGetsOurOfferAndTheAnswerInTheAck() throws Exception {
        flow = call -> {
            seen.add("keys " + call.collect(List.of("ask"), 1, Duration.ofSeconds(6)));
            call.collect(List.of(), 1, Duration.ofSeconds(30));
        };
        Sipp.Run run = Sipp.scenario(work, "uac_late_offer.xml", endpoint.port()).args("-rtp_echo", "-t", "t1")
                .run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("keys 7");
        assertThat(next()).isEqualTo("hung up");
    }

    @Test
    void transferIsAReferCarryingTheTransferIdThenBye() throws Exception {
        flow = call -> {
            call.play(List.of("ask"));
            call.transferToAgent("T-42", 9);
            seen.add("transferred");
        };
        Sipp.Run run = Sipp.scenario(work, "uac_refer.xml", endpoint.port()).args("-rtp_echo")
                .run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("transferred");
    }

    @Test
    void atTheCallLimitTheNextInviteGetsBusyHereAndTheOthersGoOn() throws Exception {
        flow = call -> call.collect(List.of(), 1, Duration.ofSeconds(60));
        Sipp holders = Sipp.scenario(work, "uac_holds.xml", endpoint.port()).calls("5000")
                .args("-rtp_echo", "-m", "3", "-l", "3", "-r", "20").start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (endpoint.activeCalls() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(endpoint.activeCalls()).isEqualTo(3);
            Sipp.Run busy = Sipp.scenario(work, "uac_busy.xml", endpoint.port()).run(Duration.ofSeconds(20));
            assertThat(busy.succeeded()).as(busy.logs()).isTrue();
            Sipp.Run held = holders.await(Duration.ofSeconds(30));
            assertThat(held.succeeded()).as(held.logs()).isTrue();
        } finally {
            holders.kill();
        }
        for (int i = 0; i < 3; i++) {
            assertThat(next()).isEqualTo("hung up");
        }
        awaitNoCalls();
    }

    @Test
    void aPAssertedIdentityIsAVerifiedNumberOnlyFromATrustedPeer() throws Exception {
        // from loopback, trusted by default: the PAI's number, verified
        flow = call -> {
            seen.add("caller " + call.callerNumber() + (call.callerVerified() ? " verified" : " unverified"));
            call.hangUp();
        };
        Sipp.Run run = Sipp.scenario(work, "uac_pai.xml", endpoint.port()).run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("caller 13912345678 verified");

        // the same INVITE to a gateway that trusts only its PBX's network: the number is not believed
        SipProperties props = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 1, 486, Duration.ZERO,
                30000, 39999, Duration.ofSeconds(30), null, Duration.ofSeconds(5), List.of(), List.of("192.0.2.0/24"));
        SipEndpoint strict = new SipEndpoint(props, () -> call -> {
            seen.add("caller " + call.callerNumber() + (call.callerVerified() ? " verified" : " unverified"));
            call.hangUp();
        }, new PromptAudio(work.resolve("prompts")));
        strict.start();
        try {
            Sipp.Run untrusted = Sipp.scenario(work, "uac_pai.xml", strict.port()).run(Duration.ofSeconds(30));
            assertThat(untrusted.succeeded()).as(untrusted.logs()).isTrue();
            assertThat(next()).isEqualTo("caller 13912345678 unverified");
        } finally {
            strict.close();
        }
    }

    @Test
    void withBusyStatus503TheCallOverTheLimitGets503AndRetryAfter() throws Exception {
        // trusting only another network: the From of SIPp's calls (from loopback) is not a verified number
        SipProperties props = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 1, 503, Duration.ZERO,
                30000, 39999, Duration.ofSeconds(30), null, Duration.ofSeconds(5), List.of(), List.of("10.0.0.0/8"));
        SipEndpoint small = new SipEndpoint(props, () -> call -> {
            try {
                seen.add("caller " + call.callerNumber() + (call.callerVerified() ? " verified" : " unverified"));
                call.collect(List.of(), 1, Duration.ofSeconds(30));
            } catch (CallerHungUp e) {
                seen.add("hung up");
            }
        }, new PromptAudio(work.resolve("prompts")));
        small.start();
        Sipp holder = Sipp.scenario(work, "uac_holds.xml", small.port()).calls("3000").args("-rtp_echo").start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (small.activeCalls() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Sipp.Run busy = Sipp.scenario(work, "uac_busy_503.xml", small.port()).run(Duration.ofSeconds(20));
            assertThat(busy.succeeded()).as(busy.logs()).isTrue();
            Sipp.Run held = holder.await(Duration.ofSeconds(20));
            assertThat(held.succeeded()).as(held.logs()).isTrue();
            assertThat(next()).isEqualTo("caller 13800138000 unverified");
            assertThat(next()).isEqualTo("hung up");
        } finally {
            holder.kill();
            small.close();
        }
    }

    @Test
    void aTakenPortFailsTheStartWithItsNameAndLeavesNoStackThreadBehind() throws Exception {
        long before = scanners();
        try (java.net.DatagramSocket taken = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            SipProperties props = new SipProperties(true, "127.0.0.1", null, taken.getLocalPort(), List.of("udp"), 1,
                    486, Duration.ZERO, 30000, 39999, Duration.ofSeconds(30), null, Duration.ofSeconds(5), List.of());
            SipEndpoint clash = new SipEndpoint(props, () -> call -> { }, new PromptAudio(work.resolve("prompts")));
            org.assertj.core.api.Assertions.assertThatThrownBy(clash::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        long after;
        do {
            Thread.sleep(100);
            after = scanners();
        } while (after > before && System.nanoTime() < deadline);
        // a failed start must not keep the JVM alive (jain-sip's event scanner is not a daemon thread)
        assertThat(after).isEqualTo(before);
    }

    static long scanners() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !t.isDaemon() && t.getName().startsWith("EventScanner")).count();
    }

    static void awaitNoCalls() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (endpoint.activeCalls() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(endpoint.activeCalls()).isZero();
    }

    /** One datagram to the endpoint; the status line of its answer, or "(no answer)". */
    static String exchange(String message) throws Exception {
        try (java.net.DatagramSocket sock = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            sock.setSoTimeout(1500);
            String text = message.replace("PORT", Integer.toString(sock.getLocalPort()))
                    .replace("ENDPOINT", Integer.toString(endpoint.port()));
            byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            sock.send(new java.net.DatagramPacket(bytes, bytes.length, java.net.InetAddress.getLoopbackAddress(),
                    endpoint.port()));
            byte[] buf = new byte[4096];
            java.net.DatagramPacket in = new java.net.DatagramPacket(buf, buf.length);
            try {
                while (true) {
                    sock.receive(in);
                    String reply = new String(in.getData(), 0, in.getLength(), java.nio.charset.StandardCharsets.UTF_8);
                    String status = reply.lines().findFirst().orElse("");
                    if (!status.startsWith("SIP/2.0 100")) {
                        return status + (reply.contains("\nAllow: ") || reply.contains("\nAllow:") ? " +Allow" : "")
                                + (reply.contains("Unsupported: 100rel") ? " +Unsupported" : "")
                                + (reply.contains("Accept: application/sdp") ? " +Accept" : "");
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                return "(no answer)";
            }
        }
    }

    static String request(String method, String extraHeaders, String contentType, String body) {
        String id = java.util.UUID.randomUUID().toString();
        return method + " sip:hotline@127.0.0.1:ENDPOINT SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK" + id.substring(0, 8) + "\r\n"
                + "From: <sip:13800138000@127.0.0.1:PORT>;tag=" + id.substring(9, 13) + "\r\n"
                + "To: <sip:hotline@127.0.0.1:ENDPOINT>\r\n"
                + "Call-ID: " + id + "\r\n"
                + "CSeq: 1 " + method + "\r\n"
                + "Contact: <sip:13800138000@127.0.0.1:PORT>\r\n"
                + "Max-Forwards: 70\r\n"
                + extraHeaders
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + "\r\n\r\n"
                + body;
    }

    static final String SDP = "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + "m=audio 40000 RTP/AVP 0\r\n";

    @Test
    void whileTheDatabaseIsAwayAnInviteGets503SoTheProxyTriesTheNextNodeAndNoFlowRuns() throws Exception {
        flow = call -> {
            seen.add("flow ran");
            call.collect(List.of(), 1, Duration.ofSeconds(60));
        };
        endpoint.admitWhile(() -> false);
        try {
            assertThat(exchange(request("INVITE", "", "application/sdp", SDP)))
                    .startsWith("SIP/2.0 503 Database Unreachable");
            assertThat(endpoint.outcomes()).containsKey("database-away");
            assertThat(seen.poll(500, TimeUnit.MILLISECONDS)).isNull();
        } finally {
            endpoint.admitWhile(() -> true);
        }
        // the database back: calls are taken again
        Sipp.Run run = Sipp.scenario(work, "uac_holds.xml", endpoint.port()).calls("500").args("-rtp_echo")
                .run(Duration.ofSeconds(20));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("flow ran");
        assertThat(next()).isEqualTo("hung up");
        awaitNoCalls();
    }

    @Test
    void malformedAndUnsupportedRequestsGetSipErrorsAndTheServiceGoesOn() throws Exception {
        flow = call -> call.collect(List.of(), 1, Duration.ofSeconds(60));
        assertThat(exchange("\u0000\u0001garbage that is no SIP at all\r\n\r\n")).isEqualTo("(no answer)");
        assertThat(exchange(request("FOO", "", null, ""))).startsWith("SIP/2.0 501");
        assertThat(exchange(request("REGISTER", "", null, ""))).startsWith("SIP/2.0 405").endsWith("+Allow");
        assertThat(exchange(request("SUBSCRIBE", "Event: presence\r\n", null, ""))).startsWith("SIP/2.0 405");
        assertThat(exchange(request("INVITE", "", "text/plain", "hello"))).startsWith("SIP/2.0 415")
                .endsWith("+Accept");
        assertThat(exchange(request("INVITE", "", "application/sdp", "this is not SDP"))).startsWith("SIP/2.0 400");
        assertThat(exchange(request("INVITE", "", "application/sdp", "v=0\r\nm=audio x RTP/AVP 0\r\n")))
                .startsWith("SIP/2.0 400");
        assertThat(exchange(request("INVITE", "Require: 100rel\r\n", "application/sdp", SDP)))
                .startsWith("SIP/2.0 420").endsWith("+Unsupported");
        assertThat(exchange(request("INVITE", "", "application/sdp", SDP.replace("RTP/AVP 0", "RTP/SAVP 0"))))
                .startsWith("SIP/2.0 488");
        assertThat(exchange(request("BYE", "", null, "").replace("To: <sip:hotline@127.0.0.1:ENDPOINT>",
                "To: <sip:hotline@127.0.0.1:ENDPOINT>;tag=nosuchdialog"))).startsWith("SIP/2.0 481");
        assertThat(exchange(request("INFO", "", "application/dtmf-relay", "Signal=5\r\n"))).startsWith("SIP/2.0 481");
        assertThat(exchange(request("INVITE", "", null, "").replace("INVITE sip:hotline@127.0.0.1:ENDPOINT",
                "INVITE tel:+861012345"))).startsWith("SIP/2.0 416");
        // a header the parser cannot read: the stack answers 400 itself
        assertThat(exchange(request("OPTIONS", "", null, "").replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS")))
                .matches("SIP/2.0 400.*|\\(no answer\\)");
        assertThat(exchange(request("OPTIONS", "", null, ""))).isEqualTo("SIP/2.0 200 OK +Allow +Accept");
        // and a real call still goes through
        Sipp.Run run = Sipp.scenario(work, "uac_holds.xml", endpoint.port()).calls("500").args("-rtp_echo")
                .run(Duration.ofSeconds(20));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("hung up");
        awaitNoCalls();
    }
    @Test
    void theFirstAnswerIs100TryingAndARetransmittedInviteStartsNoSecondCall() throws Exception {
        flow = call -> {
            seen.add("flow started");
            call.collect(List.of(), 1, Duration.ofSeconds(30));
        };
        long answered = endpoint.outcomes().getOrDefault("answered", 0L);
        Sipp.Run run = Sipp.scenario(work, "uac_retransmits_invite.xml", endpoint.port()).args("-rtp_echo")
                .run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("flow started");
        assertThat(next()).isEqualTo("hung up");
        assertThat(seen.poll(500, TimeUnit.MILLISECONDS)).as("a second flow").isNull();
        assertThat(endpoint.outcomes().get("answered")).isEqualTo(answered + 1);
        awaitNoCalls();
    }

    @Test
    void anInviteRetransmittedAfterOur200IsNoNewCall() throws Exception {
        flow = call -> {
            seen.add("flow started");
            call.collect(List.of(), 1, Duration.ofSeconds(30));
        };
        long answered = endpoint.outcomes().getOrDefault("answered", 0L);
        try (java.net.DatagramSocket sock = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            sock.setSoTimeout(5000);
            String invite = request("INVITE", "", "application/sdp", SDP)
                    .replace("PORT", Integer.toString(sock.getLocalPort()))
                    .replace("ENDPOINT", Integer.toString(endpoint.port()));
            long t0 = System.nanoTime();
            send(sock, invite);
            String first = receive(sock);
            long tryingMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(first).startsWith("SIP/2.0 100 Trying");
            assertThat(toLine(first)).as("a 100 carries no To tag").doesNotContain("tag=");
            System.out.println("100 Trying after " + tryingMs + " ms");
            String ok = first;
            while (!ok.startsWith("SIP/2.0 200")) {
                ok = receive(sock);
                assertThat(ok).matches("(?s)SIP/2.0 (180|200) .*");
            }
            // our 200 was lost: the caller retransmits its INVITE; it gets the 200 again, and no new call
            send(sock, invite);
            String again = receive(sock);
            assertThat(again).startsWith("SIP/2.0 200");
            assertThat(toLine(again)).isEqualTo(toLine(ok));
            String ack = invite.substring(0, invite.indexOf("Content-Type:")).replace("INVITE sip:", "ACK sip:")
                    .replace("CSeq: 1 INVITE", "CSeq: 1 ACK").replaceFirst("branch=z9hG4bK\\w+", "branch=z9hG4bKack1")
                    .replaceFirst("(?m)^To: .*$", toLine(ok)) + "Content-Length: 0\r\n\r\n";
            send(sock, ack);
            assertThat(next()).isEqualTo("flow started");
            String bye = ack.replace("ACK sip:", "BYE sip:").replace("CSeq: 1 ACK", "CSeq: 2 BYE")
                    .replace("branch=z9hG4bKack1", "branch=z9hG4bKbye1");
            send(sock, bye);
            String byeOk;
            do {
                byeOk = receive(sock);
            } while (!byeOk.contains("CSeq: 2 BYE"));
            assertThat(byeOk).startsWith("SIP/2.0 200");
        }
        assertThat(next()).isEqualTo("hung up");
        assertThat(seen.poll(500, TimeUnit.MILLISECONDS)).as("a second flow").isNull();
        assertThat(endpoint.outcomes().get("answered")).isEqualTo(answered + 1);
        awaitNoCalls();
    }

    static void send(java.net.DatagramSocket sock, String text) throws Exception {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        sock.send(new java.net.DatagramPacket(bytes, bytes.length, java.net.InetAddress.getLoopbackAddress(),
                endpoint.port()));
    }

    static String receive(java.net.DatagramSocket sock) throws Exception {
        byte[] buf = new byte[4096];
        java.net.DatagramPacket in = new java.net.DatagramPacket(buf, buf.length);
        sock.receive(in);
        return new String(in.getData(), 0, in.getLength(), java.nio.charset.StandardCharsets.UTF_8);
    }

    static String toLine(String message) {
        return message.lines().filter(l -> l.startsWith("To:")).findFirst().orElse("(no To)");
    }

    /**
     * Keys as a real Asterisk delivers them to the FastAGI path (issue 16; AsteriskCall cites res_agi.c handle_getdata,
     * app.c ast_readstring_full and file.c ast_waitstream_full, TypedAheadKeysTest runs every entry of the flows): a
     * {@code #} pressed after a full-length entry ends that entry and is not the next answer; keys typed past an
     * entry's maximum stay queued and answer what comes next (the next prompt is cut by the first, as STREAM FILE
     * returns a queued escape digit); keys typed during a prompt stop it and are the entry's first keys; a {@code #}
     * first (not right after a full entry) is an empty entry, as GET DATA's {@code 200 result=}.
     */
    @Test
    void keysTypedAheadOrPastTheMaximumReachTheFlowAsOnTheAsteriskPath() throws Exception {
        flow = call -> {
            seen.add("a " + call.collect(List.of("ask"), 4, Duration.ofSeconds(6)));
            seen.add("b " + call.collect(List.of("ask"), 2, Duration.ofSeconds(6)));
            seen.add("c " + call.collect(List.of("ask"), 4, Duration.ofSeconds(6)));
            seen.add("d " + call.play(List.of("welcome")));
            seen.add("e " + call.collect(List.of("ask"), 1, Duration.ofSeconds(6)));
            seen.add("f " + call.collect(List.of("long"), 3, Duration.ofSeconds(6)));
            seen.add("g [" + call.collect(List.of("ask"), 3, Duration.ofSeconds(6)) + "]");
            call.collect(List.of(), 1, Duration.ofSeconds(30));
        };
        // a: 4567 then the # the prompt asked for; b: 12 (the # was a's); c: 123456 past its 4; f: 789 while "long"
        // plays; g: a lone # 4 s after f's full entry (its grace long over)
        Sipp.Run run = Sipp.scenario(work, "uac_rfc4733.xml", endpoint.port())
                .calls("hotline;800:4567#|2200:12|1600:123456|2300:789|3900:#|800:;13800138000;bye").args("-rtp_echo")
                .run(Duration.ofSeconds(40));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("a 4567");
        assertThat(next()).as("the # after a full entry is its end, not an empty answer").isEqualTo("b 12");
        assertThat(next()).isEqualTo("c 1234");
        assertThat(next()).as("the keys past the maximum stay queued: the next prompt is cut by the 5").isEqualTo("d 5");
        assertThat(next()).isEqualTo("e 6");
        assertThat(next()).as("keyed while the prompt played: the entry's first keys").isEqualTo("f 789");
        assertThat(next()).as("a # first is an empty entry").isEqualTo("g []");
        assertThat(next()).isEqualTo("hung up");
    }

    /**
     * Issue 16: the SIP endpoint as the application builds it (SipConfig) takes no call before Spring reports
     * ACCEPTING_TRAFFIC (after the demo data and the release catch-up): an INVITE gets 503 with Retry-After, so a
     * proxy or trunk group tries the next node, no flow runs and readiness says OUT_OF_SERVICE; once ready, calls are
     * answered. The FastAGI listener does the same (StartupAdmissionTest).
     */
    @Test
    void beforeTheApplicationAcceptsTrafficAnInviteGets503WithRetryAfterAndNoFlowRuns() throws Exception {
        var availability = new org.springframework.boot.availability.ApplicationAvailabilityBean();
        var beans = new org.springframework.beans.factory.support.DefaultListableBeanFactory();
        beans.registerSingleton("availability", availability);
        beans.registerSingleton("handler", (org.hotline.ivr.CallHandler) call -> {
            try {
                seen.add("flow ran");
                call.collect(List.of(), 1, Duration.ofSeconds(30));
            } catch (CallerHungUp e) {
                seen.add("hung up");
            }
        });
        SipProperties props = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 2, 486, Duration.ZERO,
                30000, 39999, Duration.ofSeconds(30), null, Duration.ofSeconds(5), List.of());
        SipConfig.SipService service = new SipConfig().sipService(props,
                beans.getBeanProvider(org.hotline.ivr.CallHandler.class),
                beans.getBeanProvider(org.hotline.ivr.PromptCatalogue.class),
                beans.getBeanProvider(io.micrometer.core.instrument.MeterRegistry.class),
                beans.getBeanProvider(org.hotline.db.DatabaseWatch.class),
                beans.getBeanProvider(org.springframework.boot.availability.ApplicationAvailability.class),
                beans.getBeanProvider(org.hotline.booking.SpokenNames.class),
                beans.getBeanProvider(org.hotline.handoff.Complaints.class));
        service.start();
        try {
            var readiness = new org.springframework.boot.health.application.ReadinessStateHealthIndicator(availability);
            assertThat(readiness.health().getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.OUT_OF_SERVICE);
            Sipp.Run early = Sipp.scenario(work, "uac_busy_503.xml", service.endpoint().port()).run(Duration.ofSeconds(20));
            assertThat(early.succeeded()).as(early.logs()).isTrue();
            assertThat(Sipp.messages(early)).matches("(?s).*busy: Retry-After: *10.*");
            assertThat(service.endpoint().outcomes()).containsEntry("not-ready", 1L).doesNotContainKey("answered");
            assertThat(seen.poll(500, TimeUnit.MILLISECONDS)).isNull();

            // the runners are done: Spring publishes ACCEPTING_TRAFFIC (SpringApplication, after callRunners)
            availability.onApplicationEvent(new org.springframework.boot.availability.AvailabilityChangeEvent<>(this,
                    org.springframework.boot.availability.ReadinessState.ACCEPTING_TRAFFIC));
            Sipp.Run later = Sipp.scenario(work, "uac_holds.xml", service.endpoint().port()).calls("500")
                    .args("-rtp_echo").run(Duration.ofSeconds(20));
            assertThat(later.succeeded()).as(later.logs()).isTrue();
            assertThat(next()).isEqualTo("flow ran");
            assertThat(next()).isEqualTo("hung up");
            assertThat(service.endpoint().outcomes()).containsEntry("answered", 1L);
        } finally {
            service.stop();
        }
    }
}
