package org.hotline.ops.monitoring;

import java.util.List;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

import org.hotline.ivr.sip.SipConfig;
import org.hotline.ivr.sip.SipEndpoint;

/**
 * The direct SIP adapter's listening point: UP while the JAIN-SIP stack runs and holds a listening point
 * for every configured transport, with where it listens and the calls in progress; DOWN when it was
 * stopped, failed to start (the reason as {@code error}) or lost a transport. Not probed with a request:
 * it reads the stack's own state. Switched off on this node ({@code hotline.sip.enabled=false}): UNKNOWN,
 * as for FastAGI: a node that should answer SIP and reports UNKNOWN has been configured wrongly.
 */
@Component("sip")
public class SipHealth extends AbstractHealthIndicator {

    private final ObjectProvider<SipConfig.SipService> sip;

    public SipHealth(ObjectProvider<SipConfig.SipService> sip) {
        super("SIP check failed");
        this.sip = sip;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        SipConfig.SipService service = sip.getIfAvailable();
        if (service == null) {
            builder.unknown().withDetail("listener", "switched off on this node (hotline.sip.enabled=false)");
            return;
        }
        SipEndpoint endpoint = service.endpoint();
        List<String> expected = endpoint.transports();
        Map<String, String> listening = endpoint.listening();
        builder.withDetail("transports", String.join("+", expected)).withDetail("listening", listening)
                .withDetail("activeCalls", endpoint.activeCalls()).withDetail("maxCalls", endpoint.maxCalls());
        if (!service.isRunning() || !endpoint.isRunning()) {
            String failure = service.startFailure();
            builder.down().withDetail("listener", failure == null ? "stopped" : "failed to start")
                    .withDetail("port", endpoint.port());
            if (failure != null) {
                builder.withDetail("error", failure);
            }
            return;
        }
        List<String> missing = expected.stream().filter(t -> !listening.containsKey(t)).toList();
        if (!missing.isEmpty()) {
            builder.down().withDetail("listener", "not listening on " + String.join("+", missing))
                    .withDetail("port", endpoint.port());
            return;
        }
        builder.withDetail("port", endpoint.port()).up();
    }
}
