package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.startsWith;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A transaction the database rolls back for a conflict (InnoDB deadlock victim, Galera certification
 * failure, both error 1213) runs again, a bounded number of times. The race tests on the real database
 * and the Galera cluster test show the counts stay right; this pins the retry itself.
 */
class BookingRetryTest {

    JdbcTemplate jdbc = mock(JdbcTemplate.class);
    BookingMetrics metrics = mock(BookingMetrics.class);
    Clock clock = Clock.fixed(Instant.parse("2030-03-04T02:00:00Z"), ZoneId.of("Asia/Shanghai"));
    BookingProperties props = new BookingProperties(Duration.ofMinutes(5), Duration.ofHours(2), 5, 5,
            "a-test-key-of-some-length");
    BookingService booking = new BookingService(jdbc, mock(TransactionTemplate.class), clock, props,
            mock(ApplicationEventPublisher.class), metrics, new Eligibility(jdbc, clock, props));

    @Test
    void aHoldRolledBackForAConflictIsTakenAgain() {
        when(jdbc.queryForObject(startsWith("CALL take_hold"), eq(Long.class), any(), any(), any(), any(), any()))
                .thenThrow(new CannotAcquireLockException("1213 Deadlock found when trying to get lock"))
                .thenThrow(new CannotAcquireLockException("1213 WSREP detected deadlock/conflict"))
                .thenReturn(42L);
        HoldOutcome out = booking.hold(7, Channel.PHONE_MENU);
        assertThat(out).isInstanceOf(HoldOutcome.Held.class);
        assertThat(((HoldOutcome.Held) out).holdId()).isEqualTo(42);
        verify(metrics, times(2)).retried("hold");
    }

    @Test
    void retriesAreBounded() {
        when(jdbc.queryForObject(startsWith("CALL take_hold"), eq(Long.class), any(), any(), any(), any(), any()))
                .thenThrow(new CannotAcquireLockException("1213"));
        assertThatThrownBy(() -> booking.hold(7, Channel.PHONE_MENU)).isInstanceOf(CannotAcquireLockException.class);
        verify(jdbc, times(5)).queryForObject(startsWith("CALL take_hold"), eq(Long.class), any(), any(), any(), any(),
                any());
    }
}
