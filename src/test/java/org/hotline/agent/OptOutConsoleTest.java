package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.handoff.TransferLog;
import org.hotline.outbound.OutboundCalls;
import org.hotline.outbound.Purpose;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/** An agent records "no more calls" for a number in the console: honoured at once; other roles may not. */
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
}
