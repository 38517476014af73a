package org.hotline.booking;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counters for bookings, cancellations and typed refusals (by reason), and a gauge of places held
 * right now. Exposed at /actuator/prometheus as hotline_bookings_total, hotline_booking_refusals_total…
 */
@Component
public class BookingMetrics {

    private final MeterRegistry registry;

    public BookingMetrics(ObjectProvider<MeterRegistry> registry, JdbcTemplate jdbc) {
        this.registry = registry.getIfAvailable();
        if (this.registry != null) {
            Gauge.builder("hotline.holds.active", jdbc,
                    j -> j.queryForObject("SELECT COUNT(*) FROM hold WHERE status = 'ACTIVE'", Integer.class))
                    .description("places held and not yet confirmed or released").register(this.registry);
        }
    }

    void booked(Channel channel) {
        if (registry != null) {
            Counter.builder("hotline.bookings").tag("channel", channel.name()).register(registry).increment();
        }
    }

    void cancelled(Channel channel) {
        if (registry != null) {
            Counter.builder("hotline.cancellations").tag("channel", channel.name()).register(registry).increment();
        }
    }

    /** A transaction the database rolled back for a conflict (deadlock, Galera certification) and that ran again. */
    void retried(String operation) {
        if (registry != null) {
            Counter.builder("hotline.booking.retries").tag("operation", operation).register(registry).increment();
        }
    }

    void refused(String operation, Channel channel, Refusal reason) {
        if (registry != null) {
            Counter.builder("hotline.booking.refusals").tag("operation", operation).tag("channel", channel.name())
                    .tag("reason", reason.name()).register(registry).increment();
        }
    }
}
