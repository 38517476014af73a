package org.hotline.release;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.NoShows;

/**
 * 爽约: a booking still ACTIVE when its slot ended (plus a grace for late check-in data) becomes
 * NO_SHOW; {@code threshold} no-shows within {@code window} block the patient's phone booking for
 * {@code block-for} ({@code patient.phone_blocked_until}, which the booking core refuses with
 * {@code PATIENT_BLOCKED}). This is when and how often; the marking is the booking core's ({@link NoShows}).
 * Attendance comes from the desk's check-in ({@code BookingService.checkIn}), the booking core's one check-in path.
 */
@Component
public class NoShowRule {

    private final NoShows noShows;
    private final TransactionTemplate tx;
    private final JobRuns runs;
    private final ReleaseProperties.NoShow rule;

    public NoShowRule(NoShows noShows, PlatformTransactionManager txManager, JobRuns runs, ReleaseProperties props) {
        this.noShows = noShows;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.runs = runs;
        this.rule = props.noShow();
    }

    /** Marks the no-shows that are due, as one logged run by hand. Returns bookings marked. */
    public int markNoShows(ReleaseScope scope) {
        return runs.run("no-shows", JobRuns.BY_HAND, null, run -> markNoShows(run, scope));
    }

    int markNoShows(JobRuns.Run run, ReleaseScope scope) {
        if (!rule.enabled()) {
            return 0;
        }
        LocalDateTime cutoff = run.now().minus(rule.grace());
        List<NoShows.Candidate> due = noShows.due(cutoff, scope.facilityIds());
        LocalDate today = run.now().toLocalDate();
        LocalDate windowStart = today.minusDays(rule.window().toDays());
        LocalDate blockedUntil = today.plusDays(rule.blockFor().toDays());
        int marked = 0;
        for (NoShows.Candidate c : due) {
            Boolean did = JobRuns.retried(
                    () -> tx.execute(s -> noShows.mark(c, windowStart, rule.threshold(), blockedUntil)));
            if (Boolean.TRUE.equals(did)) {
                marked++;
            }
        }
        return marked;
    }
}
