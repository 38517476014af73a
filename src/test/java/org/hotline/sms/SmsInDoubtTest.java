package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookingService;
import org.hotline.testsupport.Fixtures;

/**
 * A gateway killed between the SMSC's submit_sm_resp and its write of the part: the part is in doubt, and
 * the receipt the SMSC routes to a surviving session settles it, so the SMSC gets every part exactly once.
 * Without a receipt the part goes out again after the wait (counted). Real MariaDB, real Perl SMSC; the
 * kill is a second dispatcher whose SMPP session, right after an accepted submit, closes its socket without an
 * unbind and never lets the sender come back ({@link TestNodes.KilledNode}): the node writes nothing more.
 */
@PerlSmscContext
class SmsInDoubtTest {

    @Autowired SmsOutbox outbox;
    @Autowired SmsDispatcher dispatcher;
    @Autowired SmsStore store;
    @Autowired SmscInbound inbound;
    @Autowired DispatchSignal signal;
    @Autowired BookingService booking;
    @Autowired SmsProperties props;
    @Autowired JdbcTemplate jdbc;
    @Autowired Clock clock;

    PerlSmsc smsc = PerlSmscContext.Shared.smsc();
    String batch;
    final List<SmsDispatcher> extra = new ArrayList<>();
    final List<TestNodes.KilledNode> killed = new ArrayList<>();

    @BeforeEach
    void setUp() {
        smsc.control(Map.of());
        batch = UUID.randomUUID().toString().substring(0, 8);
        dispatcher.stop(); // the surviving node of each test is its own, with its own in-doubt wait
    }

    @AfterEach
    void restore() {
        killed.forEach(TestNodes.KilledNode::bury);
        for (SmsDispatcher d : extra) {
            d.stop();
        }
        smsc.control(Map.of());
        dispatcher.start();
    }

    SmsDispatcher node(String name, SmsProperties.Dispatch cfg) {
        SmsDispatcher d = TestNodes.dispatcher(name + "-" + batch, props.smpp(), cfg, store, inbound, signal, booking);
        extra.add(d);
        return d;
    }

    /** A node with one submit in flight that is "killed -9" right after the SMSC accepts a part. */
    TestNodes.KilledNode dyingNode() {
        TestNodes.KilledNode kill = new TestNodes.KilledNode(true);
        killed.add(kill);
        SmsDispatcher d = TestNodes.dispatcher("dying-" + batch, props.smpp(),
                TestNodes.dispatch(props.dispatch()).window(1).lease(Duration.ofSeconds(1)).build(), store, inbound,
                signal, booking, kill.sessions());
        extra.add(d);
        d.start();
        return kill;
    }

    long enqueue(String phone, String text) {
        outbox.enqueue(null, SmsKind.REPLY, phone, text, null);
        return jdbc.queryForObject("SELECT MAX(id) FROM sms_message WHERE phone = ?", Long.class, phone);
    }

    /** Accepted submits per destination and part ("dest/seq"), counted. */
    Map<String, Long> acceptedParts(Set<String> phones) {
        return smsc.submits().stream().filter(PerlSmsc.Submit::accepted).filter(s -> phones.contains(s.destination()))
                .collect(Collectors.groupingBy(s -> s.destination() + "/" + (s.seq() == null ? 1 : s.seq()),
                        Collectors.counting()));
    }

    @Test
    void aNodeKilledAfterTheSmscAcceptedAPartIsSettledByTheReceiptAndNothingIsSentTwice() {
        String longPhone = Fixtures.mobile();
        String p2 = Fixtures.mobile();
        String p3 = Fixtures.mobile();
        String text = "【健康热线】批次" + batch + "，一条两段的短信：第一段被短信中心接收后，发送它的网关立即被杀死。".repeat(2);
        assertThat(Ucs2Message.partCount(text)).isEqualTo(2);
        long first = enqueue(longPhone, text);
        long second = enqueue(p2, "【健康热线】批次" + batch + "第2条");
        long third = enqueue(p3, "【健康热线】批次" + batch + "第3条");
        double settled0 = store.inDoubtSettledCount();
        double resent0 = store.inDoubtResentCount();

        TestNodes.KilledNode dying = dyingNode();
        await("the dying node killed after its first accepted part", Duration.ofSeconds(20), dying::dead);
        // it claimed all three, marked part 1 of the first as started, and the SMSC took that part
        assertThat(SmsTestSupport.count(jdbc, "SELECT COUNT(*) FROM sms_part WHERE message_id IN (?, ?, ?)", first,
                second, third)).as("parts the dead node recorded").isZero();
        assertThat(acceptedParts(Set.of(longPhone))).containsOnlyKeys(longPhone + "/1");
        String acceptedId = smsc.submitsTo(longPhone).get(0).messageId();

        // the survivor waits far longer than this test for a receipt: settling it is the only way out
        SmsDispatcher survivor = node("survivor", TestNodes.dispatch(props.dispatch()).inDoubtWait(Duration.ofMinutes(10)).build());
        survivor.start();
        await("all three delivered", Duration.ofSeconds(40), () -> List.of(first, second, third).stream()
                .allMatch(id -> "DELIVERED".equals(SmsTestSupport.status(jdbc, id))));

        Map<String, Long> accepted = acceptedParts(Set.of(longPhone, p2, p3));
        assertThat(accepted).containsOnlyKeys(longPhone + "/1", longPhone + "/2", p2 + "/1", p3 + "/1");
        assertThat(accepted.values()).as("each part accepted by the SMSC exactly once").containsOnly(1L);
        assertThat(jdbc.queryForObject("SELECT smsc_id FROM sms_part WHERE message_id = ? AND part_no = 1",
                String.class, first)).as("the adopted receipt's id").isEqualTo(acceptedId);
        assertThat(store.inDoubtSettledCount() - settled0).isEqualTo(1.0);
        assertThat(store.inDoubtResentCount() - resent0).isZero();
        // the SMSC routed the receipt of the killed session to the surviving one
        assertThat(smsc.events("dlr_spooled").stream().map(n -> n.path("receipt_for").asString()))
                .contains(acceptedId);
    }

    @Test
    void withoutAReceiptTheInDoubtPartIsSentAgainOnceAfterTheWaitAndCounted() {
        smsc.control(Map.of("dlr", 0));
        String phone = Fixtures.mobile();
        long id = enqueue(phone, "【健康热线】批次" + batch + "，没有回执的短信");
        double resent0 = store.inDoubtResentCount();
        TestNodes.KilledNode dying = dyingNode();
        await("the dying node killed", Duration.ofSeconds(20), dying::dead);
        SmsDispatcher survivor = node("survivor", TestNodes.dispatch(props.dispatch()).inDoubtWait(Duration.ofSeconds(2)).build());
        survivor.start();
        await("in doubt", Duration.ofSeconds(20), () -> "IN_DOUBT".equals(SmsTestSupport.status(jdbc, id)));
        assertThat(smsc.submitsTo(phone)).as("not resent while in doubt").hasSize(1);
        await("sent again after the wait", Duration.ofSeconds(20), () -> "SUBMITTED".equals(
                SmsTestSupport.status(jdbc, id)));
        assertThat(smsc.submitsTo(phone).stream().filter(PerlSmsc.Submit::accepted).count())
                .as("the fallback: the dead node's submit and one resend").isEqualTo(2);
        assertThat(store.inDoubtResentCount() - resent0).isEqualTo(1.0);
        PerlSmsc.sleep(500);
        assertThat(smsc.submitsTo(phone)).hasSize(2);
    }

    @Test
    void manyNodesRacingOnTheSameInDoubtRowsSettleEachExactlyOnce() throws Exception {
        int rows = 20;
        List<String> phones = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        LocalDateTime now = LocalDateTime.now(clock);
        // a "dead node": rows it claimed and marked, each submitted to the real SMSC over its own session
        TestNodes.KilledNode kill = new TestNodes.KilledNode(false);
        SmppLink deadLink = new SmppLink(props.smpp(),
                () -> InetSocketAddress.createUnresolved(props.smpp().host(), props.smpp().port()), inbound,
                "dead-" + batch, kill.sessions());
        deadLink.start();
        try {
            assertThat(deadLink.awaitBound(10_000)).isTrue();
            for (int i = 0; i < rows; i++) {
                String phone = Fixtures.mobile();
                String text = "【健康热线】批次" + batch + "第" + i + "条";
                jdbc.update("""
                        INSERT INTO sms_message (kind, phone, phone_masked, body, parts, status, next_attempt_at,
                          claimed_by, claimed_until, in_flight_part, in_flight_at, created_at)
                        VALUES ('REPLY', ?, ?, ?, 1, 'SENDING', ?, 'dead', ?, 1, ?, ?)""", phone,
                        org.hotline.booking.PhoneNumber.mask(phone), text, now, now.plusMinutes(5), now, now);
                ids.add(jdbc.queryForObject("SELECT id FROM sms_message WHERE phone = ?", Long.class, phone));
                phones.add(phone);
                assertThat(deadLink.submit(phone, Ucs2Message.parts(text, 0).get(0)))
                        .isInstanceOf(SmppLink.Submitted.Accepted.class);
            }
            // the receipts arrive (on any session) before anyone knows the node is dead: they wait
            await("receipts waiting", Duration.ofSeconds(20), () -> SmsTestSupport.count(jdbc,
                    "SELECT COUNT(*) FROM sms_receipt_waiting WHERE source_addr IN ("
                            + phones.stream().map(p -> "'" + p + "'").collect(Collectors.joining(",")) + ")") == rows);
        } finally {
            kill.kill(); // the socket closes with no unbind
            deadLink.stop();
        }
        // the SMSC offered one receipt twice (its first deliver_sm_resp was lost): still one submission
        jdbc.update("""
                INSERT INTO sms_receipt_waiting (smsc_id, stat, err, received_at, source_addr, submit_date)
                SELECT smsc_id, stat, err, received_at, source_addr, submit_date FROM sms_receipt_waiting
                WHERE source_addr = ?""", phones.get(0));
        String idList = ids.stream().map(String::valueOf).collect(Collectors.joining(","));
        jdbc.update("UPDATE sms_message SET claimed_until = ? WHERE id IN (" + idList + ")", now.minusMinutes(1));
        double settled0 = store.inDoubtSettledCount();

        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String node = "racer-" + t + "-" + batch;
            results.add(pool.submit(() -> {
                go.await();
                int adopted = 0;
                for (int round = 0; round < 20; round++) {
                    // what every live node's loop does: settle, then claim (which turns expired rows IN_DOUBT)
                    adopted += store.settleInDoubt(node);
                    List<SmsStore.Claimed> got = store.claim(node, 5, Duration.ofMinutes(1), Duration.ofMinutes(10));
                    assertThat(got).extracting(SmsStore.Claimed::id).doesNotContainAnyElementsOf(ids);
                    store.releaseClaims(node, Duration.ofMinutes(10));
                }
                return adopted;
            }));
        }
        go.countDown();
        int adopted = 0;
        for (Future<Integer> f : results) {
            adopted += f.get();
        }
        pool.shutdown();
        assertThat(adopted).as("rows settled, over all racers").isEqualTo(rows);
        assertThat(store.inDoubtSettledCount() - settled0).isEqualTo(rows);
        assertThat(jdbc.queryForList("SELECT status FROM sms_message WHERE id IN (" + idList + ")", String.class))
                .hasSize(rows).containsOnly("DELIVERED");
        assertThat(SmsTestSupport.count(jdbc, "SELECT COUNT(*) FROM sms_part WHERE message_id IN (" + idList + ")"))
                .isEqualTo(rows);
        assertThat(SmsTestSupport.count(jdbc, "SELECT COUNT(DISTINCT smsc_id) FROM sms_part WHERE message_id IN ("
                + idList + ")")).as("each receipt adopted by one row").isEqualTo(rows);
        assertThat(SmsTestSupport.count(jdbc, "SELECT COUNT(*) FROM sms_receipt_waiting WHERE source_addr IN ("
                + phones.stream().map(p -> "'" + p + "'").collect(Collectors.joining(",")) + ")")).isZero();
        Map<String, Long> accepted = acceptedParts(Set.copyOf(phones));
        assertThat(accepted).hasSize(rows);
        assertThat(accepted.values()).containsOnly(1L);
    }
}
