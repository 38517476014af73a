package org.hotline.ops.monitoring;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

import org.hotline.ivr.agi.FastAgiListener;

/**
 * The FastAGI port Asterisk calls: UP while the listener runs (it starts only once its socket is bound),
 * with calls in progress and calls refused for lack of threads. Not probed with a connection: the
 * server would log each empty connection as a broken call.
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
                .withDetail("rejectedCalls", l.rejectedCalls());
        builder.up();
    }
}
