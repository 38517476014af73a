package org.hotline.sms;

import java.time.Clock;
import java.time.LocalDateTime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;

/**
 * On the embedded default only: the sink keeps the receipts it still owes in memory, so a crash (or a
 * stop before they were due) takes them along, and the messages they would have closed stay SUBMITTED for
 * good. The sink delivers everything it accepts, so at start-up the parts the previous run submitted to it
 * are settled as delivered (receipt_stat {@value #STAT}). A real SMSC keeps its receipts: see docs/sms.md.
 */
final class SinkRestartSettlement implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(SinkRestartSettlement.class);
    /** sms_part.receipt_stat of a part settled here (no receipt was received). */
    static final String STAT = "RESTART";

    private final SmsStore store;
    private final LocalDateTime started;

    SinkRestartSettlement(SmsStore store, Clock clock) {
        this.store = store;
        // before the dispatcher can submit anything to this run's sink
        this.started = LocalDateTime.now(clock);
    }

    @Override
    public void run(ApplicationArguments args) {
        int settled = store.settleSubmittedBefore(started, STAT,
                "内置短信中心重启，回执随之丢失，按已送达结算");
        if (settled > 0) {
            log.info("SMS: {} message(s) the previous run left SUBMITTED to the embedded sink settled as delivered"
                    + " (the sink's receipts do not survive it)", settled);
        }
    }
}
