package org.hotline.release;

import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * 爽约: a booking still ACTIVE when its slot ended (plus a grace for late check-in data) becomes
 * NO_SHOW; {@code threshold} no-shows within {@code window} block the patient's phone booking for
 * {@code block-for} ({@code patient.phone_blocked_until}, which the booking core refuses with
 * {@code PATIENT_BLOCKED}). Attendance comes from the desk's check-in ({@link #markAttended}).
 */
@Component
public class NoShowRule {

    private static final Logger log = LoggerFactory.getLogger(NoShowRule.class);

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final JobRuns runs;
    private final ReleaseProperties.NoShow rule;
    private final Clock clock;

    public NoShowRule(JdbcTemplate jdbc, PlatformTransactionManager txManager, JobRuns runs, ReleaseProperties props,
            Clock clock) {
        this.jdbc = jdbc;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.runs = runs;
        this.rule = props.noShow();
        this.clock = clock;
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
        record Candidate(long id, String patientHash, String patientMasked) {
        }
        List<Candidate> due = jdbc.query("""
                SELECT b.id, b.patient_hash, b.patient_masked FROM booking b JOIN slot sl ON sl.id = b.slot_id
                WHERE b.status = 'ACTIVE' AND b.slot_date <= ? AND sl.ends_at <= ?""" + scope.and("b.facility_id")
                + " ORDER BY b.slot_starts_at, b.id LIMIT 5000",
                (rs, i) -> new Candidate(rs.getLong(1), rs.getString(2), rs.getString(3)), cutoff.toLocalDate(),
                cutoff);
        LocalDate today = run.now().toLocalDate();
        LocalDate windowStart = today.minusDays(rule.window().toDays());
        LocalDate blockedUntil = today.plusDays(rule.blockFor().toDays());
        int marked = 0;
        for (Candidate c : due) {
            Boolean did = JobRuns.retried(() -> tx.execute(s -> {
                if (jdbc.update("UPDATE booking SET status = 'NO_SHOW' WHERE id = ? AND status = 'ACTIVE'", c.id()) == 0) {
                    return false;
                }
                int count = jdbc.queryForObject("""
                        SELECT COUNT(*) FROM booking WHERE patient_hash = ? AND status = 'NO_SHOW' AND slot_date > ?""",
                        Integer.class, c.patientHash(), windowStart);
                if (count >= rule.threshold()) {
                    int blocked = jdbc.update("""
                            UPDATE patient SET phone_blocked_until = ?
                            WHERE id_hash = ? AND (phone_blocked_until IS NULL OR phone_blocked_until < ?)""",
                            blockedUntil, c.patientHash(), blockedUntil);
                    if (blocked > 0) {
                        log.info("Phone booking blocked until {} for {} after {} no-shows since {}", blockedUntil,
                                c.patientMasked(), count, windowStart.plusDays(1));
                    }
                }
                return true;
            }));
            if (Boolean.TRUE.equals(did)) {
                marked++;
            }
        }
        return marked;
    }

    /**
     * The patient came (from the desk's check-in): an ACTIVE booking of today or earlier becomes ATTENDED
     * and never counts as a no-show.
     */
    public boolean markAttended(String bookingCode) {
        return jdbc.update("UPDATE booking SET status = 'ATTENDED' WHERE active_code = ? AND slot_date <= ?",
                bookingCode, LocalDate.now(clock)) == 1;
    }
}
