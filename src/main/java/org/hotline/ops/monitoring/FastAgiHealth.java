package org.hotline.ops.monitoring;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

import org.hotline.ivr.agi.FastAgiListener;

/**
 * The FastAGI port Asterisk calls: UP while the listener runs (it starts only once its socket is bound),
 * with connections next to calls: connections still sending their environment block (closed after
 * the header timeout, never holding a call thread), connections that are calls, calls in progress
 * out of the maximum, calls refused for lack of threads, and connections closed before they became a
 * call by reason (a peer outside allowed-peers, a late or oversized block...). Not probed with a
 * connection: that would count as a refused one.
 * Switched off on this node ({@code hotline.agi.enabled=false}): UNKNOWN.
 */
@Component("fastAgi")
public class FastAgiHealth extends AbstractHealthIndicator {

    private final ObjectProvider<FastAgiListener> listener;

    public FastAgiHealth(ObjectProvider<FastAgiListener> listener) {
        super("FastAGI check failed");
        this.listener = listener;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        FastAgiListener l = listener.getIfAvailable();
        if (l == null || !l.isEnabled()) {
            builder.unknown().withDetail("listener", l == null ? "not on this node" : "disabled on this node");
            return;
        }
        if (!l.isRunning()) {
            builder.down().withDetail("listener", "stopped");
            return;
        }
        builder.withDetail("port", l.port()).withDetail("activeCalls", l.activeCalls())
                .withDetail("maxCalls", l.maxCalls()).withDetail("callConnections", l.callConnections())
                .withDetail("waitingConnections", l.waitingConnections())
                .withDetail("rejectedCalls", l.rejectedCalls()).withDetail("refusedConnections", l.refusedConnections());
        builder.up();
    }
}
