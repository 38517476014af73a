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

    static SipUserAgent agent;
    static final BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    static volatile Consumer<CallChannel> flow = c -> { };

    @BeforeAll
    static void start() throws Exception {
        Path prompts = work.resolve("prompts");
        TestPrompts.write(prompts, "welcome", TestPrompts.tone(440, 1000));
        TestPrompts.write(prompts, "ask", TestPrompts.tone(660, 400));
        TestPrompts.write(prompts, "bye", TestPrompts.tone(330, 300));
        SipProperties props = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp", "tcp"), 3, 486,
                Duration.ofMillis(200), 30000, 39999, Duration.ofSeconds(4), prompts, null, Duration.ofSeconds(5),
                List.of());
        agent = new SipUserAgent(props, () -> call -> {
            try {
                flow.accept(call);
            } catch (CallerHungUp e) {
                seen.add("hung up");
            }
        }, new PromptAudio(prompts));
        agent.start();
    }

    @AfterAll
    static void stop() {
        if (agent != null) {
            agent.close();
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
            seen.add("caller " + call.callerNumber());
            call.collect(List.of(), 1, Duration.ofSeconds(30));
            seen.add("no hang-up seen");
        };
        Sipp.Run run = Sipp.scenario(work, "uac_rfc4733.xml", agent.port())
                .calls("hotline;1200:12|2500:4567#|3500:").args("-rtp_echo").run(Duration.ofSeconds(30));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(next()).isEqualTo("keys 12");
        assertThat(next()).isEqualTo("keys 4567");
        assertThat(next()).isEqualTo("caller 13800138000");
        assertThat(next()).isEqualTo("hung up");
    }
}
