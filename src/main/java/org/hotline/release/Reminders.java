package org.hotline.release;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.BookingEvents;
import org.hotline.booking.BookingService;

/**
 * The day-before reminder: at {@code hotline.release.reminder-at} on the day before a slot, each
 * ACTIVE booking of that slot gets one {@link BookingEvents.ReminderDue}, published inside the
 * transaction that records it in {@code booking_reminder}; the SMS module's listener writes its outbox
 * row in that same transaction, so a reminder is queued once or, if anything fails, not at all and
 * retried on the next run. A booking made after its reminder time gets none (its confirmation has
 * just been sent).
 */
@Component
public class Reminders {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final JobRuns runs;
    private final BookingService bookings;
    private final ApplicationEventPublisher events;
    private final ReleaseProperties props;

    public Reminders(JdbcTemplate jdbc, PlatformTransactionManager txManager, JobRuns runs, BookingService bookings,
            ApplicationEventPublisher events, ReleaseProperties props) {
        this.jdbc = jdbc;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.runs = runs;
        this.bookings = bookings;
        this.events = events;
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
            List<Long> ids = jdbc.queryForList("""
                    SELECT b.id FROM booking b
                    WHERE b.status = 'ACTIVE' AND b.slot_date = ? AND b.slot_starts_at > ? AND b.created_at < ?
                      AND NOT EXISTS (SELECT 1 FROM booking_reminder r WHERE r.booking_id = b.id)"""
                    + scope.and("b.facility_id") + " ORDER BY b.slot_starts_at, b.id", Long.class, date, now, due);
            for (long id : ids) {
                Boolean published = JobRuns.retried(() -> tx.execute(s -> {
                    // the booking row lock orders this against a cancellation of the same booking
                    Long active = jdbc.query("SELECT id FROM booking WHERE id = ? AND status = 'ACTIVE' FOR UPDATE",
                            rs -> rs.next() ? rs.getLong(1) : null, id);
                    if (active == null || jdbc.update("""
                            INSERT IGNORE INTO booking_reminder (booking_id, due_at, reminded_at) VALUES (?, ?, ?)""",
                            id, due, now) == 0) {
                        return false;
                    }
                    events.publishEvent(new BookingEvents.ReminderDue(bookings.findById(id).orElseThrow()));
                    return true;
                }));
                if (Boolean.TRUE.equals(published)) {
                    sent++;
                }
            }
        }
        return sent;
    }
}
