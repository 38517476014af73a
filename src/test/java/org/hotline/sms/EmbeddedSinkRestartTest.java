package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.db.EmbeddedMariaDb;
import org.hotline.testsupport.Fixtures;

/**
 * The embedded default keeps no SMS SUBMITTED for good: the sink's receipts die with the process that ran
 * it, so the next start settles what the previous run submitted to it (docs/sms.md, "The embedded sink").
 */
class EmbeddedSinkRestartTest {

    final String dataDir = "target/test-db/sink-restart-" + UUID.randomUUID();

    ConfigurableApplicationContext start(String receiptDelay) {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        return app.run("--hotline.db.embedded.data-dir=" + dataDir, "--hotline.db.embedded.base-dir=target/mariadb-base",
                "--hotline.sip.port=0", "--hotline.agi.port=0", "--logging.level.root=WARN",
                "--hotline.sms.sink.self-check=false", "--hotline.sms.sink.receipt-delay=" + receiptDelay,
                "--spring.quartz.auto-startup=false");
    }

    @AfterEach
    void deleteDataDir() throws java.io.IOException {
        EmbeddedMariaDb.deleteTree(Path.of(dataDir));
    }

    @Test
    void whatThePreviousRunLeftSubmittedToTheSinkIsSettledAtTheNextStart() {
        String phone = Fixtures.mobile();
        long id;
        try (ConfigurableApplicationContext ctx = start("1h")) {
            // the sink takes the message and owes its receipt for an hour: the process ends first
            ctx.getBean(SmsOutbox.class).enqueue(null, SmsKind.REPLY, phone, "【健康热线】回执测试", null);
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            id = jdbc.queryForObject("SELECT id FROM sms_message WHERE phone = ?", Long.class, phone);
            await("submitted to the sink", Duration.ofSeconds(30),
                    () -> "SUBMITTED".equals(SmsTestSupport.status(jdbc, id)));
        }
        try (ConfigurableApplicationContext ctx = start("200ms")) {
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            await("settled at start-up", Duration.ofSeconds(30),
                    () -> "DELIVERED".equals(SmsTestSupport.status(jdbc, id)));
            assertThat(jdbc.queryForObject("SELECT receipt_stat FROM sms_part WHERE message_id = ?", String.class, id))
                    .isEqualTo(SinkRestartSettlement.STAT);
            assertThat(jdbc.queryForObject("SELECT last_error FROM sms_message WHERE id = ?", String.class, id))
                    .contains("内置短信中心重启");
            // and this run's own messages still get their real receipts
            String next = Fixtures.mobile();
            ctx.getBean(SmsOutbox.class).enqueue(null, SmsKind.REPLY, next, "【健康热线】第二次", null);
            await("delivered by its receipt", Duration.ofSeconds(30),
                    () -> SmsTestSupport.allDelivered(jdbc, next, 1));
            assertThat(jdbc.queryForObject("SELECT p.receipt_stat FROM sms_part p JOIN sms_message m ON m.id = p.message_id"
                    + " WHERE m.phone = ?", String.class, next)).isEqualTo("DELIVRD");
        }
    }
}
