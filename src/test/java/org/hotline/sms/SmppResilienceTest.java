package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.BookingService;
import org.hotline.testsupport.Fixtures;

/**
 * Nothing lost, nothing sent twice: under throttling, with the SMSC killed mid-batch, with the
 * gateway stopped mid-batch, with a node dead while holding claims, and with three nodes on one database.
 */
@PerlSmscContext
class SmppResilienceTest {

    @Autowired SmsOutbox outbox;
    @Autowired SmsDispatcher dispatcher;
    @Autowired SmsStore store;
    @Autowired SmscInbound inbound;
    @Autowired DispatchSignal signal;
    @Autowired BookingService booking;
    @Autowired SmsProperties props;
    @Autowired JdbcTemplate jdbc;
    @Autowired PlatformTransactionManager txManager;
    @Autowired Clock clock;

    PerlSmsc smsc = PerlSmscContext.Shared.smsc();
    String batch;

    @BeforeEach
    void setUp() {
        smsc.control(Map.of());
        batch = UUID.randomUUID().toString().substring(0, 8);
        await("dispatcher bound", Duration.ofSeconds(10), dispatcher::bound);
    }

    @AfterEach
    void restore() {
        smsc.control(Map.of());
        if (!dispatcher.isRunning()) {
            dispatcher.start();
        }
    }

    /** Queues n messages (every fourth one long, two parts), each with its own text; returns the texts. */
    List<String> queue(int n) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String t = "【健康热线】批次" + batch + "第" + i + "条" + (i % 4 == 3 ? "，这是一条较长的短信，用来检查分段重发时每一段只送达一次。".repeat(2) : "");
            texts.add(t);
            outbox.enqueue(null, SmsKind.REPLY, Fixtures.mobile(), t, null);
        }
        return texts;
    }

    /** Rows of this batch in any of the states, counted in one statement. */
    long rows(String... statuses) {
        String in = String.join(",", java.util.Collections.nCopies(statuses.length, "?"));
        List<Object> args = new ArrayList<>();
        args.add("%批次" + batch + "第%");
        args.addAll(List.of(statuses));
        return SmsTestSupport.count(jdbc, "SELECT COUNT(*) FROM sms_message WHERE body LIKE ? AND status IN (" + in
                + ")", args.toArray());
    }

    /** Accepted submits of this batch, per whole text (parts reassembled), as counts. */
    Map<String, Long> acceptedTexts() {
        Map<String, Long> out = new HashMap<>();
        for (List<String> texts : smsc.textsByDestination().values()) {
            for (String t : texts) {
                if (t != null && t.contains("批次" + batch + "第")) {
                    out.merge(t, 1L, Long::sum);
                }
            }
        }
        return out;
    }

    @Test
    void withThirtyPercentOfSubmitsThrottledEveryMessageIsDeliveredExactlyOnce() {
        smsc.control(Map.of("throttle_pct", 30));
        List<String> texts = queue(200);
        await("all delivered", Duration.ofSeconds(60), () -> rows("DELIVERED") == 200);
        Map<String, Long> accepted = acceptedTexts();
        assertThat(accepted.keySet()).containsExactlyInAnyOrderElementsOf(texts);
        assertThat(accepted.values()).containsOnly(1L);
        long throttled = smsc.submits().stream().filter(s -> "ESME_RTHROTTLED".equals(s.status())
                && s.text() != null && s.text().contains("批次" + batch)).count();
        assertThat(throttled).as("throttled submits").isGreaterThan(20);
        // every part accepted exactly once, even parts of a message whose other part was throttled
        java.util.Set<String> batchPhones = smsc.submits().stream()
                .filter(s -> s.text() != null && s.text().contains("批次" + batch + "第"))
                .map(PerlSmsc.Submit::destination).collect(Collectors.toSet());
        Map<String, Long> perPart = smsc.submits().stream().filter(PerlSmsc.Submit::accepted)
                .filter(s -> s.ref() != null && batchPhones.contains(s.destination()))
                .collect(Collectors.groupingBy(s -> s.destination() + "/" + s.ref() + "/" + s.seq(),
                        Collectors.counting()));
        assertThat(perPart).hasSize(50 * 2);
        assertThat(perPart.values()).containsOnly(1L);
    }

    @Test
    void theSmscKilledMidBatchAndRestartedLosesNothing() {
        smsc.control(Map.of("resp_delay_ms", 100));
        List<String> texts = queue(300);
        await("a first part of the batch sent", Duration.ofSeconds(30), () -> acceptedTexts().size() >= 60);
        smsc.kill();
        await("gateway sees the SMSC gone", Duration.ofSeconds(10), () -> !dispatcher.bound());
        PerlSmsc.sleep(1000);
        smsc.restart();
        await("every message taken by the SMSC", Duration.ofSeconds(90),
                () -> rows("SUBMITTED", "DELIVERED") == 300);
        assertThat(rows("PENDING", "SENDING", "FAILED", "EXPIRED", "CANCELLED")).isZero();
        Map<String, Long> accepted = acceptedTexts();
        assertThat(accepted.keySet()).containsExactlyInAnyOrderElementsOf(texts);
        // only what was in flight when the SMSC died can have gone twice (its answer was lost)
        long twice = accepted.values().stream().filter(n -> n > 1).count();
        System.out.printf("SMSC killed mid-batch: %d of 300 messages taken twice (in flight at the kill)%n", twice);
        assertThat(twice).isLessThanOrEqualTo(props.dispatch().window());
        assertThat(accepted.values()).allMatch(n -> n <= 2);
    }

    @Test
    void theGatewayStoppedMidBatchAndRestartedLosesNothingAndSendsNothingTwice() {
        smsc.control(Map.of("resp_delay_ms", 100));
        List<String> texts = queue(300);
        await("a first part of the batch sent", Duration.ofSeconds(30), () -> acceptedTexts().size() >= 60);
        dispatcher.stop();
        int sentBeforeStop = acceptedTexts().size();
        assertThat(sentBeforeStop).isLessThan(300);
        assertThat(rows("SENDING")).as("claims handed back at stop").isZero();
        PerlSmsc.sleep(500);
        assertThat(acceptedTexts()).hasSize(sentBeforeStop); // stopped means stopped
        dispatcher.start();
        await("all delivered after the restart", Duration.ofSeconds(60), () -> rows("DELIVERED") == 300);
        Map<String, Long> accepted = acceptedTexts();
        assertThat(accepted.keySet()).containsExactlyInAnyOrderElementsOf(texts);
        assertThat(accepted.values()).containsOnly(1L);
    }

    @Test
    void aNodeThatDiedHoldingClaimsIsTakenOverAfterItsLeaseWithoutResendingAcceptedParts() {
        String phone = Fixtures.mobile();
        String text = "【健康热线】批次" + batch + "第0条，" + "一条两段的短信，第一段在节点宕机前已被短信中心接收。".repeat(3);
        assertThat(Ucs2Message.partCount(text)).isEqualTo(2);
        // the application's clock decides whether the lease ran out, so the dead node's times come from it too
        LocalDateTime past = LocalDateTime.now(clock).minusMinutes(5);
        // row and accepted part in one commit: the live dispatcher polls all the time, and a row it could see
        // before its part 1 is recorded is, rightly, a row with nothing sent yet (it would send both parts)
        long id = new TransactionTemplate(txManager).execute(st -> {
            jdbc.update("""
                    INSERT INTO sms_message (kind, phone, phone_masked, body, parts, status, next_attempt_at, claimed_by,
                      claimed_until, created_at) VALUES ('REPLY', ?, '139****0000', ?, 2, 'SENDING', ?, 'dead-node', ?, ?)""",
                    phone, text, past, past.plusMinutes(2), past);
            long rowId = jdbc.queryForObject("SELECT id FROM sms_message WHERE phone = ?", Long.class, phone);
            jdbc.update("""
                    INSERT INTO sms_part (message_id, part_no, smsc_id, status, node, submitted_at)
                    VALUES (?, 1, 'deadbeef0001', 'DELIVERED', 'dead-node', ?)""", rowId, past);
            return rowId;
        });
        signal.wake();
        await("taken over and delivered", Duration.ofSeconds(20), () -> "DELIVERED".equals(SmsTestSupport.status(jdbc, id)));
        List<PerlSmsc.Submit> sent = smsc.submitsTo(phone);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).seq()).isEqualTo(2);
        assertThat(sent.get(0).text()).isEqualTo(Ucs2Message.parts(text, 0).get(1).text());
    }

    @Test
    void threeNodesOnOneDatabaseNeverSendARowTwice() throws Exception {
        SmsProperties.Dispatch small = TestNodes.dispatch(props.dispatch()).window(5).batchSize(5).build();
        SmsDispatcher b = TestNodes.dispatcher("node-b", props.smpp(), small, store, inbound, signal, booking);
        SmsDispatcher c = TestNodes.dispatcher("node-c", props.smpp(), small, store, inbound, signal, booking);
        b.start();
        c.start();
        try {
            await("nodes bound", Duration.ofSeconds(10), () -> b.bound() && c.bound());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<List<String>>> parts = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                parts.add(pool.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        String text = "【健康热线】批次" + batch + "第" + thread + "-" + i + "条";
                        outbox.enqueue(null, SmsKind.REPLY, Fixtures.mobile(), text, null);
                        mine.add(text);
                    }
                    return mine;
                }));
            }
            List<String> texts = new ArrayList<>();
            for (Future<List<String>> f : parts) {
                texts.addAll(f.get());
            }
            pool.shutdown();
            await("all delivered", Duration.ofSeconds(60), () -> rows("DELIVERED") == 400);
            Map<String, Long> accepted = acceptedTexts();
            assertThat(accepted.keySet()).containsExactlyInAnyOrderElementsOf(texts);
            assertThat(accepted.values()).containsOnly(1L);
            Map<String, Long> byNode = jdbc.queryForList("""
                    SELECT p.node FROM sms_part p JOIN sms_message m ON m.id = p.message_id WHERE m.body LIKE ?""",
                    String.class, "%批次" + batch + "第%").stream()
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(byNode.keySet()).as("nodes that sent").hasSizeGreaterThanOrEqualTo(2);
            assertThat(byNode.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(400);
        } finally {
            b.stop();
            c.stop();
        }
    }
}
