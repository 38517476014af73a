package org.hotline.outbound.ami;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code hotline.ami.*}: the Asterisk servers whose Manager Interface (AMI, TCP 5038) the gateway uses to place
 * outbound calls ({@code Originate}), to read the agents' queue ({@code QueueSummary}) and to hear its events.
 * No server listed: AMI is off (calls go out over the direct SIP adapter if it is on, else not at all). The
 * manager user needs only {@code read = call,agent} and {@code write = originate,reporting}
 * ({@code sip-config/manager.conf}).
 *
 * @param servers          one entry per Asterisk
 * @param queue            the agents' queue ({@code sip-config/queues.conf})
 * @param reconnectMin     the first wait before connecting again after a failure; doubles each time
 * @param reconnectMax     the longest wait between attempts
 * @param responseTimeout  how long an action's response may take
 */
@ConfigurationProperties("hotline.ami")
public record AmiProperties(List<Server> servers, String queue, Duration reconnectMin, Duration reconnectMax,
        Duration responseTimeout) {

    /** One Asterisk: a name for logs, health and metrics, where its AMI listens, and the manager user. */
    public record Server(String name, String host, Integer port, String username, String secret) {
        public Server {
            port = port == null ? 5038 : port;
            name = name == null || name.isBlank() ? host : name;
        }
    }

    public AmiProperties {
        servers = servers == null ? List.of() : List.copyOf(servers);
        queue = queue == null || queue.isBlank() ? "hotline-agents" : queue;
        reconnectMin = reconnectMin == null ? Duration.ofSeconds(1) : reconnectMin;
        reconnectMax = reconnectMax == null ? Duration.ofSeconds(60) : reconnectMax;
        responseTimeout = responseTimeout == null ? Duration.ofSeconds(10) : responseTimeout;
    }

    public boolean enabled() {
        return !servers.isEmpty();
    }
}
