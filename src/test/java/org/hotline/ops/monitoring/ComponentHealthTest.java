package org.hotline.ops.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.quartz.Scheduler;
import org.quartz.impl.StdSchedulerFactory;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import org.hotline.ivr.agi.AgiSettings;
import org.hotline.ivr.agi.FastAgiListener;

/** Health components in the states a node can be in before or without its part (no Spring context). */
class ComponentHealthTest {

    @Test
    void aSchedulerNotYetStartedReadsDownNotStartedWithoutAnError() throws Exception {
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", "health-test-" + System.nanoTime());
        p.setProperty("org.quartz.threadPool.threadCount", "1");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        Scheduler s = new StdSchedulerFactory(p).getScheduler();
        try {
            SchedulerHealth health = new SchedulerHealth(
                    new StaticListableBeanFactory(Map.of("scheduler", s)).getBeanProvider(Scheduler.class), null);
            Health h = health.health();
            assertThat(h.getStatus()).isEqualTo(Status.DOWN);
            assertThat(h.getDetails()).containsEntry("runningSince", "not started").doesNotContainKey("error");
            s.start();
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        } finally {
            s.shutdown();
        }
    }

    @Test
    void aNodeWithFastAgiSwitchedOffReadsUnknownAndARunningListenerUp() {
        FastAgiListener off = new FastAgiListener(
                AgiSettings.defaults().enabled(false).bindAddress("127.0.0.1").port(0).build(), call -> { });
        FastAgiHealth health = new FastAgiHealth(
                new StaticListableBeanFactory(Map.of("agi", off)).getBeanProvider(FastAgiListener.class));
        assertThat(health.health().getStatus()).isEqualTo(Status.UNKNOWN);
        assertThat(health.health().getDetails()).containsEntry("listener", "disabled on this node");

        FastAgiListener on = new FastAgiListener(AgiSettings.defaults().port(0).build(), call -> { });
        on.start();
        try {
            Health up = new FastAgiHealth(new StaticListableBeanFactory(Map.of("agi", on))
                    .getBeanProvider(FastAgiListener.class)).health();
            assertThat(up.getStatus()).isEqualTo(Status.UP);
            assertThat(up.getDetails()).containsEntry("port", on.port());
            // connections next to calls: an idle connection is visible, and it is not a call
            try (java.net.Socket idle = new java.net.Socket("127.0.0.1", on.port())) {
                long end = System.nanoTime() + 5_000_000_000L;
                while (on.waitingConnections() == 0 && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                Health withIdle = new FastAgiHealth(new StaticListableBeanFactory(Map.of("agi", on))
                        .getBeanProvider(FastAgiListener.class)).health();
                assertThat(withIdle.getDetails()).containsEntry("waitingConnections", 1)
                        .containsEntry("callConnections", 0).containsEntry("activeCalls", 0)
                        .containsEntry("maxCalls", 1200).containsKey("refusedConnections");
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        } finally {
            on.stop();
        }
        FastAgiHealth stopped = new FastAgiHealth(
                new StaticListableBeanFactory(Map.of("agi", on)).getBeanProvider(FastAgiListener.class));
        assertThat(stopped.health().getStatus()).isEqualTo(Status.DOWN);
    }
}
