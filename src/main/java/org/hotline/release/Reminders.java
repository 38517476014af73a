package org.hotline.release;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.DayBeforeReminders;

/**
 * The day-before reminder job: at {@code hotline.release.reminder-at} on the day before a slot, each
 * ACTIVE booking of that slot gets one {@code BookingEvents.ReminderDue}, which the booking core records and
 * publishes ({@link DayBeforeReminders#remind}) in this job's transaction; the SMS module's listener
 * writes its outbox row in that same transaction, so a reminder is queued once or, if anything fails, not at all
 * and retried on the next run. A booking made after its reminder time gets none (its confirmation has just been
 * sent).
 */
@Component
public class Reminders {

    private final TransactionTemplate tx;
    private final JobRuns runs;
    private final DayBeforeReminders reminders;
    private final ReleaseProperties props;

    public Reminders(PlatformTransactionManager txManager, JobRuns runs, DayBeforeReminders reminders,
            ReleaseProperties props) {
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.runs = runs;
        this.reminders = reminders;
        this.props = props;
    }

    /** Publishes the reminders that are due, as one logged run by hand. Returns reminders published. */
    public int remindDue(ReleaseScope scope) {
        return runs.run("reminders", JobRuns.BY_HAND, null, run -> remindDue(run, scope));
    }

    int remindDue(JobRuns.Run run, ReleaseScope scope) {
        LocalDateTime now = run.now();
        int sent = 0;
        for (LocalDate date : List.of(now.toLocalDate(), now.toLocalDate().plusDays(1))) {
            LocalDateTime due = date.minusDays(1).atTime(props.reminderAt());
            if (due.isAfter(now)) {
                continue;
            }
            for (long id : reminders.due(date, now, due, scope.facilityIds())) {
                Boolean published = JobRuns.retried(() -> tx.execute(s -> reminders.remind(id, due, now)));
                if (Boolean.TRUE.equals(published)) {
                    sent++;
                }
            }
        }
        return sent;
    }
}
