package org.hotline.release;

import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Release transactions run READ COMMITTED: their claims are conditional UPDATEs and locking reads,
 * which see the latest committed rows anyway, and InnoDB then takes no gap locks, so the nightly
 * generation and the minute jobs do not deadlock on the step index.
 */
final class ReleaseTransactions {

    private ReleaseTransactions() {
    }

    static TransactionTemplate readCommitted(PlatformTransactionManager txManager) {
        TransactionTemplate tx = new TransactionTemplate(txManager);
        tx.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
        return tx;
    }
}
