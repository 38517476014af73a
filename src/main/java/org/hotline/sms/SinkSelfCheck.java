package org.hotline.sms;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * On the embedded default, one SMS to a dummy number at start-up, followed through outbox →
 * dispatcher → SMSC sink → receipt, so the operator who just started the service sees the SMS path work.
 */
final class SinkSelfCheck implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(SinkSelfCheck.class);
    static final String DUMMY = "13800000000";

    private final SmsOutbox outbox;
    private final JdbcTemplate jdbc;
    private final String signature;

    SinkSelfCheck(SmsOutbox outbox, JdbcTemplate jdbc, SmsProperties props) {
        this.outbox = outbox;
        this.jdbc = jdbc;
        this.signature = props.signature();
    }

    @Override
    public void run(ApplicationArguments args) {
        String text = "【" + signature + "】短信通道自检：内置短信中心已连接。";
        outbox.enqueue(null, SmsKind.REPLY, DUMMY, text, null);
        Long id = jdbc.queryForObject("SELECT MAX(id) FROM sms_message WHERE phone = ?", Long.class, DUMMY);
        Thread t = new Thread(() -> follow(id), "sms-self-check");
        t.setDaemon(true);
        t.start();
    }

    private void follow(Long id) {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        try {
            while (System.nanoTime() < end) {
                String status = jdbc.queryForObject("SELECT status FROM sms_message WHERE id = ?", String.class, id);
                if ("DELIVERED".equals(status)) {
                    log.info("SMS self-check: message {} delivered (outbox → dispatcher → SMPP → SMSC sink → receipt)",
                            id);
                    return;
                }
                Thread.sleep(200);
            }
            log.warn("SMS self-check: message {} not delivered within 15 s", id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("SMS self-check stopped: {}", e.toString()); // the application is shutting down
        }
    }
}
