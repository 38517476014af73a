package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.booking.Refusal;
import org.hotline.testsupport.Fixtures;

/** Replies injected at the Perl SMSC as deliver_sm: cancel by code, only from a phone tied to the booking. */
@PerlSmscContext
class SmsReplyTest {

    @Autowired BookingService booking;
    @Autowired SmsTemplates templates;
    @Autowired Fixtures fx;
    @Autowired JdbcTemplate jdbc;

    PerlSmsc smsc = PerlSmscContext.Shared.smsc();
    long dept;

    @BeforeEach
    void setUp() {
        smsc.control(Map.of());
        dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
    }

    @Test
    void aReplyFromAFamilyPhoneCancelsTheBookingFreesThePlaceAndIsAnswered() {
        long slot = SmsTestSupport.slot(fx, dept, 1, 1);
        String patient = Fixtures.mobile();
        String family = Fixtures.mobile();
        Booking b = SmsTestSupport.book(booking, slot, patient, List.of(family));
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 1);
        await("confirmation delivered", Duration.ofSeconds(20), () -> SmsTestSupport.allDelivered(jdbc, patient, 1));

        smsc.mo("86" + family, "取消 " + b.code());
        await("cancelled", Duration.ofSeconds(20), () -> booking.findById(b.id()).orElseThrow().status()
                == Booking.BookingStatus.CANCELLED);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 0);
        // the place is free again: someone else gets it
        Booking next = SmsTestSupport.book(booking, slot, Fixtures.mobile(), List.of());
        assertThat(next.slotId()).isEqualTo(slot);

        Booking cancelled = booking.findById(b.id()).orElseThrow();
        await("both phones told", Duration.ofSeconds(20), () -> smsc.textsTo(family).size() == 2
                && smsc.textsTo(patient).size() == 2);
        assertThat(smsc.textsTo(family).get(1)).isEqualTo(templates.cancellation(cancelled, true));
        assertThat(smsc.textsTo(patient).get(1)).isEqualTo(templates.cancellation(cancelled, false))
                .contains(b.code(), "已取消");
    }

    @Test
    void theQxFormFromThePatientPhoneCancelsToo() {
        String patient = Fixtures.mobile();
        Booking b = SmsTestSupport.book(booking, SmsTestSupport.slot(fx, dept, 2, 1), patient, List.of());
        smsc.mo(patient, "qx" + b.code());
        await("cancelled", Duration.ofSeconds(20), () -> booking.findById(b.id()).orElseThrow().status()
                == Booking.BookingStatus.CANCELLED);
    }

    @Test
    void aNumberNotTiedToTheBookingCannotCancelItAndLearnsNothing() {
        long slot = SmsTestSupport.slot(fx, dept, 2, 1);
        String patient = Fixtures.mobile();
        Booking b = SmsTestSupport.book(booking, slot, patient, List.of());
        String stranger = Fixtures.mobile();
        smsc.mo(stranger, "取消" + b.code());
        await("stranger answered", Duration.ofSeconds(20), () -> smsc.textsTo(stranger).size() == 1);
        assertThat(smsc.textsTo(stranger).get(0)).isEqualTo(templates.replyRefused(b.code(), Refusal.NOT_ALLOWED))
                .isEqualTo(templates.replyRefused(b.code(), Refusal.NOT_FOUND));
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ACTIVE);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(2, 0, 1);
    }

    @Test
    void unrecognisedTextGetsAShortHelpText() {
        String someone = Fixtures.mobile();
        smsc.mo(someone, "你好，请问明天几点开门？");
        await("help sent", Duration.ofSeconds(20), () -> smsc.textsTo(someone).size() == 1);
        assertThat(smsc.textsTo(someone).get(0)).isEqualTo(templates.help()).contains("取消");
    }
}
