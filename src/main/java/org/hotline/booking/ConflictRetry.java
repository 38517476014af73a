package org.hotline.booking;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.springframework.dao.ConcurrencyFailureException;

/**
 * Runs a transaction again when the database refuses it for a conflict: an InnoDB deadlock victim, or
 * Galera refusing a commit that lost certification to another node (1213). The rollback is complete, so
 * running it again is safe, and the retry sees the truth. The one copy and the one policy for every module
 * (booking, SMS outbox, release jobs): {@value #ATTEMPTS} attempts, a random pause between them growing by
 * up to {@value #BACKOFF_STEP_MS} ms per attempt.
 */
public final class ConflictRetry {

    /** How many times a transaction runs at most. */
    public static final int ATTEMPTS = 5;

    /** Between attempts, a random pause of 1 ms up to this × the attempt number, in ms. */
    public static final long BACKOFF_STEP_MS = 4;

    private ConflictRetry() {
    }

    /**
     * Runs {@code transaction}, again on a conflict, by the one policy.
     *
     * @param onRetry told of each refusal that is retried (a metric, a log line)
     * @throws ConcurrencyFailureException the last refusal, or the refusal during whose pause the thread
     *                                     was interrupted (the interrupt flag then stays set)
     */
    public static <T> T run(Consumer<ConcurrencyFailureException> onRetry, Supplier<T> transaction) {
        return run(ATTEMPTS, BACKOFF_STEP_MS, onRetry, transaction);
    }

    /**
     * @param attempts    how many times the transaction runs at most; the last refusal is thrown
     * @param backoffStep between attempts, a random pause of 1 ms up to {@code backoffStep × attempt} ms (0: none)
     * @param onRetry     told of each refusal that is retried (a metric, a log line)
     * @throws ConcurrencyFailureException the last refusal, or the refusal during whose pause the thread
     *                                     was interrupted (the interrupt flag then stays set)
     */
    static <T> T run(int attempts, long backoffStep, Consumer<ConcurrencyFailureException> onRetry,
            Supplier<T> transaction) {
        for (int attempt = 1;; attempt++) {
            try {
                return transaction.get();
            } catch (ConcurrencyFailureException e) {
                if (attempt >= attempts) {
                    throw e;
                }
                onRetry.accept(e);
                if (backoffStep > 0) {
                    try {
                        Thread.sleep(ThreadLocalRandom.current().nextLong(1, backoffStep * attempt));
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
    }
}
