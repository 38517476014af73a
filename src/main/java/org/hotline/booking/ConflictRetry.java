package org.hotline.booking;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.springframework.dao.ConcurrencyFailureException;

/**
 * Runs a transaction again when the database refuses it for a conflict: an InnoDB deadlock victim, or
 * Galera refusing a commit that lost certification to another node (1213). The rollback is complete, so
 * running it again is safe, and the retry sees the truth. The one copy for every module; each caller keeps
 * its own number of attempts and back-off.
 */
public final class ConflictRetry {

    private ConflictRetry() {
    }

    /**
     * @param attempts    how many times the transaction runs at most; the last refusal is thrown
     * @param backoffStep between attempts, a random pause of 1 ms up to {@code backoffStep × attempt} ms (0: none)
     * @param onRetry     told of each refusal that is retried (a metric, a log line)
     * @throws ConcurrencyFailureException the last refusal, or the refusal during whose pause the thread
     *                                     was interrupted (the interrupt flag then stays set)
     */
    public static <T> T run(int attempts, long backoffStep, Consumer<ConcurrencyFailureException> onRetry,
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
