package org.hotline.ivr;

import java.nio.file.Path;
import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.audit.AuditLog;
import org.hotline.booking.BookingService;
import org.hotline.booking.Catalogue;
import org.hotline.db.DatabaseWatch;
import org.hotline.handoff.TransferLog;

/**
 * Wires the voice menu: prompts and flows are loaded and validated while the context starts, so a broken
 * flow file or a missing prompt stops the service with a message naming the file and node.
 */
@Configuration(proxyBeanMethods = false)
public class IvrConfig {

    private static final Logger log = LoggerFactory.getLogger(IvrConfig.class);

    @Bean
    PromptCatalogue promptCatalogue(IvrProperties props) {
        return PromptCatalogue.load(Path.of(props.promptsDir()));
    }

    @Bean
    FlowSet flowSet(IvrProperties props, PromptCatalogue prompts) {
        FlowSet flows = FlowLoader.load(props.flows(), props.entryFlow(), prompts);
        log.info("Voice menu: {} nodes in {} flows, {} prompts", flows.nodes().size(), flows.fileOfFlow().size(),
                prompts.ids().size());
        return flows;
    }

    @Bean
    PhoneLookups phoneLookups(JdbcTemplate jdbc, BookingService booking, LookupProperties props, Clock clock,
            ObjectProvider<MeterRegistry> registry, AuditLog audit) {
        return new PhoneLookups(jdbc, booking, props, clock, registry.getIfAvailable(), audit);
    }

    @Bean
    FlowEngine flowEngine(FlowSet flows, PromptCatalogue prompts, BookingService booking, Catalogue catalogue,
            TransferLog transfers, ObjectProvider<AgentQueue> queue, IvrProperties props, Clock clock,
            PhoneLookups lookups, ObjectProvider<DatabaseWatch> watch, org.hotline.booking.Alternatives alternatives,
            org.hotline.booking.Waitlist waitlist, ObjectProvider<org.hotline.handoff.Complaints> complaints,
            ObjectProvider<org.hotline.booking.SpokenNames> spokenNames) {
        DatabaseWatch w = watch.getIfAvailable();
        if (w != null) {
            w.onChange(up -> {
                if (!up) {
                    FlowEngine.databaseAway();
                }
            });
        }
        return new FlowEngine(flows, prompts, booking, catalogue, transfers, queue.getIfAvailable(() -> AgentQueue.NEVER_BUSY),
                props, clock, lookups, w == null ? () -> true : w::reachable, spokenNames.getIfAvailable(), alternatives,
                waitlist).complaints(complaints.getIfAvailable());
    }
}
