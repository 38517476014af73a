package org.hotline.ops.monitoring;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;

import org.hotline.outbound.ami.AmiLink;
import org.hotline.outbound.ami.AmiLinks;

/**
 * The Asterisk Manager Interface links ({@code hotline.ami.servers}): UP while every configured Asterisk is
 * logged in, {@link #DEGRADED} while one is not (it reconnects with back-off; outbound calls go through the others
 * or wait, live queue figures fall back to the console's estimate). An Asterisk's manager being away never stops
 * this node taking calls (they come over FastAGI), so it must not make the node's {@code /actuator/health} DOWN:
 * {@code application.yml} orders DEGRADED after UP for the whole health endpoint (and readiness does not include
 * {@code ami}), while the group {@code /actuator/health/asterisk} puts it first and answers 503 (docs/monitoring.md).
 * No Asterisk configured: UNKNOWN. Details per Asterisk: address, manager user (never the secret), logins,
 * failures, events, last error; {@code away}: how many are not logged in.
 */
@Component("ami")
public class AmiHealth extends AbstractHealthIndicator {

    /** Some configured Asterisk's manager is not logged in (reconnecting); the node itself still takes calls. */
    public static final Status DEGRADED = new Status("DEGRADED", "an Asterisk's manager is away: reconnecting");

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
        int away = 0;
        for (AmiLink link : l.links()) {
            each.put(link.name(), link.details());
            away += link.connected() ? 0 : 1;
        }
        builder.withDetail("asterisks", each).withDetail("away", away);
        if (away == 0 && l.isRunning()) {
            builder.up();
        } else {
            builder.status(DEGRADED);
        }
    }
}
