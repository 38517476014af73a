package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.availability.ApplicationAvailabilityBean;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.application.ReadinessStateHealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.core.annotation.Order;

import org.hotline.demo.DemoData;
import org.hotline.ivr.CallHandler;
import org.hotline.release.ReleaseCatchUp;

/**
 * Issue 16: a call that arrives while the node starts (catalogue, demo data, release catch-up not done yet) is
 * not answered with "no places": the FastAGI listener closes it before any command, so Asterisk's dialplan tries
 * the next node, then the queue; readiness is OUT_OF_SERVICE until Spring reports ACCEPTING_TRAFFIC, which it does
 * after every ApplicationRunner (the demo data, then the release catch-up).
 */
class StartupAdmissionTest {

    @Test
    void aCallDuringStartUpIsNotTakenAndReadinessSaysSoUntilTheRunnersAreDone() throws Exception {
        ApplicationAvailabilityBean availability = new ApplicationAvailabilityBean();
        DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
        AtomicInteger answered = new AtomicInteger();
        CallHandler noPlacesYet = call -> {
            answered.incrementAndGet();
            call.play(List.of("no_places"));
            call.hangUp();
        };
        beans.registerSingleton("handler", noPlacesYet);
        beans.registerSingleton("availability", availability);
        FastAgiListener agi = new FastAgiListener(AgiSettings.defaults().port(0).build(),
                beans.getBeanProvider(CallHandler.class), beans.getBeanProvider(io.micrometer.core.instrument.MeterRegistry.class),
                beans.getBeanProvider(org.hotline.db.DatabaseWatch.class),
                beans.getBeanProvider(org.springframework.boot.availability.ApplicationAvailability.class),
                new org.springframework.mock.env.MockEnvironment(), beans.getBeanProvider(org.hotline.ivr.OutboundAnswer.class));
        agi.start();
        try {
            ReadinessStateHealthIndicator readiness = new ReadinessStateHealthIndicator(availability);
            assertThat(readiness.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);

            AsteriskCall.Transcript early = AsteriskCall.to(agi.port()).keys("1").run();
            assertThat(early.connected).isTrue();
            assertThat(early.commands).as("nothing played or asked (asterisk-java's own AJ_AGISTATUS only)")
                    .noneMatch(c -> c.startsWith("STREAM") || c.startsWith("GET") || c.startsWith("ANSWER"));
            assertThat(early.variable("HOTLINE_NEXT")).as("empty: the dialplan goes on to the next node").isNull();
            assertThat(early.sounds).doesNotContain("hotline/zh-CN/no_places");
            assertThat(answered).hasValue(0);
            assertThat(agi.notTakenCalls()).isEqualTo(1);

            // the runners are done: Spring publishes ACCEPTING_TRAFFIC (SpringApplication, after callRunners)
            availability.onApplicationEvent(new AvailabilityChangeEvent<>(this, ReadinessState.ACCEPTING_TRAFFIC));
            assertThat(readiness.health().getStatus()).isEqualTo(Status.UP);
            AsteriskCall.Transcript later = AsteriskCall.to(agi.port()).keys("1").run();
            FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);
            assertThat(answered).hasValue(1);
            assertThat(later.commands).isNotEmpty();
        } finally {
            agi.stop();
        }
    }

    @Test
    void theReleaseCatchUpRunsAfterTheDemoDataAndBeforeCallsAreTaken() {
        assertThat(ApplicationRunner.class).isAssignableFrom(ReleaseCatchUp.class);
        assertThat(ApplicationRunner.class).isAssignableFrom(DemoData.class);
        assertThat(ReleaseCatchUp.class.getAnnotation(Order.class).value())
                .isGreaterThan(DemoData.class.getAnnotation(Order.class).value());
    }
}
