package org.hotline.sms;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;

import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfiguration;

import org.hotline.testsupport.IntegrationTest;

/**
 * The SMS tests' one context: the whole application on its embedded MariaDB, its dispatcher bound to
 * the Perl SMSC (started once per JVM, on a free port), with short timers so outages heal in seconds.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@IntegrationTest
@ContextConfiguration(initializers = PerlSmscContext.Initializer.class)
public @interface PerlSmscContext {

    /** The one Perl SMSC of this JVM; killed when the JVM ends. */
    final class Shared {
        private static PerlSmsc smsc;

        private Shared() {
        }

        static synchronized PerlSmsc smsc() {
            if (smsc == null) {
                smsc = PerlSmsc.start(Map.of("SMSC_SYSTEM_ID", "hotline", "SMSC_PASSWORD", "s3cret"));
                PerlSmsc s = smsc;
                Runtime.getRuntime().addShutdownHook(new Thread(s::kill));
            }
            return smsc;
        }
    }

    class Initializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext ctx) {
            PerlSmsc smsc = Shared.smsc();
            TestPropertyValues.of(
                    "hotline.sms.node-id=node-a",
                    "hotline.sms.smpp.host=127.0.0.1",
                    "hotline.sms.smpp.port=" + smsc.port(),
                    "hotline.sms.smpp.system-id=hotline",
                    "hotline.sms.smpp.password=s3cret",
                    // a submit_sm_resp later than this counts as lost and the part is sent again (at least
                    // once, docs/sms.md); 2 s was overtaken by a Perl SMSC starved on a loaded 2-core machine
                    "hotline.sms.smpp.transaction-timer=5s",
                    "hotline.sms.smpp.reconnect-min=100ms",
                    "hotline.sms.smpp.reconnect-max=1s",
                    "hotline.sms.dispatch.poll-interval=100ms",
                    "hotline.sms.dispatch.retry-min=300ms",
                    "hotline.sms.dispatch.retry-max=2s",
                    "hotline.sms.dispatch.throttle-pause-min=10ms",
                    "hotline.sms.dispatch.throttle-pause-max=200ms",
                    "hotline.sms.dispatch.stop-timeout=5s",
                    // a part a dead node may have sent waits this long for its receipt before it is sent again
                    "hotline.sms.dispatch.in-doubt-wait=3s",
                    "hotline.sms.agent-phones=13700000001").applyTo(ctx);
        }
    }
}
