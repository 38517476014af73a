package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * docs/configuration.md: {@code logging.level.org.hotline.ivr.sip.messages=TRACE} turns on SIP message
 * traces, by itself: jain-sip's own logger ({@code gov.nist}) stays at ERROR as application.yml sets it.
 */
class SipTraceTest {

    @TempDir
    Path work;

    @Test
    void theMessagesLoggerAtTraceAloneTracesEverySipMessageBothWays() throws Exception {
        List<ILoggingEvent> lines = exchangeOptions(Level.TRACE);
        assertThat(lines).extracting(ILoggingEvent::getLevel).containsOnly(Level.TRACE);
        assertThat(lines).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).startsWith("received ").contains("OPTIONS sip:hotline@"))
                .anySatisfy(m -> assertThat(m).startsWith("sent ").contains("SIP/2.0 200 OK"));
    }

    @Test
    void belowTraceNothingIsTraced() throws Exception {
        assertThat(exchangeOptions(Level.DEBUG)).isEmpty();
    }

    /** Starts a user endpoint with the messages logger at {@code level} and gov.nist at ERROR, sends one OPTIONS. */
    private List<ILoggingEvent> exchangeOptions(Level level) throws Exception {
        Logger messages = (Logger) LoggerFactory.getLogger("org.hotline.ivr.sip.messages");
        Logger stack = (Logger) LoggerFactory.getLogger("gov.nist");
        Level stackBefore = stack.getLevel();
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        messages.setLevel(level);
        stack.setLevel(Level.ERROR);
        messages.addAppender(lines);
        SipProperties props = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 1, 486, Duration.ZERO,
                30000, 39999, Duration.ofSeconds(30), null, Duration.ofSeconds(5), List.of());
        SipEndpoint endpoint = new SipEndpoint(props, () -> call -> { }, new PromptAudio(work));
        try {
            endpoint.start();
            try (DatagramSocket sock = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                sock.setSoTimeout(5000);
                String id = UUID.randomUUID().toString();
                String options = "OPTIONS sip:hotline@127.0.0.1:" + endpoint.port() + " SIP/2.0\r\n"
                        + "Via: SIP/2.0/UDP 127.0.0.1:" + sock.getLocalPort() + ";branch=z9hG4bK" + id.substring(0, 8)
                        + "\r\nFrom: <sip:13800138000@127.0.0.1>;tag=" + id.substring(9, 13) + "\r\n"
                        + "To: <sip:hotline@127.0.0.1>\r\nCall-ID: " + id + "\r\nCSeq: 1 OPTIONS\r\n"
                        + "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
                byte[] bytes = options.getBytes(StandardCharsets.UTF_8);
                sock.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), endpoint.port()));
                byte[] buf = new byte[4096];
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                sock.receive(in);
                assertThat(new String(buf, 0, in.getLength(), StandardCharsets.UTF_8)).startsWith("SIP/2.0 200");
            }
            Thread.sleep(200); // the sent side is logged just after the datagram leaves
            return List.copyOf(lines.list);
        } finally {
            endpoint.close();
            messages.detachAppender(lines);
            messages.setLevel(null);
            stack.setLevel(stackBefore);
        }
    }
}
