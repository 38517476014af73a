package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallHandler;
import org.hotline.ivr.CallerHungUp;

/**
 * The adapter against Asterisk's exact FastAGI wire over a real socket ({@link AsteriskCall}), with a
 * small call handler per test standing in for the flow engine.
 */
class FastAgiWireTest {

    static final Duration T = Duration.ofSeconds(10);
    static final AtomicReference<CallHandler> handler = new AtomicReference<>();
    static FastAgiListener listener;
    static int port;

    @BeforeAll
    static void start() {
        listener = new FastAgiListener(AgiSettings.defaults().port(0).build(), call -> handler.get().answer(call));
        listener.start();
        port = listener.port();
    }

    @AfterAll
    static void stop() {
        listener.stop();
    }

    /** Runs the handler for one call and returns what it saw. */
    static <R> CompletableFuture<R> on(java.util.function.Function<CallChannel, R> flow) {
        CompletableFuture<R> seen = new CompletableFuture<>();
        handler.set(call -> {
            try {
                seen.complete(flow.apply(call));
            } catch (RuntimeException e) {
                seen.completeExceptionally(e);
                throw e;
            }
        });
        return seen;
    }

    static String cmd(String prompt) {
        return "\"hotline/zh-CN/" + prompt + "\"";
    }

    @Test
    void theEnvironmentBlockGivesTheCallIdAndTheCallersNumber() throws Exception {
        var seen = on(call -> call.callId() + "|" + call.callerNumber());
        var t = AsteriskCall.to(port).uniqueId("1732000000.42").callerId("13800138000").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("1732000000.42|13800138000");
        assertThat(t.serverClosed).isTrue();

        var withheld = on(call -> call.callerNumber());
        AsteriskCall.to(port).callerId(null).run();
        assertThat(withheld.get(5, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void playStreamsEachPromptWithEveryKeyAsBargeInAndReturnsTheKey() throws Exception {
        var seen = on(call -> call.play(List.of("welcome", "menu", "never")));
        var t = AsteriskCall.to(port).keysDuring("menu", "2").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo('2');
        assertThat(t.commands).startsWith("STREAM FILE " + cmd("welcome") + " \"0123456789*#\"",
                "STREAM FILE " + cmd("menu") + " \"0123456789*#\"");
        assertThat(t.replies.get(0)).matches("200 result=0 endpos=\\d+\n");
        assertThat(t.replies.get(1)).matches("200 result=50 endpos=\\d+\n");
        assertThat(t.sounds).doesNotContain("hotline/zh-CN/never");
    }

    @Test
    void playWithoutAKeyReturnsNulAfterTheLastPrompt() throws Exception {
        var seen = on(call -> call.play(List.of("a", "b")));
        var t = AsteriskCall.to(port).keys("1").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo('\0');
        assertThat(t.sounds).containsExactly("hotline/zh-CN/a", "hotline/zh-CN/b");
    }

    @Test
    void aMissingSoundFileIsSkippedNotTakenForAHangUp() throws Exception {
        var seen = on(call -> call.play(List.of("missing", "welcome")));
        var t = AsteriskCall.to(port).installed(s -> !s.endsWith("missing")).keys("1").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo('\0');
        assertThat(t.replies.get(0)).isEqualTo("200 result=-1 endpos=0\n");
        assertThat(t.commands.get(1)).isEqualTo("CHANNEL STATUS");
        assertThat(t.commands.get(2)).startsWith("STREAM FILE " + cmd("welcome"));
        assertThat(t.deadReplies).isZero();
    }

    @Test
    void anEighteenCharacterIdComesBackExactlyAsKeyed() throws Exception {
        var seen = on(call -> call.collect(List.of("ask_id"), 18, T));
        var t = AsteriskCall.to(port).keys("11010519491231002*").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("11010519491231002*");
        assertThat(t.commands.get(0)).isEqualTo("GET DATA " + cmd("ask_id") + " 10000 18");
        assertThat(t.replies.get(0)).isEqualTo("200 result=11010519491231002*\n");
    }

    @Test
    void nothingKeyedBeforeTheTimeoutGivesAnEmptyString() throws Exception {
        var seen = on(call -> call.collect(List.of("menu"), 1, T));
        var t = AsteriskCall.to(port).silence().run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEmpty();
        assertThat(t.replies.get(0)).isEqualTo("200 result= (timeout)\n");
    }

    @Test
    void hashEndsAnEntryAndIsNotPartOfIt() throws Exception {
        var seen = on(call -> call.collect(List.of("ask_phone"), 11, T));
        AsteriskCall.to(port).keys("123#").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("123");

        var onlyHash = on(call -> call.collect(List.of("ask_phone"), 11, T));
        var t = AsteriskCall.to(port).keys("#").run();
        assertThat(onlyHash.get(5, TimeUnit.SECONDS)).isEmpty();
        assertThat(t.replies.get(0)).isEqualTo("200 result=\n");
    }

    @Test
    void aPartEntryThenATimeoutGivesWhatWasKeyed() throws Exception {
        var seen = on(call -> call.collect(List.of("ask_code"), 6, T));
        var t = AsteriskCall.to(port).keys("12").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("12");
        assertThat(t.replies.get(0)).isEqualTo("200 result=12 (timeout)\n");
    }

    @Test
    void aKeyDuringAnEarlierPromptStartsTheEntryAndTheRestIsReadKeyByKey() throws Exception {
        var seen = on(call -> call.collect(List.of("intro", "ask"), 3, Duration.ofSeconds(7)));
        var t = AsteriskCall.to(port).keysDuring("intro", "123").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("123");
        assertThat(t.commands).containsSubsequence("STREAM FILE " + cmd("intro") + " \"0123456789*#\"",
                "WAIT FOR DIGIT 7000", "WAIT FOR DIGIT 7000");
        assertThat(t.commands).noneMatch(c -> c.startsWith("GET DATA"));
    }

    @Test
    void aHangUpDuringGetDataThrowsCallerHungUpAndTheCallSendsNothingMoreThatNeedsAChannel() throws Exception {
        var mid = on(call -> {
            List<String> events = new ArrayList<>();
            try {
                call.collect(List.of("ask_id"), 18, T);
                events.add("returned");
            } catch (CallerHungUp e) {
                events.add("hung up");
            }
            try {
                call.play(List.of("goodbye"));
                events.add("played");
            } catch (CallerHungUp e) {
                events.add("hung up again");
            }
            return events;
        });
        var t3 = AsteriskCall.to(port).noHangupNotice().hangUp().run();
        assertThat(mid.get(5, TimeUnit.SECONDS)).containsExactly("hung up", "hung up again");
        assertThat(t3.commands).noneMatch(c -> c.contains("goodbye"));
        assertThat(t3.replies.get(0)).isEqualTo("200 result=-1\n");
        // the -1 is checked with a command that needs a live channel: Asterisk answers 511
        assertThat(t3.commands.get(1)).isEqualTo("CHANNEL STATUS");
        assertThat(t3.replies.get(1)).isEqualTo(AsteriskCall.DEAD_CHANNEL + "\n");
        assertThat(t3.deadReplies).isEqualTo(1);
        assertThat(t3.commands.subList(2, t3.commands.size())).allMatch(c -> c.startsWith("SET VARIABLE"));
        assertThat(t3.callerHungUp).isTrue();
    }

    @Test
    void aHangUpDuringAPromptThrowsCallerHungUp() throws Exception {
        var seen = on(call -> {
            try {
                call.play(List.of("welcome", "menu"));
                return "played";
            } catch (CallerHungUp e) {
                return "hung up";
            }
        });
        var t = AsteriskCall.to(port).hangUpDuring("welcome").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("hung up");
        assertThat(t.replies.get(0)).matches("200 result=-1 endpos=\\d+\n");
        assertThat(t.commands).noneMatch(c -> c.contains("menu"));
        // HANGUP followed the -1 at once, so the call knew without asking: no 511 needed
        assertThat(t.commands.subList(1, t.commands.size())).allMatch(
                c -> c.startsWith("SET VARIABLE") || c.equals("CHANNEL STATUS"));
        assertThat(t.deadReplies).isLessThanOrEqualTo(1);
    }

    @Test
    void newerAsteriskWordingOf511IsAHangUpToo() throws Exception {
        var seen = on(call -> {
            try {
                call.play(List.of("welcome"));
                return "played";
            } catch (CallerHungUp e) {
                return "hung up";
            }
        });
        var t = AsteriskCall.to(port).deadChannelText(AsteriskCall.DEAD_CHANNEL_NEW).noHangupNotice()
                .hangUpDuring("welcome").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("hung up");
        assertThat(t.replies).contains(AsteriskCall.DEAD_CHANNEL_NEW + "\n");
    }

    @Test
    void aHangUpWhileTheFlowIsBusyIsNoticedBeforeTheNextCommandIsSent() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch hungUp = new CountDownLatch(1);
        var seen = on(call -> {
            call.collect(List.of("menu"), 1, T);
            asked.countDown();
            try {
                hungUp.await(5, TimeUnit.SECONDS);
                Thread.sleep(200); // the booking core is working; HANGUP arrives meanwhile
                call.play(List.of("your_booking"));
                return "played";
            } catch (CallerHungUp e) {
                return "hung up";
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        AsteriskCall a = AsteriskCall.to(port).keys("1").keys("1").build();
        var running = CompletableFuture.supplyAsync(a::run);
        assertThat(asked.await(5, TimeUnit.SECONDS)).isTrue();
        a.hangUpNow();
        hungUp.countDown();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("hung up");
        var t = running.get(5, TimeUnit.SECONDS);
        assertThat(t.commands).noneMatch(c -> c.contains("your_booking"));
        assertThat(t.deadReplies).isZero();
    }

    @Test
    void aTransferLeavesTheTransferIdAndQueuePriorityForTheDialplanAndReturns() throws Exception {
        var seen = on(call -> {
            call.transferToAgent("TR-77", 8);
            return "done";
        });
        var t = AsteriskCall.to(port).run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(t.variables).containsEntry("HOTLINE_TRANSFER_ID", "TR-77").containsEntry("QUEUE_PRIO", "8")
                .containsEntry("HOTLINE_NEXT", "AGENT").containsEntry("AJ_AGISTATUS", "SUCCESS");
        assertThat(t.commands).noneMatch(c -> c.startsWith("HANGUP") || c.startsWith("EXEC"));
        assertThat(t.serverHungUp).isFalse();
        assertThat(t.serverClosed).isTrue();
    }

    @Test
    void hangUpMarksTheDialplanThenHangsUp() throws Exception {
        var seen = on(call -> {
            call.play(List.of("goodbye"));
            call.hangUp();
            try {
                call.play(List.of("after"));
                return "played after hang-up";
            } catch (CallerHungUp e) {
                return "gone";
            }
        });
        var t = AsteriskCall.to(port).keys("1").run();
        assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("gone");
        assertThat(t.commands).containsSubsequence("SET VARIABLE \"HOTLINE_NEXT\" \"HANGUP\"", "HANGUP");
        assertThat(t.serverHungUp).isTrue();
        assertThat(t.commands).noneMatch(c -> c.contains("after"));
    }

    @Test
    void aFlowThatEndsWithoutSayingHowAndAFlowThatFailsBothSendTheCallerToAPerson() throws Exception {
        // a flow that did not decide (the engine could not even hand the call over) is never a hang-up (issue 14)
        on(call -> "nothing");
        assertThat(AsteriskCall.to(port).run().variable("HOTLINE_NEXT")).isEqualTo("AGENT");

        on(call -> {
            throw new IllegalStateException("flow bug");
        });
        var t = AsteriskCall.to(port).run();
        assertThat(t.variable("HOTLINE_NEXT")).isEqualTo("AGENT");
        assertThat(t.serverClosed).isTrue();
    }

    @Test
    void anotherScriptNameIsNotServed() throws Exception {
        var seen = on(call -> "ran");
        var t = AsteriskCall.to(port).script("other").run();
        assertThat(seen).isNotDone();
        assertThat(t.variable("AJ_AGISTATUS")).isEqualTo("NOT_FOUND");
    }

    @Test
    void everyLogLineOfACallCarriesItsCallId() throws Exception {
        Logger flowLog = (Logger) LoggerFactory.getLogger("test.flow");
        Logger adapterLog = (Logger) LoggerFactory.getLogger(AgiCall.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        // another test class's Spring context may have set the root level to WARN
        flowLog.setLevel(ch.qos.logback.classic.Level.INFO);
        adapterLog.setLevel(ch.qos.logback.classic.Level.INFO);
        flowLog.addAppender(lines);
        adapterLog.addAppender(lines);
        try {
            var seen = on(call -> {
                LoggerFactory.getLogger("test.flow").info("in the menu");
                call.collect(List.of("menu"), 1, T);
                return "x";
            });
            AsteriskCall.to(port).uniqueId("1732000001.7").hangUp().run();
            assertThatThrownBy(() -> seen.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(CallerHungUp.class);
            assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).contains("in the menu",
                    "caller hung up");
            assertThat(lines.list).allSatisfy(
                    e -> assertThat(e.getMDCPropertyMap()).containsEntry("callId", "1732000001.7"));
        } finally {
            flowLog.detachAppender(lines);
            adapterLog.detachAppender(lines);
            flowLog.setLevel(null);
            adapterLog.setLevel(null);
        }
    }

    @Test
    void aBusyPortFailsStartUpInsteadOfOnlyLoggingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            FastAgiListener second = new FastAgiListener(AgiSettings.defaults().port(taken.getLocalPort()).build(),
                    call -> { });
            assertThatThrownBy(second::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(":" + taken.getLocalPort()).hasMessageContaining("hotline.agi.port");
            assertThat(second.isRunning()).isFalse();
        }
    }

    @Test
    void sixHundredCallsAtOnceAreAllServedPastTheLibrarysFiveHundred() throws Exception {
        int calls = 600;
        CountDownLatch all = new CountDownLatch(calls);
        CountDownLatch release = new CountDownLatch(1);
        ConcurrentHashMap<String, Boolean> served = new ConcurrentHashMap<>();
        handler.set(call -> {
            served.put(call.callId(), true);
            all.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            call.play(List.of("goodbye"));
            call.hangUp();
        });
        ExecutorService callers = Executors.newFixedThreadPool(calls);
        try {
            List<Future<AsteriskCall.Transcript>> ts = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                ts.add(callers.submit(() -> AsteriskCall.to(port).keys("1").run()));
            }
            assertThat(all.await(30, TimeUnit.SECONDS)).as("all %d calls reached the flow", calls).isTrue();
            assertThat(listener.activeCalls()).isEqualTo(calls);
            release.countDown();
            for (Future<AsteriskCall.Transcript> f : ts) {
                assertThat(f.get(30, TimeUnit.SECONDS).serverHungUp).isTrue();
            }
            assertThat(served).hasSize(calls);
            assertThat(listener.rejectedCalls()).isZero();
        } finally {
            release.countDown();
            callers.shutdownNow();
        }
    }

    @Test
    void shutdownLetsShortCallsFinishAndCutsCallsThatDoNot() throws Exception {
        FastAgiListener own = new FastAgiListener(
                AgiSettings.defaults().port(0).timeouts(Duration.ofMinutes(1), Duration.ofMillis(500)).build(),
                call -> {
                    if (call.callerNumber().equals("1")) {
                        sleep(200); // finishes within the drain time
                        call.hangUp();
                    } else {
                        try {
                            call.collect(List.of("menu"), 1, Duration.ofSeconds(60));
                        } catch (CallerHungUp e) {
                            cut.complete(true);
                            throw e;
                        }
                    }
                });
        own.start();
        var shortCall = CompletableFuture.supplyAsync(() -> AsteriskCall.to(own.port()).callerId("1").run());
        // the long call's caller thinks for a minute at the first question
        var longCall = CompletableFuture.supplyAsync(() -> AsteriskCall.to(own.port()).callerId("2").timeScale(1)
                .silence().build().run());
        waitFor(() -> own.activeCalls() == 2);
        long t0 = System.nanoTime();
        own.stop();
        long stopMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(shortCall.get(5, TimeUnit.SECONDS).serverHungUp).as("the short call ended normally").isTrue();
        assertThat(cut.get(5, TimeUnit.SECONDS)).as("the long call's flow heard 'hung up'").isTrue();
        assertThat(stopMs).isBetween(400L, 5000L);
        assertThat(own.activeCalls()).isZero();
        longCall.cancel(true);
    }

    static final CompletableFuture<Boolean> cut = new CompletableFuture<>();

    @Test
    void anAsteriskThatGoesSilentIsTakenForAHangUpAfterTheReadTimeout() throws Exception {
        CompletableFuture<String> seen = new CompletableFuture<>();
        FastAgiListener own = new FastAgiListener(
                AgiSettings.defaults().port(0).timeouts(Duration.ofMillis(300), Duration.ofSeconds(1)).build(),
                call -> {
                    try {
                        call.play(List.of("welcome"));
                        seen.complete("played");
                    } catch (CallerHungUp e) {
                        seen.complete("hung up");
                    }
                });
        own.start();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), own.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("agi_network: yes\nagi_network_script: hotline\nagi_request: agi://127.0.0.1/hotline\n"
                    + "agi_uniqueid: 1.1\nagi_callerid: 13800138000\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            String first = readLine(in);
            assertThat(first).startsWith("STREAM FILE");
            // ... and never answer
            assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("hung up");
        } finally {
            own.stop();
        }
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            b.append((char) c);
        }
        return b.toString();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
