package org.hotline.ops.monitoring;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

import org.hotline.outbound.ami.AmiLink;
import org.hotline.outbound.ami.AmiLinks;

/**
 * The Asterisk Manager Interface links ({@code hotline.ami.servers}): UP while every configured Asterisk is
 * logged in, DOWN while one is not (it reconnects with back-off; outbound calls go through the others, live
 * queue figures fall back to the console's estimate when none answers). No Asterisk configured: UNKNOWN.
 * Details per Asterisk: address, manager user (never the secret), logins, failures, events, last error.
 */
@Component("ami")
public class AmiHealth extends AbstractHealthIndicator {

    private final ObjectProvider<AmiLinks> links;

    public AmiHealth(ObjectProvider<AmiLinks> links) {
        super("AMI check failed");
        this.links = links;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        AmiLinks l = links.getIfAvailable();
        if (l == null || !l.enabled()) {
            builder.unknown().withDetail("ami", "no Asterisk configured (hotline.ami.servers)");
            return;
        }
        Map<String, Object> each = new LinkedHashMap<>();
        boolean all = true;
        for (AmiLink link : l.links()) {
            each.put(link.name(), link.details());
            all &= link.connected();
        }
        builder.withDetail("asterisks", each);
        if (all && l.isRunning()) {
            builder.up();
        } else {
            builder.down();
        }
    }
}
