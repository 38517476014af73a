package org.hotline.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.asteriskjava.manager.action.OriginateAction;
import org.asteriskjava.manager.event.ManagerEvent;
import org.asteriskjava.manager.event.QueueCallerAbandonEvent;
import org.asteriskjava.manager.event.QueueCallerJoinEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.outbound.ami.AgentConnectWithVariables;
import org.hotline.outbound.ami.AmiLink;
import org.hotline.outbound.ami.AmiLinks;
import org.hotline.outbound.ami.AmiProperties;

/**
 * The AMI link against {@link AsteriskManagerPeer}, Asterisk's manager protocol over a real socket: the peer's
 * own strictness (raw wire), MD5 login with a least-privilege user, events, asynchronous Originate, QueueSummary,
 * and reconnecting with back-off when Asterisk is away or refuses the login.
 */
class AmiLinkTest {

    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private AsteriskManagerPeer peer(int port) throws Exception {
        AsteriskManagerPeer p = new AsteriskManagerPeer(port)
                .user("hotline", AsteriskManagerPeer.User.of("s3cret-ami", "call,agent", "originate,reporting"));
        closing.add(p);
        return p;
    }

    private AmiLinks links(int port, String secret) {
        return links(port, "hotline", secret);
    }

    private AmiLinks links(int port, String user, String secret) {
        AmiProperties props = new AmiProperties(
                List.of(new AmiProperties.Server("pbx1", "127.0.0.1", port, user, secret)), "hotline-agents",
                Duration.ofMillis(200), Duration.ofMillis(800), Duration.ofSeconds(5));
        AmiLinks l = new AmiLinks(props, new StaticListableBeanFactory().getBeanProvider(MeterRegistry.class));
        closing.add(l::stop);
        return l;
    }

    /**
     * The peer itself, on the raw wire, as manager.c answers (session_do, get_input, process_message,
     * action_login, action_originate, fast_originate): banner, LF-only lines accepted, ActionID echoed, login first,
     * no FullyBooted for a user who does not read "system", unknown action, list framing, Originate's checks in
     * Asterisk's order, OriginateResponse's exact fields (no channel for a call that was not answered), a
     * synchronous Originate held until the call ends, an over-long line, and a failed login that ends the session.
     */
    @Test
    void thePeerSpeaksTheManagerProtocolOnTheWire() throws Exception {
        AsteriskManagerPeer p = peer(0);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), p.port())) {
            s.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).isEqualTo("Asterisk Call Manager/" + AsteriskManagerPeer.AMI_VERSION);
            send(out, "Action: QueueSummary\nActionID: a1\n\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: a1", "Message: Permission denied");
            send(out, "Action: Challenge\r\nActionID: a0\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: a0", "Message: Must specify AuthType");
            send(out, "Action: Login\r\nActionID: a2\r\nUsername: hotline\r\nSecret: s3cret-ami\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Success", "ActionID: a2",
                    "Message: Authentication accepted");
            // read = call,agent: no FullyBooted (action_login sends it only to readers of "system")
            send(out, "Action: Login\r\nActionID: a2b\r\nUsername: hotline\r\nSecret: s3cret-ami\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Success", "ActionID: a2b",
                    "Message: Already authenticated");
            send(out, "Action: Frobnicate\r\nActionID: a3\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: a3",
                    "Message: Invalid/unknown command: Frobnicate. Use Action: ListCommands to show available commands.");
            send(out, "Action: Command\r\nActionID: a4\r\nCommand: core show version\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: a4", "Message: Permission denied");
            p.queue(new AsteriskManagerPeer.QueueState("hotline-agents", 3, 1, 2, 40, 75));
            send(out, "Action: QueueSummary\r\nActionID: a5\r\nQueue: hotline-agents\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Success", "ActionID: a5", "EventList: start",
                    "Message: Queue summary will follow");
            assertThat(message(in)).containsExactly("Event: QueueSummary", "Queue: hotline-agents", "LoggedIn: 3",
                    "Available: 1", "Callers: 2", "HoldTime: 40", "TalkTime: 120", "LongestHoldTime: 75", "ActionID: a5");
            assertThat(message(in)).containsExactly("Event: QueueSummaryComplete", "ActionID: a5", "EventList: Complete",
                    "ListItems: 1");
            // action_originate's checks, in its order
            send(out, "Action: Originate\r\nActionID: o1\r\nChannel: PJSIP/010@carrier-trunk\r\nContext: x\r\n"
                    + "Exten: s\r\nPriority: 1\r\nAsync: true\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: o1", "Message: Extension does not exist.");
            send(out, "Action: Originate\r\nActionID: o2\r\nChannel: carrier-trunk\r\nContext: hotline-outbound\r\n"
                    + "Exten: s\r\nPriority: 1\r\nAsync: true\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: o2", "Message: Invalid channel");
            send(out, "Action: Originate\r\nActionID: o3\r\nChannel: PJSIP/010@carrier-trunk\r\n"
                    + "Application: AGI\r\nData: agi://10.0.0.1/x\r\nAsync: true\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: o3",
                    "Message: Originate Access Forbidden: app or data blacklisted");
            send(out, "Action: Originate\r\nActionID: a6\r\nChannel: PJSIP/010@carrier-trunk\r\n"
                    + "Context: hotline-outbound\r\nExten: s\r\nPriority: 1\r\nCallerID: \"12320\" <12320>\r\n"
                    + "Async: yes\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Success", "ActionID: a6",
                    "Message: Originate successfully queued");
            p.nextOriginate(5).respond(5);
            assertThat(message(in)).containsExactly("Event: OriginateResponse", "Privilege: call,all", "ActionID: a6",
                    "Response: Failure", "Channel: PJSIP/010@carrier-trunk", "Context: hotline-outbound", "Exten: s",
                    "Reason: 5", "Uniqueid: <unknown>", "CallerIDNum: 12320", "CallerIDName: 12320");
            send(out, "Action: Originate\r\nActionID: a7\r\nChannel: PJSIP/010@carrier-trunk\r\n"
                    + "Context: hotline-outbound\r\nExten: s\r\nPriority: 1\r\nAsync: true\r\n\r\n");
            assertThat(message(in)).contains("Message: Originate successfully queued");
            String uid = p.nextOriginate(5).respond(4);
            assertThat(message(in)).contains("Response: Success", "Uniqueid: " + uid, "CallerIDNum: <unknown>")
                    .anySatisfy(l -> assertThat(l).matches("Channel: PJSIP/carrier-trunk-[0-9a-f]{8}"));
            // synchronous: the session answers only when the call has ended, and sends no event
            send(out, "Action: Originate\r\nActionID: a8\r\nChannel: PJSIP/010@carrier-trunk\r\n"
                    + "Context: hotline-outbound\r\nExten: s\r\nPriority: 1\r\n\r\n");
            AsteriskManagerPeer.Originate sync = p.nextOriginate(5);
            Thread.sleep(200);
            assertThat(in.ready()).as("held while the phone rings").isFalse();
            sync.respond(3);
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: a8", "Message: Originate failed");
            send(out, "Action: Ping\r\nX-Long: " + "x".repeat(2000) + "\r\nActionID: a9\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "ActionID: a9",
                    "Message: Failed to parse message: line too long");
            send(out, "Action: Ping\r\nActionID: a10\r\n\r\n");
            assertThat(message(in)).startsWith("Response: Success", "ActionID: a10", "Ping: Pong");
        }
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), p.port())) {
            s.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            in.readLine();
            long t0 = System.nanoTime();
            send(s.getOutputStream(), "Action: Login\r\nUsername: hotline\r\nSecret: guess\r\n\r\n");
            assertThat(message(in)).containsExactly("Response: Error", "Message: Authentication failed");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("action_login sleeps 1 s first").isGreaterThanOrEqualTo(900);
            assertThat(in.readLine()).as("the session ends").isNull();
        }
    }

    /**
     * asterisk-java against the peer with the gateway's user exactly as sip-config/manager.conf defines it (its read
     * and write classes and eventfilters): MD5 login, queue events (AgentCalled is filtered out by manager.conf, so
     * the gateway never hears it), AgentConnect with the caller's and the member's ChanVariable read into
     * {@link AgentConnectWithVariables}, QueueSummary and Originate.
     */
    @Test
    void logsInWithMd5ChallengeAndHearsQueueEventsAndOriginates() throws Exception {
        AsteriskManagerPeer p = peer(0).user("hotline-gateway", AsteriskManagerPeer.User.fromManagerConf(
                Path.of("sip-config/manager.conf"), "hotline-gateway", "s3cret-ami"));
        AmiLinks l = links(p.port(), "hotline-gateway", "s3cret-ami");
        List<ManagerEvent> heard = new CopyOnWriteArrayList<>();
        l.onEvent((name, e) -> heard.add(e));
        l.start();
        waitFor(() -> l.anyConnected().isPresent(), 10);
        // asterisk-java asked for the challenge and sent the MD5 key, never the secret
        assertThat(p.actions).anySatisfy(a -> assertThat(AsteriskManagerPeer.get(a, "Action")).isEqualTo("Challenge"));
        assertThat(p.actions).filteredOn(a -> "Login".equalsIgnoreCase(AsteriskManagerPeer.get(a, "Action")))
                .allSatisfy(a -> {
                    assertThat(AsteriskManagerPeer.get(a, "AuthType")).isEqualToIgnoringCase("md5");
                    assertThat(AsteriskManagerPeer.get(a, "Secret")).isNull();
                });

        p.channelVariables("1733390000.7", java.util.Map.of("HOTLINE_TRANSFER_ID", "T42"));
        p.callerJoin("hotline-agents", "1733390000.7", 1, 1);
        p.agentCalled("hotline-agents", "1733390000.7", "PJSIP/agent8001");
        p.callerLeave("hotline-agents", "1733390000.7", 1, 0);
        p.agentConnect("hotline-agents", "1733390000.7", "PJSIP/agent8001", 12, 3);
        p.callerAbandon("hotline-agents", "1733390000.8", 1, 2, 33);
        waitFor(() -> heard.stream().anyMatch(QueueCallerAbandonEvent.class::isInstance), 5);
        assertThat(heard).anySatisfy(e -> {
            assertThat(e).isInstanceOf(QueueCallerJoinEvent.class);
            assertThat(((QueueCallerJoinEvent) e).getUniqueId()).isEqualTo("1733390000.7");
            assertThat(((QueueCallerJoinEvent) e).getPosition()).isEqualTo(1);
        });
        assertThat(heard).anySatisfy(e -> {
            assertThat(e).isInstanceOf(AgentConnectWithVariables.class);
            AgentConnectWithVariables c = (AgentConnectWithVariables) e;
            assertThat(c.getHoldTime()).isEqualTo(12L);
            assertThat(c.getRingtime()).isEqualTo(3L);
            assertThat(c.getMemberName()).isEqualTo("PJSIP/agent8001");
            assertThat(c.getInterface()).isEqualTo("PJSIP/agent8001");
            assertThat(c.getChanVariables()).containsEntry("HOTLINE_TRANSFER_ID", "T42");
            assertThat(c.getDestChanVariables()).containsEntry("HOTLINE_TRANSFER_ID", "T42");
            assertThat(c.variable("HOTLINE_TRANSFER_ID")).isEqualTo("T42");
        });
        assertThat(heard).as("manager.conf's eventfilter keeps AgentCalled away")
                .noneMatch(e -> e.getClass().getSimpleName().equals("AgentCalledEvent"));
        assertThat(heard).anyMatch(e -> e.getClass().getSimpleName().equals("QueueCallerLeaveEvent"));
        assertThat(heard).filteredOn(QueueCallerAbandonEvent.class::isInstance)
                .singleElement().satisfies(e -> assertThat(((QueueCallerAbandonEvent) e).getHoldTime()).isEqualTo(33));

        p.queue(new AsteriskManagerPeer.QueueState("hotline-agents", 2, 1, 0, 5, 0));
        assertThat(l.queueSummary()).hasValueSatisfying(q -> {
            assertThat(q.available()).isEqualTo(1);
            assertThat(q.loggedIn()).isEqualTo(2);
        });

        OriginateAction o = new OriginateAction();
        o.setChannel("PJSIP/01088886666@carrier-trunk");
        o.setContext("hotline-outbound");
        o.setExten("s");
        o.setPriority(1);
        o.setTimeout(30_000L);
        CompletableFuture<AmiLink.OriginateResult> r = CompletableFuture.supplyAsync(
                () -> l.originate(o, Duration.ofSeconds(10)));
        AsteriskManagerPeer.Originate seen = p.nextOriginate(5);
        assertThat(seen.header("Async")).isEqualToIgnoringCase("true");
        String uid = seen.respond(AmiLink.OriginateResult.ANSWERED);
        AmiLink.OriginateResult res = r.get(10, TimeUnit.SECONDS);
        assertThat(res.success()).isTrue();
        assertThat(res.reason()).isEqualTo(4);
        assertThat(res.uniqueId()).isEqualTo(uid);

        CompletableFuture<AmiLink.OriginateResult> busy = CompletableFuture.supplyAsync(
                () -> l.originate(o, Duration.ofSeconds(10)));
        p.nextOriginate(5).respond(AmiLink.OriginateResult.BUSY);
        assertThat(busy.get(10, TimeUnit.SECONDS)).satisfies(b -> {
            assertThat(b.success()).isFalse();
            assertThat(b.reason()).isEqualTo(5);
        });
    }

    @Test
    void reconnectsWithBackOffAfterAsteriskGoesAwayAndAfterARefusedLogin() throws Exception {
        AsteriskManagerPeer p = peer(0);
        int port = p.port();
        AmiLinks l = links(port, "s3cret-ami");
        l.start();
        AmiLink link = l.links().get(0);
        waitFor(link::connected, 10);

        p.close();
        waitFor(() -> !link.connected(), 10);
        long failuresWhileAway = link.failures();
        Thread.sleep(1500);
        // back-off: 200, 400, 800, 800 ms... at most a handful of tries in 1.5 s, not a tight loop
        assertThat(link.failures() - failuresWhileAway).isBetween(1L, 6L);

        AsteriskManagerPeer again = peer(port);
        waitFor(link::connected, 10);
        assertThat(again.sessionsLoggedIn()).isEqualTo(1);

        AmiLinks wrong = links(again.port(), "not-the-secret");
        wrong.start();
        AmiLink w = wrong.links().get(0);
        waitFor(() -> w.failures() >= 2, 10);
        assertThat(w.connected()).isFalse();
        assertThat(w.lastError()).contains("Authentication failed");
        assertThat(w.details()).doesNotContainValue("not-the-secret");
    }

    private static void send(OutputStream out, String s) throws Exception {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static List<String> message(BufferedReader in) throws Exception {
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            lines.add(line);
        }
        return lines;
    }

    static void waitFor(BooleanSupplier c, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met in " + seconds + " s");
            }
            Thread.sleep(20);
        }
    }
}
