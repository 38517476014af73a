package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataIntegrityViolationException;

/** The one conflict retry: each caller's number of attempts, the last refusal thrown, nothing else retried. */
class ConflictRetryTest {

    @Test
    void retriesAConflictUpToTheCallersAttemptsThenThrowsTheLast() {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger told = new AtomicInteger();
        assertThatThrownBy(() -> ConflictRetry.run(4, 0, e -> told.incrementAndGet(), () -> {
            throw new CannotAcquireLockException("deadlock " + runs.incrementAndGet());
        })).isInstanceOf(CannotAcquireLockException.class).hasMessage("deadlock 4");
        assertThat(runs).hasValue(4);
        assertThat(told).hasValue(3);
    }

    @Test
    void everyModuleRunsTheOnePolicy() {
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> ConflictRetry.run(e -> {
        }, () -> {
            throw new CannotAcquireLockException("deadlock " + runs.incrementAndGet());
        })).isInstanceOf(CannotAcquireLockException.class).hasMessage("deadlock " + ConflictRetry.ATTEMPTS);
        assertThat(runs).hasValue(5);
    }

    @Test
    void answersOnceATransactionGoesThrough() {
        AtomicInteger runs = new AtomicInteger();
        String answer = ConflictRetry.run(5, 2, e -> {
        }, () -> {
            if (runs.incrementAndGet() < 3) {
                throw new CannotAcquireLockException("deadlock");
            }
            return "done";
        });
        assertThat(answer).isEqualTo("done");
        assertThat(runs).hasValue(3);
    }

    @Test
    void otherFailuresAreNotRetried() {
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> ConflictRetry.run(5, 0, e -> {
        }, () -> {
            runs.incrementAndGet();
            throw new DataIntegrityViolationException("duplicate");
        })).isInstanceOf(DataIntegrityViolationException.class);
        assertThat(runs).hasValue(1);
    }
}
