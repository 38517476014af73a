package org.hotline.ivr.sip;

import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.ivr.CallHandler;
import org.hotline.ivr.PromptCatalogue;

/**
 * Starts the SIP user agent with the application ({@code hotline.sip.enabled}, on by default) and stops it
 * first on shutdown, so calls are hung up and their holds released while the database is still there.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SipProperties.class)
@ConditionalOnProperty(name = "hotline.sip.enabled", havingValue = "true", matchIfMissing = true)
public class SipConfig {

    @Bean
    SipService sipService(SipProperties props, ObjectProvider<CallHandler> handler,
            ObjectProvider<PromptCatalogue> prompts, ObjectProvider<MeterRegistry> meters) {
        // the engine's catalogue decides where the recordings are (hotline.ivr.prompts-dir)
        Path dir = prompts.getIfAvailable() != null ? prompts.getObject().dir() : Path.of("prompts/zh-CN");
        return new SipService(new SipUserAgent(props, handler::getIfAvailable, new PromptAudio(dir)),
                meters.getIfAvailable());
    }

    /** The user agent as a Spring lifecycle bean; {@link #agent()} for tests and the ops module. */
    public static class SipService implements SmartLifecycle {

        private static final Logger log = LoggerFactory.getLogger(SipService.class);
        private final SipUserAgent agent;
        private final MeterRegistry meters;
        private volatile boolean running;

        SipService(SipUserAgent agent, MeterRegistry meters) {
            this.agent = agent;
            this.meters = meters;
        }

        public SipUserAgent agent() {
            return agent;
        }

        @Override
        public void start() {
            try {
                agent.start();
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            if (meters != null) {
                Gauge.builder("hotline.sip.calls.active", agent, SipUserAgent::activeCalls)
                        .description("SIP calls holding a place under hotline.sip.max-calls").register(meters);
                Gauge.builder("hotline.sip.media.late.ticks", agent, SipUserAgent::lateMediaTicks)
                        .description("20 ms media ticks that started more than a frame late").register(meters);
            }
            running = true;
        }

        @Override
        public void stop() {
            agent.close();
            running = false;
            log.debug("SIP service stopped");
        }

        @Override
        public boolean isRunning() {
            return running;
        }
    }
}
