package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.booking.PhoneNumber;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;

/**
 * The embedded default (the shared test context: no SMSC configured): the sink listens on a free
 * loopback port, the dispatcher sends to it, its receipts mark messages delivered, and no log line
 * carries a whole number or ID.
 */
@IntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class EmbeddedSinkTest {

    @Autowired SmscSink sink;
    @Autowired SmsDispatcher dispatcher;
    @Autowired BookingService booking;
    @Autowired SmsStatusQuery query;
    @Autowired Fixtures fx;
    @Autowired JdbcTemplate jdbc;

    @Test
    void withNoSmscConfiguredABookingsSmsRunsThroughTheLoopbackSinkToDelivered(CapturedOutput output) {
        LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
        logging.setLogLevel(SmscSink.class.getName(), LogLevel.INFO); // application-test.yml keeps it quiet
        try {
            throughTheSink(output);
        } finally {
            logging.setLogLevel(SmscSink.class.getName(), LogLevel.WARN);
        }
    }

    void throughTheSink(CapturedOutput output) {
        assertThat(sink.port()).isPositive().isNotEqualTo(2775);
        await("bound to the sink", Duration.ofSeconds(10), dispatcher::bound);
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        String sms = Fixtures.mobile();
        String family = Fixtures.mobile();
        long before = sink.received();
        Booking b = SmsTestSupport.book(booking, SmsTestSupport.slot(fx, dept, 2, 0), sms, List.of(family));
        await("delivered through the sink", Duration.ofSeconds(20), () -> query.forBooking(b.id()).size() == 2
                && query.forBooking(b.id()).stream().allMatch(v -> v.status() == SmsStatus.DELIVERED));
        assertThat(sink.received() - before).isGreaterThanOrEqualTo(4); // two messages of two or more parts each
        assertThat(output.getAll()).contains("SMSC sink got submit_sm", PhoneNumber.mask(sms), Booking.maskCode(b.code()))
                .doesNotContain(sms).doesNotContain(family).doesNotContain(b.code());
    }
}
