package org.hotline.ivr.sip;

import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.db.DatabaseWatch;
import org.hotline.ivr.CallHandler;
import org.hotline.ivr.PromptCatalogue;

/**
 * Starts the SIP endpoint with the application ({@code hotline.sip.enabled}, on by default) and stops it
 * first on shutdown, so calls are hung up and their holds released while the database is still there.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SipProperties.class)
@ConditionalOnProperty(name = "hotline.sip.enabled", havingValue = "true", matchIfMissing = true)
public class SipConfig {

    @Bean
    SipService sipService(SipProperties props, ObjectProvider<CallHandler> handler,
            ObjectProvider<PromptCatalogue> prompts, ObjectProvider<MeterRegistry> meters,
            ObjectProvider<DatabaseWatch> watch, ObjectProvider<ApplicationAvailability> availability,
            ObjectProvider<org.hotline.booking.SpokenNames> names,
            ObjectProvider<org.hotline.handoff.Complaints> complaints) {
        // the engine's catalogue decides where the recordings are (hotline.ivr.prompts-dir)
        Path dir = prompts.getIfAvailable() != null ? prompts.getObject().dir() : Path.of("prompts/zh-CN");
        SipEndpoint endpoint = new SipEndpoint(props, handler::getIfAvailable, new PromptAudio(dir, id -> {
            org.hotline.booking.SpokenNames n = names.getIfAvailable();
            return n == null ? java.util.Optional.empty() : n.audioOfPrompt(id);
        }));
        // issue 16: INVITEs only once Spring reports ACCEPTING_TRAFFIC (after the demo data and the release
        // catch-up), and while the database answers; before that 503 with Retry-After, as when the database is away
        java.util.function.BooleanSupplier ready = availability.getIfAvailable() == null ? () -> true
                : () -> availability.getObject().getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
        // complaints are recorded from the caller's RTP into the directory /ops/complaints plays them from
        org.hotline.handoff.Complaints c = complaints.getIfAvailable();
        if (c != null) {
            endpoint.recordInto(c.recordingsDir());
        }
        DatabaseWatch w = watch.getIfAvailable();
        endpoint.readyWhen(ready);
        endpoint.admitWhile(w == null ? () -> true : w::reachable);
        return new SipService(endpoint, meters.getIfAvailable(), props.outboundUri());
    }

    /** The endpoint as a Spring lifecycle bean; {@link #endpoint()} for tests and the ops module. */
    public static class SipService implements SmartLifecycle, org.hotline.ivr.DirectSipCalls {

        private static final Logger log = LoggerFactory.getLogger(SipService.class);
        private final SipEndpoint endpoint;
        private volatile boolean running;
        private volatile String startFailure;

        private final String outboundUri;

        SipService(SipEndpoint endpoint, MeterRegistry meters) {
            this(endpoint, meters, "");
        }

        SipService(SipEndpoint endpoint, MeterRegistry meters, String outboundUri) {
            this.endpoint = endpoint;
            this.outboundUri = outboundUri;
            if (meters != null) {
                endpoint.bindMetrics(meters); // once: the meters outlive a stop and start of the endpoint
            }
        }

        public SipEndpoint endpoint() {
            return endpoint;
        }

        @Override
        public void start() {
            try {
                endpoint.start();
            } catch (Exception e) {
                startFailure = e.getMessage();
                throw new IllegalStateException(e.getMessage(), e);
            }
            startFailure = null;
            running = true;
        }

        @Override
        public void stop() {
            endpoint.close();
            running = false;
            log.debug("SIP service stopped");
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public String outboundUri() {
            return outboundUri;
        }

        @Override
        public boolean ready() {
            return running && endpoint.isRunning();
        }

        @Override
        public Placed place(String uri, String digits, String callerId, java.time.Duration ringTimeout, String token,
                org.hotline.ivr.OutboundAnswer answer) {
            return endpoint.place(uri, digits, callerId, ringTimeout, token, answer);
        }

        /** Why the last start failed (a port taken, an unknown address); null after a good start. */
        public String startFailure() {
            return startFailure;
        }
    }
}
