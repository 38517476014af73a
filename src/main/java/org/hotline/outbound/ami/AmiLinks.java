package org.hotline.outbound.ami;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import org.asteriskjava.manager.action.OriginateAction;
import org.asteriskjava.manager.event.ManagerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The AMI links to every configured Asterisk ({@code hotline.ami.servers}), started with the FastAGI listener
 * (an answered outbound call comes back over it). Metrics: {@code hotline_ami_connected{asterisk}} (1/0),
 * {@code hotline_ami_logins{asterisk}}, {@code hotline_ami_failures{asterisk}}, {@code hotline_ami_events{asterisk}};
 * the {@code ami} health component shows each link.
 */
@Component
public class AmiLinks implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(AmiLinks.class);

    private final AmiProperties props;
    private final List<AmiLink> links = new ArrayList<>();
    private final List<BiConsumer<String, ManagerEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean running;

    public AmiLinks(AmiProperties props, ObjectProvider<MeterRegistry> registry) {
        this.props = props;
        for (AmiProperties.Server s : props.servers()) {
            if (s.host() == null || s.host().isBlank() || s.username() == null || s.username().isBlank()) {
                throw new IllegalStateException("hotline.ami.servers: each Asterisk needs host and username");
            }
            links.add(new AmiLink(s, props, e -> listeners.forEach(l -> l.accept(s.name(), e))));
        }
        registry.ifAvailable(r -> {
            for (AmiLink l : links) {
                Gauge.builder("hotline.ami.connected", l, x -> x.connected() ? 1 : 0).tag("asterisk", l.name())
                        .description("1 while logged in to this Asterisk's Manager Interface").register(r);
                Gauge.builder("hotline.ami.logins", l, AmiLink::logins).tag("asterisk", l.name()).register(r);
                Gauge.builder("hotline.ami.failures", l, AmiLink::failures).tag("asterisk", l.name())
                        .description("failed logins and lost connections").register(r);
                Gauge.builder("hotline.ami.events", l, AmiLink::events).tag("asterisk", l.name()).register(r);
            }
        });
    }

    public AmiProperties properties() {
        return props;
    }

    public boolean enabled() {
        return props.enabled();
    }

    public List<AmiLink> links() {
        return List.copyOf(links);
    }

    /** Hears every event of every link: (asterisk name, event), on that link's event thread. */
    public void onEvent(BiConsumer<String, ManagerEvent> listener) {
        listeners.add(listener);
    }

    /** A logged-in link, taking turns among them; empty when none is up. */
    public Optional<AmiLink> anyConnected() {
        int n = links.size();
        int start = Math.floorMod(next.getAndIncrement(), Math.max(1, n));
        for (int i = 0; i < n; i++) {
            AmiLink l = links.get((start + i) % n);
            if (l.connected()) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    public AmiLink.OriginateResult originate(OriginateAction action, Duration timeout) {
        return anyConnected().map(l -> l.originate(action, timeout))
                .orElse(new AmiLink.OriginateResult(false, 0, null, "no Asterisk connected"));
    }

    /** The agents' queue as the first logged-in Asterisk reports it now; empty when none can say. */
    public Optional<AmiLink.QueueFigures> queueSummary() {
        for (AmiLink l : links) {
            if (l.connected()) {
                Optional<AmiLink.QueueFigures> f = l.queueSummary(props.queue());
                if (f.isPresent()) {
                    return f;
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        links.forEach(AmiLink::start);
        running = true;
        if (!links.isEmpty()) {
            log.info("AMI: connecting to {}", AmiLink.names(links));
        }
    }

    @Override
    public synchronized void stop() {
        links.forEach(AmiLink::stop);
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
