package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.handoff.TransferLog;
import org.hotline.handoff.WaitingCalls;
import org.hotline.ivr.CallResult;
import org.hotline.ivr.Engines;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/** The wait the console reports to the voice menu, and the menu offering a call-back when it is long. */
@ConsoleTest
class ConsoleQueueTest {

    @Autowired ApplicationContext ctx;
    @Autowired JdbcTemplate jdbc;
    @Autowired TestClock clock;
    @Autowired AgentPresence presence;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired TransferDesk transfers;

    ConsoleQueue queue;
    ConsoleFixtures cfx;

    @BeforeEach
    void setUp() {
        // a morning of its own, years ahead, so only this test's transfers and agents count
        clock.set(LocalDateTime.of(2035, 1, 8, 10, 0).plusDays(System.nanoTime() % 300));
        AgentProperties props = new AgentProperties(null, null, null, null, null,
                new AgentProperties.Queue(Duration.ofMinutes(3), null, null, null));
        queue = new ConsoleQueue(new WaitingCalls(jdbc), presence, clock, props);
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
        CallResult r = Engines.withAgentQueue(ctx, queue).run(new MenuCaller(caller, "0", "1"));
        assertThat(r.end()).isEqualTo(CallResult.End.CALLBACK);
        assertThat(transferLog.callback(r.callbackId()).orElseThrow().reason()).isEqualTo("LONG_WAIT");
        assertThat(transferLog.callback(r.callbackId()).orElseThrow().callerNumber()).isEqualTo(caller);

        // with an agent at the console and nobody waiting, the same caller is put through
        presence.seen(agent());
        CallResult through = Engines.withAgentQueue(ctx, queue).run(new MenuCaller(caller, "0"));
        assertThat(through.end()).isEqualTo(CallResult.End.TRANSFERRED);
    }
    @Test
    void withNoHandlingTimeConfiguredTheConsoleMeasuresItFromBackToBackPickUps() {
        ConsoleQueue measuring = new ConsoleQueue(new WaitingCalls(jdbc), presence, clock,
                new AgentProperties(null, null, null, null, null, null));
        Actor a = agent();
        presence.seen(a);
        List<String> waiting = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) {
            waiting.add(cfx.transfer(Fixtures.mobile(), Map.of()).transferId());
        }
        // nothing measured yet: the default, 9 waiting for one agent
        assertThat(measuring.handlingTime()).isEqualTo(ConsoleQueue.DEFAULT_HANDLING_TIME);
        assertThat(measuring.expectedWait()).isEqualTo(ConsoleQueue.DEFAULT_HANDLING_TIME.multipliedBy(9));
        // the agent takes six of them one after the other, 3 to 5 minutes each: five back-to-back gaps
        int[] minutes = {3, 5, 4, 3, 4};
        transfers.pickUp(a, waiting.get(0));
        for (int i = 0; i < minutes.length; i++) {
            clock.advance(Duration.ofMinutes(minutes[i]));
            presence.seen(a);
            transfers.pickUp(a, waiting.get(i + 1));
        }
        clock.advance(Duration.ofMinutes(1));
        presence.seen(a);
        assertThat(measuring.handlingTime()).isEqualTo(Duration.ofSeconds(19 * 60 / 5));
        assertThat(measuring.expectedWait()).as("three still waiting").isEqualTo(Duration.ofSeconds(3 * 19 * 60 / 5));
        // an idle agent's gap (the next caller came later) is no handling time
        clock.advance(Duration.ofMinutes(1));
        presence.seen(a);
        transfers.pickUp(a, waiting.get(6));
        clock.advance(Duration.ofMinutes(20));
        String late = cfx.transfer(Fixtures.mobile(), Map.of()).transferId();
        clock.advance(Duration.ofMinutes(1));
        presence.seen(a);
        transfers.pickUp(a, late);
        clock.advance(Duration.ofMinutes(2));
        presence.seen(a);
        // 3,5,4,3,4 and the 2 min back-to-back gap before waiting.get(6): 21 / 6
        assertThat(measuring.handlingTime()).isEqualTo(Duration.ofSeconds(21 * 60 / 6));
        // a handling time that is set wins
        assertThat(queue.handlingTime()).isEqualTo(Duration.ofMinutes(3));
        waiting.subList(7, 9).forEach(id -> transfers.pickUp(a, id));
    }

    @Test
    void theQueueIsOnByDefaultAndCanBeSwitchedOff() {
        var runner = new org.springframework.boot.test.context.runner.ApplicationContextRunner()
                .withBean(JdbcTemplate.class, () -> jdbc)
                .withBean(WaitingCalls.class, () -> new WaitingCalls(jdbc))
                .withBean(java.time.Clock.class, () -> clock)
                .withBean(AgentPresence.class, () -> presence)
                .withBean(AgentProperties.class, () -> new AgentProperties(null, null, null, null, null, null))
                .withUserConfiguration(ConsoleQueue.class);
        runner.run(ctx -> assertThat(ctx).hasSingleBean(ConsoleQueue.class));
        runner.withPropertyValues("hotline.agent.queue.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(ConsoleQueue.class));
    }

    @Test
    void theQueueSettingsBindFromProperties() {
        var source = new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(Map.of(
                "hotline.agent.queue.handling-time", "5m", "hotline.agent.queue.handling-sample", "2d"));
        AgentProperties bound = new org.springframework.boot.context.properties.bind.Binder(source)
                .bind("hotline.agent", AgentProperties.class).get();
        assertThat(bound.queue().handlingTime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(bound.queue().handlingSample()).isEqualTo(Duration.ofDays(2));
        assertThat(bound.queue().window()).isEqualTo(Duration.ofMinutes(30));
    }
}
