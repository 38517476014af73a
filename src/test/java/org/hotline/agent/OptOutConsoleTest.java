package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;
import org.hotline.outbound.AsteriskManagerPeer;
import org.hotline.outbound.OutboundCalls;
import org.hotline.outbound.Purpose;
import org.hotline.outbound.QueueCalls;
import org.hotline.outbound.ami.AmiLinks;
import org.hotline.outbound.ami.AmiProperties;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * The console's parts of outbound calls (issue 18): an agent records "no more calls" for a number (honoured at once;
 * other roles may not), and the screen-pop when Asterisk connects an agent's phone (the AMI peer, the console's API).
 */
@ConsoleTest
class OptOutConsoleTest {

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired OutboundCalls calls;

    @Test
    void anAgentOptsANumberOutAndItsQueuedCallsEndADoctorMayNot() {
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        String number = Fixtures.mobile();
        LocalDateTime now = clock.now();
        long queued = calls.request(Purpose.WAITLIST_OFFER, "console-" + number, number, now.plusHours(1),
                now.plusDays(1)).orElseThrow();

        String centreDoctor = cfx.user(ConsoleRole.COMMUNITY_DOCTOR, fx.facility("COMMUNITY_CENTRE"));
        ConsoleClient doctor = new ConsoleClient(port).loggedIn(centreDoctor, ConsoleFixtures.PASSWORD);
        assertThat(doctor.post("/api/opt-outs", Map.of("number", number)).status()).isEqualTo(403);
        assertThat(calls.optedOut(number)).isFalse();

        String agentName = cfx.user(ConsoleRole.AGENT, null);
        ConsoleClient agent = new ConsoleClient(port).loggedIn(agentName, ConsoleFixtures.PASSWORD);
        assertThat(agent.post("/api/opt-outs", Map.of("number", "not a number")).status()).isEqualTo(400);
        ConsoleClient.Answer ok = agent.post("/api/opt-outs", Map.of("number", number));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).doesNotContain(number);
        assertThat(calls.optedOut(number)).isTrue();
        assertThat(jdbc.queryForMap("SELECT opted_out_via, opted_out_by FROM outbound_contact WHERE number = ?", number))
                .containsEntry("opted_out_via", "CONSOLE").containsEntry("opted_out_by", agentName);
        assertThat(jdbc.queryForObject("SELECT status FROM outbound_call WHERE id = ?", String.class, queued))
                .isEqualTo("OPTED_OUT");
        assertThat(jdbc.queryForObject("SELECT detail FROM audit_event WHERE username = ? AND action = 'OPT_OUT'",
                String.class, agentName)).doesNotContain(number).contains(org.hotline.booking.PhoneNumber.mask(number));
        assertThat(calls.request(Purpose.REMINDER, "console2-" + number, number, now, now.plusDays(1))).isEmpty();
    }

    @Autowired org.hotline.outbound.QueueCalls queueCalls;

    static AmiLinks links(AsteriskManagerPeer peer) {
        AmiLinks l = new AmiLinks(new AmiProperties(List.of(new AmiProperties.Server("pbx1", "127.0.0.1", peer.port(),
                "hotline", "s3cret-ami")), "hotline-agents", Duration.ofMillis(200), Duration.ofSeconds(1),
                Duration.ofSeconds(5)), new StaticListableBeanFactory().getBeanProvider(MeterRegistry.class));
        l.start();
        return l;
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

    /**
     * Issue 18's screen-pop through the console's API: an ADMIN puts an agent at a queue member's phone (audited;
     * the agent may not, a doctor cannot be put at a phone); when Asterisk connects that phone to a caller the menu
     * handed over (AgentConnect with the caller's HOTLINE_TRANSFER_ID as manager.conf channelvars sends it), that
     * agent's console gets the transfer at once, once, and it counts as the agent's pick-up; heard by two gateway
     * nodes it is written once; without the channel variable the transfer is found by the call's Uniqueid; a phone
     * nobody is at pops nothing. Checked with SQL of its own.
     */
    @Test
    void agentConnectOpensTheCallersTransferOnTheConsoleOfTheUserAtThatPhone() throws Exception {
        AsteriskManagerPeer peer = new AsteriskManagerPeer()
                .user("hotline", AsteriskManagerPeer.User.of("s3cret-ami", "call,agent", "originate,reporting"));
        AmiLinks links = links(peer);
        AmiLinks second = links(peer); // a second gateway node hears the same events
        try {
            waitFor(() -> links.anyConnected().isPresent() && second.anyConnected().isPresent(), 10);
            queueCalls.listenTo(links);
            queueCalls.listenTo(second);
            LocalDateTime now = clock.now();
            long epoch = System.nanoTime() % 1000;
            ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
            String admin = cfx.user(ConsoleRole.ADMIN, null);
            String agent = cfx.user(ConsoleRole.AGENT, null);
            String other = cfx.user(ConsoleRole.AGENT, null);
            String phone = "PJSIP/agent" + (7000 + epoch);
            ConsoleClient adminUi = new ConsoleClient(port)
                    .loggedIn(admin, ConsoleFixtures.PASSWORD);
            ConsoleClient agentUi = new ConsoleClient(port)
                    .loggedIn(agent, ConsoleFixtures.PASSWORD);
            ConsoleClient otherUi = new ConsoleClient(port)
                    .loggedIn(other, ConsoleFixtures.PASSWORD);

            assertThat(agentUi.get("/api/transfers/pop").status()).isEqualTo(204);
            assertThat(agentUi.post("/api/users/" + agent + "/phone", Map.of("memberInterface", phone)).status())
                    .as("only an admin sets phones").isEqualTo(403);
            assertThat(adminUi.post("/api/users/" + admin + "/phone", Map.of("memberInterface", phone)).json()
                    .get("problem").asString()).isEqualTo("NOT_AN_AGENT");
            assertThat(adminUi.post("/api/users/" + agent + "/phone", Map.of("memberInterface", "agent 8001;x"))
                    .json().get("problem").asString()).isEqualTo("BAD_INTERFACE");
            assertThat(adminUi.post("/api/users/" + agent + "/phone", Map.of("memberInterface", phone)).status())
                    .isEqualTo(200);
            assertThat(adminUi.get("/api/users/phones").body()).contains(phone, agent);

            String uid = "17480" + epoch + ".11";
            TransferContext t = new TransferContext("Tpop" + System.nanoTime(), uid, "13800138000", "138****8000",
                    null, 84, TransferReason.ASKED_FOR_PERSON, "outpatient", "choose_slot", Map.of("科室", "心内科"), 9,
                    now);
            transferLog.record(t);
            // app_queue.c order for an answered caller: join, the member rings, leave_queue, then AgentConnect
            peer.channelVariables(uid, Map.of(QueueCalls.TRANSFER_VARIABLE, t.transferId()));
            peer.callerJoin("hotline-agents", uid, 1, 1);
            peer.agentCalled("hotline-agents", uid, phone);
            peer.callerLeave("hotline-agents", uid, 1, 0);
            long connectedAt = System.nanoTime();
            peer.agentConnect("hotline-agents", uid, phone, 14, 3);
            ConsoleClient.Answer pop = null;
            while (System.nanoTime() - connectedAt < java.util.concurrent.TimeUnit.SECONDS.toNanos(5)) {
                pop = agentUi.get("/api/transfers/pop");
                if (pop.status() == 200) {
                    break;
                }
                Thread.sleep(50);
            }
            long popMillis = (System.nanoTime() - connectedAt) / 1_000_000;
            System.out.println("screen-pop: AgentConnect to the agent's console answer in " + popMillis + " ms");
            assertThat(pop.status()).isEqualTo(200);
            assertThat(pop.json().get("transferId").asString()).isEqualTo(t.transferId());
            assertThat(agentUi.get("/api/transfers/pop").status()).as("shown once").isEqualTo(204);
            assertThat(otherUi.get("/api/transfers/pop").status()).as("only to the user at that phone").isEqualTo(204);
            var detail = agentUi.get("/api/transfers/" + t.transferId()).json();
            assertThat(detail.get("transfer").get("pickedBy").asString()).isEqualTo(agent);
            assertThat(detail.get("transfer").get("context").get("choices").toString()).contains("心内科");
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM screen_pop WHERE transfer_id = ?", Integer.class,
                    t.transferId())).as("two nodes heard it, one pop").isEqualTo(1);
            assertThat(jdbc.queryForList("SELECT CONCAT(username, ' ', action, ' ', outcome) FROM audit_event "
                    + "WHERE (action = 'SET_PHONE' AND detail LIKE ?) OR (action = 'SCREEN_POP' AND transfer_id = ?) "
                    + "ORDER BY id", String.class, agent + "%", t.transferId()))
                    .contains(admin + " SET_PHONE REFUSED", admin + " SET_PHONE OK", agent + " SCREEN_POP OK");

            // no channelvars: the transfer the same call recorded (Uniqueid = AGI call id)
            String uid2 = "17480" + epoch + ".12";
            TransferContext t2 = new TransferContext("Tpop" + System.nanoTime(), uid2, "13800138001", "138****8001",
                    null, 71, TransferReason.ASKED_FOR_PERSON, "main", "menu", Map.of(), 5, now);
            transferLog.record(t2);
            peer.callerLeave("hotline-agents", uid2, 1, 0);
            peer.agentConnect("hotline-agents", uid2, phone, 5, 2);
            waitFor(() -> jdbc.queryForObject("SELECT COUNT(*) FROM screen_pop WHERE transfer_id = ?",
                    Integer.class, t2.transferId()) == 1, 5);
            assertThat(agentUi.get("/api/transfers/pop").json().get("transferId").asString()).isEqualTo(t2.transferId());

            // a phone nobody is at: nothing for anyone
            String uid3 = "17480" + epoch + ".13";
            TransferContext t3 = new TransferContext("Tpop" + System.nanoTime(), uid3, "13800138002", "138****8002",
                    null, 66, TransferReason.ASKED_FOR_PERSON, "main", "menu", Map.of(), 5, now);
            transferLog.record(t3);
            peer.channelVariables(uid3, Map.of(QueueCalls.TRANSFER_VARIABLE, t3.transferId()));
            peer.agentConnect("hotline-agents", uid3, "PJSIP/agent6999", 5, 2);
            // events are handled in order on each link's thread: once the next call's pop is there, uid3 was handled
            String uid4 = "17480" + epoch + ".14";
            TransferContext t4 = new TransferContext("Tpop" + System.nanoTime(), uid4, "13800138003", "138****8003",
                    null, 66, TransferReason.ASKED_FOR_PERSON, "main", "menu", Map.of(), 5, now);
            transferLog.record(t4);
            peer.agentConnect("hotline-agents", uid4, phone, 5, 2);
            waitFor(() -> jdbc.queryForObject("SELECT COUNT(*) FROM screen_pop WHERE transfer_id = ?",
                    Integer.class, t4.transferId()) == 1, 5);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM screen_pop WHERE transfer_id = ?", Integer.class,
                    t3.transferId())).isZero();
        } finally {
            second.stop();
            links.stop();
            peer.close();
        }
    }
}
