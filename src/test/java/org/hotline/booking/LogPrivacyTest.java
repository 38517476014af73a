package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import org.hotline.sms.SmsDispatcher;
import org.hotline.sms.SmsReplies;
import org.hotline.sms.SmsReplyDriver;
import org.hotline.sms.SmsStatus;
import org.hotline.sms.SmsStatusQuery;
import org.hotline.sms.SmscSink;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

@IntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class LogPrivacyTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired SmsDispatcher dispatcher;
    @Autowired SmsStatusQuery sms;
    @Autowired SmsReplies replies;

    @Test
    void bookingAndCancellingLogNeitherWholeIdsNorWholePhoneNumbers(CapturedOutput output) {
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        long slot = fx.slot(dept, clock.now().plusDays(3).withHour(9).withMinute(0).withSecond(0).withNano(0), 0, 0, 2);
        String id = Fixtures.residentIdAged(77);
        String sms = Fixtures.mobile();
        String family = Fixtures.mobile();
        String caller = Fixtures.mobile();
        BookingOutcome out = booking.book(slot, null,
                new BookingRequest(0, id, sms, List.of(family), caller, Channel.PHONE_MENU, "call-9", null));
        Booking b = ((BookingOutcome.Booked) out).booking();
        booking.cancel(b.code(), Channel.SMS_REPLY, family, "sms");
        // the booking is followed in the log by its id; its code only masked (booking codes, docs/security.md)
        assertThat(output.getAll()).contains("Booked " + b.id() + " (code " + Booking.maskCode(b.code()) + ")")
                .contains(PhoneNumber.mask(sms)).doesNotContain(b.code())
                .doesNotContain(id).doesNotContain(sms).doesNotContain(family).doesNotContain(caller);
    }

    /**
     * A booking's whole life in the log: booked, its SMS through the loopback sink (which logs every body, as
     * on the embedded default), a cancel by SMS reply, a reply the gateway does not understand that names a
     * code, a check-in at the desk. No line carries a whole booking code, resident ID or phone number.
     */
    @Test
    void noLineOfABookingCancelCheckInOrSmsFlowCarriesAWholeCode(CapturedOutput output) {
        LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
        logging.setLogLevel(SmscSink.class.getName(), LogLevel.INFO); // application-test.yml keeps it quiet
        List<String> secrets = new ArrayList<>();
        List<Booking> made = new ArrayList<>();
        try {
            await("bound to the sink", dispatcher::bound);
            long hospital = fx.facility("DISTRICT_HOSPITAL");
            long dept = fx.outpatientService(hospital);
            LocalDateTime inThreeDays = clock.now().plusDays(3).withHour(10).withMinute(0).withSecond(0).withNano(0);
            long slot = fx.slot(dept, inThreeDays, 0, 0, 3);
            String patient = Fixtures.mobile();
            String family = Fixtures.mobile();
            String id = Fixtures.residentIdAged(81);
            Booking b = booked(booking.book(slot, null, new BookingRequest(0, id, patient, List.of(family), family,
                    Channel.PHONE_MENU, "call-privacy", null)));
            made.add(b);
            secrets.addAll(List.of(id, patient, family, b.code()));
            await("confirmation and family copy delivered", () -> sms.forBooking(b.id()).size() == 2
                    && sms.forBooking(b.id()).stream().allMatch(v -> v.status() == SmsStatus.DELIVERED));

            // a reply that is not a command but names the code, then the cancel itself
            SmsReplyDriver.reply(replies, family, "我的预约码是" + b.code() + "吗");
            SmsReplyDriver.reply(replies, family, "取消 " + b.code());
            assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.CANCELLED);
            // a refused cancel (the code is no longer active) logs the code it was given
            SmsReplyDriver.reply(replies, family, "取消 " + b.code());
            await("cancellation delivered", () -> sms.forBooking(b.id()).stream()
                    .filter(v -> v.status() == SmsStatus.DELIVERED).count() >= 4);

            // at the desk today
            LocalDateTime morning = clock.now().toLocalDate().atTime(7, 0);
            clock.set(morning);
            long today = fx.slot(dept, morning.plusHours(3), 0, 0, 2, morning.minusDays(1), morning.plusHours(3));
            String other = Fixtures.residentIdAged(64);
            Booking t = booked(booking.book(today, null, new BookingRequest(0, other, null, List.of(), null,
                    Channel.AGENT, "agent-privacy", null)));
            made.add(t);
            secrets.addAll(List.of(other, t.code()));
            assertThat(booking.checkIn(t.code(), hospital, "desk-privacy"))
                    .isInstanceOf(CheckInOutcome.CheckedIn.class);
        } finally {
            clock.reset();
            logging.setLogLevel(SmscSink.class.getName(), LogLevel.WARN);
        }

        String all = output.getAll();
        // the flow was logged (so the checks below look at something): by booking id and masked code
        assertThat(all).contains("Booked " + made.get(0).id(), "Cancelled " + made.get(0).id(),
                "Checked in " + made.get(1).id(), "SMSC sink got submit_sm", "SMS reply from",
                Booking.maskCode(made.get(0).code()));
        for (String line : all.lines().toList()) {
            for (String secret : secrets) {
                assertThat(line).as("a log line carries a whole code, ID or phone").doesNotContain(secret);
            }
        }
    }

    static Booking booked(BookingOutcome out) {
        assertThat(out).isInstanceOf(BookingOutcome.Booked.class);
        return ((BookingOutcome.Booked) out).booking();
    }

    static void await(String what, BooleanSupplier done) {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
