package org.hotline.booking;

import java.util.function.Supplier;

import org.springframework.stereotype.Component;

/** The booking core's conflict retry: {@link ConflictRetry}, each retry counted ({@code hotline_booking_retries_total}). */
@Component
class BookingRetry {

    private final BookingMetrics metrics;

    BookingRetry(BookingMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * Runs a whole transaction again when the database rolled it back for a conflict: an InnoDB deadlock
     * victim, or Galera refusing a commit that lost certification to another node (1213). The rollback is
     * complete, so running it again is safe, and the retry sees the truth (e.g. no place left).
     */
    <T> T run(String operation, Supplier<T> transaction) {
        return ConflictRetry.run(e -> metrics.retried(operation), transaction);
    }
}
