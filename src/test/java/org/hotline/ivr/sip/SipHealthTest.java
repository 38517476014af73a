package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import org.hotline.ops.monitoring.SipHealth;

/**
 * The {@code sip} health component on an endpoint of its own (no Spring context): a SIP port another
 * socket holds fails the start and reads DOWN with the reason; once the port is free the same service
 * starts and reads UP; a node without the SIP adapter reads UNKNOWN.
 */
class SipHealthTest {

    @TempDir
    Path work;

    @Test
    void aTakenPortReadsDownWithTheReasonAndUpOnceItIsFree() throws Exception {
        DatagramSocket holder = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        int port = holder.getLocalPort();
        SipProperties props = new SipProperties(true, "127.0.0.1", null, port, List.of("udp"), 2, 486,
                Duration.ZERO, 30000, 39999, Duration.ofSeconds(30), null, Duration.ofSeconds(5), List.of());
        SipConfig.SipService service = new SipConfig.SipService(
                new SipEndpoint(props, () -> call -> { }, new PromptAudio(work)), null);
        SipHealth health = new SipHealth(
                new StaticListableBeanFactory(Map.of("sip", service)).getBeanProvider(SipConfig.SipService.class));
        try {
            assertThatThrownBy(service::start).hasMessageContaining("127.0.0.1:" + port);
            Health failed = health.health();
            assertThat(failed.getStatus()).isEqualTo(Status.DOWN);
            assertThat(failed.getDetails()).containsEntry("listener", "failed to start")
                    .containsEntry("listening", Map.of());
            assertThat((String) failed.getDetails().get("error")).contains("127.0.0.1:" + port);

            holder.close();
            service.start();
            Health up = health.health();
            assertThat(up.getStatus()).as(up.toString()).isEqualTo(Status.UP);
            assertThat(up.getDetails()).containsEntry("listening", Map.of("udp", "127.0.0.1:" + port))
                    .containsEntry("port", port).containsEntry("transports", "udp").doesNotContainKey("error");

            service.stop();
            Health stopped = health.health();
            assertThat(stopped.getStatus()).isEqualTo(Status.DOWN);
            assertThat(stopped.getDetails()).containsEntry("listener", "stopped");
        } finally {
            holder.close();
            service.stop();
        }
    }

    @Test
    void aNodeWithoutTheSipAdapterReadsUnknown() {
        SipHealth health = new SipHealth(new StaticListableBeanFactory().getBeanProvider(SipConfig.SipService.class));
        Health h = health.health();
        assertThat(h.getStatus()).isEqualTo(Status.UNKNOWN);
        assertThat(h.getDetails()).containsEntry("listener", "switched off on this node (hotline.sip.enabled=false)");
    }
}
