package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

@IntegrationTest
class BookingMetricsTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired MeterRegistry registry;

    double count(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void bookingsAndRefusalsAreCountedByChannelAndReason() {
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        long slot = fx.slot(dept, clock.now().plusDays(2).withHour(15).withMinute(0).withSecond(0).withNano(0), 0, 0, 1);
        double booked = count("hotline.bookings", "channel", "AGENT");
        double full = count("hotline.booking.refusals", "operation", "hold", "channel", "AGENT", "reason", "FULL");
        double badId = count("hotline.booking.refusals", "operation", "confirm", "channel", "AGENT", "reason", "ID_INVALID");
        booking.book(slot, null, new BookingRequest(0, "123", null, List.of(), null, Channel.AGENT, "a", null));
        booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(60), null, List.of(), null,
                Channel.AGENT, "a", null));
        booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(61), null, List.of(), null,
                Channel.AGENT, "a", null));
        assertThat(count("hotline.bookings", "channel", "AGENT")).isEqualTo(booked + 1);
        assertThat(count("hotline.booking.refusals", "operation", "hold", "channel", "AGENT", "reason", "FULL")).isEqualTo(full + 1);
        assertThat(count("hotline.booking.refusals", "operation", "confirm", "channel", "AGENT", "reason", "ID_INVALID"))
                .isEqualTo(badId + 1);
        assertThat(registry.find("hotline.holds.active").gauge()).isNotNull();
    }
}
