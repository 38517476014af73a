package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.testsupport.Fixtures;

/** What arrives at the (Perl, Net::SMPP) SMSC, and how receipts close each message. */
@PerlSmscContext
class SmppDeliveryTest {

    @Autowired BookingService booking;
    @Autowired SmsTemplates templates;
    @Autowired SmsOutbox outbox;
    @Autowired SmsStatusQuery query;
    @Autowired Fixtures fx;
    @Autowired JdbcTemplate jdbc;

    PerlSmsc smsc = PerlSmscContext.Shared.smsc();
    long dept;

    @BeforeEach
    void setUp() {
        smsc.control(Map.of());
        dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        jdbc.update("UPDATE facility SET address = '幸福路88号门诊楼二楼' WHERE id = (SELECT facility_id FROM service WHERE id = ?)",
                dept);
    }

    @Test
    void confirmationArrivesAsUcs2PartsWithTheRightTextAndReceiptsMarkItDelivered() {
        String sms = Fixtures.mobile();
        String family = Fixtures.mobile();
        Booking b = SmsTestSupport.book(booking, SmsTestSupport.slot(fx, dept, 3, 0), sms, List.of(family));
        String expected = templates.confirmation(b, templates.placeOf(b));
        assertThat(expected).contains(b.code(), b.facilityName(), "幸福路88号门诊楼二楼", b.serviceName(), "上午9:00-9:30",
                "身份证和医保卡", "取消" + b.code());

        try {
            await("confirmation and family copy delivered", Duration.ofSeconds(20),
                    () -> SmsTestSupport.allDelivered(jdbc, sms, 1) && SmsTestSupport.allDelivered(jdbc, family, 1));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " " + SmsTestSupport.dump(jdbc, sms), e);
        }

        List<PerlSmsc.Submit> parts = smsc.submitsTo(sms);
        assertThat(expected.length()).isGreaterThan(70);
        assertThat(parts).hasSize(Ucs2Message.partCount(expected)).allSatisfy(p -> {
            assertThat(p.dataCoding()).isEqualTo(8);
            assertThat(p.esmClass() & 0x40).isEqualTo(0x40);
            assertThat(p.text().length()).isLessThanOrEqualTo(67);
            assertThat(p.smLength()).isLessThanOrEqualTo(140);
        });
        assertThat(smsc.textsTo(sms)).containsExactly(expected);

        String copy = smsc.textsTo(family).get(0);
        assertThat(copy).isEqualTo(templates.familyCopy(b, templates.placeOf(b))).contains(b.patientMasked(), b.code());
        assertThat(copy).doesNotContain(sms);

        assertThat(query.forBooking(b.id())).extracting(SmsStatusQuery.SmsView::status)
                .containsOnly(SmsStatus.DELIVERED).hasSize(2);
        assertThat(count("SELECT COUNT(*) FROM sms_part p JOIN sms_message m ON m.id = p.message_id "
                + "WHERE m.phone = ? AND p.status = 'DELIVERED' AND p.receipt_stat = 'DELIVRD'", sms))
                .isEqualTo(parts.size());
    }

    @Test
    void aShortTextIsOneUcs2MessageWithoutUdh() {
        String to = Fixtures.mobile();
        outbox.enqueue(null, SmsKind.REPLY, to, templates.help(), null);
        await("help delivered", Duration.ofSeconds(20), () -> SmsTestSupport.allDelivered(jdbc, to, 1));
        assertThat(templates.help().length()).isLessThanOrEqualTo(70);
        PerlSmsc.Submit s = smsc.submitsTo(to).get(0);
        assertThat(s.dataCoding()).isEqualTo(8);
        assertThat(s.esmClass() & 0x40).isZero();
        assertThat(s.ref()).isNull();
        assertThat(s.text()).isEqualTo(templates.help());
    }

    @Test
    void aLongTextArrivesAsPartsThatReassembleToTheWholeText() {
        String to = Fixtures.mobile();
        StringBuilder text = new StringBuilder("【健康热线】长短信测试：");
        for (int i = 0; text.length() < 300; i++) {
            text.append("第").append(i).append("句，请按时到达并携带身份证。");
        }
        outbox.enqueue(null, SmsKind.REPLY, to, text.toString(), null);
        await("long text delivered", Duration.ofSeconds(20), () -> SmsTestSupport.allDelivered(jdbc, to, 1));
        List<PerlSmsc.Submit> parts = smsc.submitsTo(to);
        assertThat(parts).hasSize((text.length() + 66) / 67);
        assertThat(parts).extracting(PerlSmsc.Submit::ref).containsOnly(parts.get(0).ref());
        assertThat(parts).extracting(PerlSmsc.Submit::total).containsOnly(parts.size());
        assertThat(parts).extracting(PerlSmsc.Submit::seq).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.rangeClosed(1, parts.size()).boxed().toList());
        assertThat(smsc.textsTo(to)).containsExactly(text.toString());
    }

    @Test
    void receiptsThatQuoteTheIdInDecimalStillMatch() {
        smsc.control(Map.of("dlr_id", "dec"));
        String to = Fixtures.mobile();
        outbox.enqueue(null, SmsKind.REPLY, to, templates.help(), null);
        await("delivered by a decimal-id receipt", Duration.ofSeconds(20),
                () -> SmsTestSupport.allDelivered(jdbc, to, 1));
        String hexId = smsc.submitsTo(to).get(0).messageId();
        assertThat(smsc.events("deliver_sm").stream().filter(e -> hexId.equals(e.path("receipt_for").asString(null))))
                .hasSize(1);
    }

    @Test
    void permanentRefusalsAndFailedReceiptsAreShownToAgents() {
        String rejected = Fixtures.mobile();
        String undeliverable = Fixtures.mobile();
        String expired = Fixtures.mobile();
        smsc.control(Map.of("reject_dest", List.of(rejected),
                "dlr_stat", Map.of(undeliverable, "UNDELIV", expired, "EXPIRED")));
        Booking b = SmsTestSupport.book(booking, SmsTestSupport.slot(fx, dept, 3, 0), rejected,
                List.of(undeliverable, expired));
        await("all three closed", Duration.ofSeconds(20), () -> query.forBooking(b.id()).stream()
                .allMatch(v -> v.status().done()) && query.forBooking(b.id()).size() == 3);

        Map<String, SmsStatus> byPhone = new java.util.HashMap<>();
        query.forBooking(b.id()).forEach(v -> byPhone.put(v.phoneMasked(), v.status()));
        assertThat(byPhone).containsEntry(org.hotline.booking.PhoneNumber.mask(rejected), SmsStatus.FAILED)
                .containsEntry(org.hotline.booking.PhoneNumber.mask(undeliverable), SmsStatus.FAILED)
                .containsEntry(org.hotline.booking.PhoneNumber.mask(expired), SmsStatus.EXPIRED);
        // the refused one was tried once: a permanent error is not retried
        assertThat(smsc.submitsTo(rejected)).extracting(PerlSmsc.Submit::status).containsOnly("ESME_RINVDSTADR")
                .hasSizeLessThanOrEqualTo(Ucs2Message.partCount(templates.confirmation(b, templates.placeOf(b))));
        assertThat(query.failed(LocalDateTime.now().minusHours(1), 100)).extracting(SmsStatusQuery.SmsView::bookingId)
                .contains(b.id());
        List<SmsStatusQuery.AgentNotice> notices = query.notices(LocalDateTime.now().minusHours(1), 100).stream()
                .filter(n -> n.bookingId() != null && n.bookingId() == b.id()).toList();
        assertThat(notices).hasSize(3).allSatisfy(n -> assertThat(n.text()).contains(b.code(), "请人工联系")
                .doesNotContain(rejected, undeliverable, expired));
        assertThat(notices).anySatisfy(n -> assertThat(n.text()).contains("ESME_RINVDSTADR"));
        // and the configured agent phone got them as SMS
        await("agent SMS", Duration.ofSeconds(20), () -> smsc.textsTo("13700000001").stream()
                .filter(t -> t.contains(b.code())).count() == 3);
    }

    @Test
    void temporaryErrorsAreRetriedWithBackOffUntilTheyPass() {
        String to = Fixtures.mobile();
        smsc.control(Map.of("tempfail_dest", List.of(to)));
        outbox.enqueue(null, SmsKind.REPLY, to, templates.help(), null);
        await("two refusals", Duration.ofSeconds(20), () -> smsc.submitsTo(to).size() >= 2);
        smsc.control(Map.of());
        await("delivered after the SMSC recovers", Duration.ofSeconds(20),
                () -> SmsTestSupport.allDelivered(jdbc, to, 1));
        List<PerlSmsc.Submit> tries = smsc.submitsTo(to);
        assertThat(tries.get(0).status()).isEqualTo("ESME_RMSGQFUL");
        assertThat(tries.get(tries.size() - 1).status()).isEqualTo("ESME_ROK");
        assertThat(tries.stream().filter(PerlSmsc.Submit::accepted)).hasSize(1);
        // back-off: the second try waited at least retry-min (300 ms)
        assertThat(tries.get(1).ts() - tries.get(0).ts()).isGreaterThanOrEqualTo(0.29);
        assertThat(count("SELECT attempts FROM sms_message WHERE phone = ?", to)).isGreaterThanOrEqualTo(1);
    }

    long count(String sql, Object... args) {
        return SmsTestSupport.count(jdbc, sql, args);
    }
}
