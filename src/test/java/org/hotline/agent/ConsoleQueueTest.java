package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.ivr.CallResult;
import org.hotline.ivr.FlowEngine;
import org.hotline.ivr.TransferLog;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/** The wait the console reports to the voice menu, and the menu offering a call-back when it is long. */
@ConsoleTest
class ConsoleQueueTest {

    @Autowired JdbcTemplate jdbc;
    @Autowired TestClock clock;
    @Autowired AgentPresence presence;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired TransferDesk transfers;
    @Autowired FlowEngine menu;

    ConsoleQueue queue;
    ConsoleFixtures cfx;

    @BeforeEach
    void setUp() {
        // a morning of its own, years ahead, so only this test's transfers and agents count
        clock.set(LocalDateTime.of(2035, 1, 8, 10, 0).plusDays(System.nanoTime() % 300));
        AgentProperties props = new AgentProperties(null, null, null, null, null,
                new AgentProperties.Queue(Duration.ofMinutes(3), null, null, null));
        queue = new ConsoleQueue(jdbc, presence, clock, props);
        cfx = new ConsoleFixtures(users, transferLog, clock);
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    Actor agent() {
        return users.find(cfx.user(ConsoleRole.AGENT, null)).orElseThrow().actor();
    }

    @Test
    void theWaitIsTheCallsNotYetTakenSharedAmongTheAgentsAtTheirConsole() {
        assertThat(queue.expectedWait()).isEqualTo(Duration.ofHours(1));
        Actor a = agent();
        presence.seen(a);
        assertThat(queue.expectedWait()).isEqualTo(Duration.ZERO);
        String first = cfx.transfer(Fixtures.mobile(), Map.of()).transferId();
        cfx.transfer(Fixtures.mobile(), Map.of());
        cfx.transfer(Fixtures.mobile(), Map.of());
        assertThat(queue.expectedWait()).isEqualTo(Duration.ofMinutes(9));
        presence.seen(agent());
        assertThat(queue.expectedWait()).isEqualTo(Duration.ofSeconds(270));
        transfers.pickUp(a, first);
        assertThat(queue.expectedWait()).isEqualTo(Duration.ofMinutes(3));
        // consoles closed: nobody polls for a while
        clock.advance(Duration.ofMinutes(2));
        assertThat(queue.expectedWait()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void withNobodyAtAConsoleTheMenuOffersACallBackThatTheConsoleLists() {
        String caller = Fixtures.mobile();
        CallResult r = menu.withAgentQueue(queue).run(new MenuCaller(caller, "0", "1"));
        assertThat(r.end()).isEqualTo(CallResult.End.CALLBACK);
        assertThat(transferLog.callback(r.callbackId()).orElseThrow().reason()).isEqualTo("LONG_WAIT");
        assertThat(transferLog.callback(r.callbackId()).orElseThrow().callerNumber()).isEqualTo(caller);

        // with an agent at the console and nobody waiting, the same caller is put through
        presence.seen(agent());
        CallResult through = menu.withAgentQueue(queue).run(new MenuCaller(caller, "0"));
        assertThat(through.end()).isEqualTo(CallResult.End.TRANSFERRED);
    }
}
