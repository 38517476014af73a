package org.hotline.sms;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.function.Supplier;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

import org.hotline.booking.BookingService;

/**
 * Wires the dispatcher to the configured SMSC, or — with none configured — to the embedded sink.
 * With neither (production without {@code hotline.sms.smpp.host}), messages are queued and wait.
 */
@Configuration(proxyBeanMethods = false)
class SmsConfig {

    private static final Logger log = LoggerFactory.getLogger(SmsConfig.class);
    static final String NO_SMSC = "'${hotline.sms.smpp.host:}'.trim().isEmpty()";

    @Bean
    DispatchSignal smsDispatchSignal() {
        return new DispatchSignal();
    }

    @Bean
    SmsStore smsStore(JdbcTemplate jdbc, PlatformTransactionManager tm, Clock clock, SmsTemplates templates,
            SmsOutbox outbox, BookingService booking, SmsProperties props, ObjectProvider<MeterRegistry> registry,
            QuietHours quiet) {
        return new SmsStore(jdbc, tm, clock, templates, outbox, booking, props.agentPhones(),
                registry.getIfAvailable(), quiet);
    }

    @Bean
    SmscInbound smscInbound(SmsStore store, SmsReplies replies) {
        return new SmscInbound(store, replies);
    }

    @Bean
    @ConditionalOnExpression(NO_SMSC + " and ${hotline.sms.sink.enabled:true} and ${hotline.sms.enabled:true}")
    SmscSink smscSink(SmsProperties props) {
        return new SmscSink(props.sink());
    }

    @Bean
    @ConditionalOnExpression(NO_SMSC + " and ${hotline.sms.sink.enabled:true} and ${hotline.sms.enabled:true}")
    SinkRestartSettlement smsSinkRestartSettlement(SmsStore store, Clock clock) {
        return new SinkRestartSettlement(store, clock);
    }

    @Bean
    @ConditionalOnExpression(NO_SMSC + " and ${hotline.sms.sink.enabled:true} and ${hotline.sms.enabled:true}"
            + " and ${hotline.sms.sink.self-check:true}")
    SinkSelfCheck smsSinkSelfCheck(SmsOutbox outbox, JdbcTemplate jdbc, SmsProperties props) {
        return new SinkSelfCheck(outbox, jdbc, props);
    }

    @Bean
    @ConditionalOnExpression("${hotline.sms.enabled:true}")
    SmsDispatcher smsDispatcher(SmsProperties props, SmsStore store, SmscInbound inbound, DispatchSignal signal,
            BookingService booking, ObjectProvider<SmscSink> sink) {
        SmscSink s = sink.getIfAvailable();
        SmsProperties.Smpp smpp = props.smpp();
        if (!smpp.configured() && s == null) {
            log.warn("No SMSC configured (hotline.sms.smpp.host) and the sink is off: SMS are queued, not sent");
            return null;
        }
        Supplier<InetSocketAddress> endpoint = smpp.configured()
                ? () -> InetSocketAddress.createUnresolved(smpp.host(), smpp.port())
                : () -> InetSocketAddress.createUnresolved("127.0.0.1", s.port());
        String node = nodeId(props);
        return new SmsDispatcher(node, store, props.dispatch(), () -> new SmppLink(smpp, endpoint, inbound, node),
                signal, booking);
    }

    /** hostname-pid unless configured: unique per gateway process, readable in claimed_by. */
    static String nodeId(SmsProperties props) {
        if (!props.nodeId().isBlank()) {
            return props.nodeId();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "node";
        }
        String pid = ManagementFactory.getRuntimeMXBean().getName().split("@")[0];
        String id = host + "-" + pid;
        return id.length() > 64 ? id.substring(id.length() - 64) : id;
    }
}
