package org.hotline.ops.monitoring;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import org.hotline.sms.SmsDispatcher;

/**
 * The SMPP bind this node's SMS dispatcher keeps to the SMSC: UP while bound, DOWN while it binds
 * again (SMS then wait in the outbox, nothing is lost). A node with dispatch switched off
 * ({@code hotline.sms.enabled=false}) or without an SMSC reports UNKNOWN: another node sends.
 */
@Component("smsc")
public class SmscHealth extends AbstractHealthIndicator {

    private final ObjectProvider<SmsDispatcher> dispatcher;
    private final Environment env;

    public SmscHealth(ObjectProvider<SmsDispatcher> dispatcher, Environment env) {
        super("SMSC check failed");
        this.dispatcher = dispatcher;
        this.env = env;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        SmsDispatcher d = dispatcher.getIfAvailable();
        if (d == null || !d.isRunning()) {
            builder.unknown().withDetail("dispatch", "not on this node");
            return;
        }
        String host = env.getProperty("hotline.sms.smpp.host", "");
        builder.withDetail("node", d.node())
                .withDetail("smsc", host.isBlank() ? "embedded sink"
                        : host + ":" + env.getProperty("hotline.sms.smpp.port", "2775"))
                .withDetail("partsSubmitted", d.partsSubmitted());
        if (d.bound()) {
            builder.up();
        } else {
            builder.down().withDetail("bind", "not bound: reconnecting; SMS wait in the outbox");
        }
    }
}
