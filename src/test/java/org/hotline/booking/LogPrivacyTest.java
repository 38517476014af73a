package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

@IntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class LogPrivacyTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;

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
        assertThat(output.getAll()).contains("Booked " + b.code()).contains(PhoneNumber.mask(sms))
                .doesNotContain(id).doesNotContain(sms).doesNotContain(family).doesNotContain(caller);
    }
}
