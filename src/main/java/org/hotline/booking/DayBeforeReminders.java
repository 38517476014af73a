package org.hotline.booking;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The day-before reminder in the booking core: which ACTIVE bookings are due one, and recording one
 * ({@code booking_reminder}) with its {@link BookingEvents.ReminderDue} in the caller's transaction, so the SMS
 * module's outbox row commits with it. When and how often is the release module's job ({@code release.Reminders}).
 */
@Component
public class DayBeforeReminders {

    private final JdbcTemplate jdbc;
    private final BookingService bookings;
    private final ApplicationEventPublisher events;

    public DayBeforeReminders(JdbcTemplate jdbc, BookingService bookings, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.bookings = bookings;
        this.events = events;
    }

    /**
     * ACTIVE bookings of {@code date} whose slot starts after {@code now}, made before {@code dueAt}, without a
     * reminder yet; earliest first.
     *
     * @param facilityIds the facilities to look at, null for all
     */
    public List<Long> due(LocalDate date, LocalDateTime now, LocalDateTime dueAt, Collection<Long> facilityIds) {
        String facilities = facilityIds == null ? ""
                : facilityIds.isEmpty() ? " AND 1 = 0"
                        : " AND b.facility_id IN ("
                                + facilityIds.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")";
        return jdbc.queryForList("""
                SELECT b.id FROM booking b
                WHERE b.status = 'ACTIVE' AND b.slot_date = ? AND b.slot_starts_at > ? AND b.created_at < ?
                  AND NOT EXISTS (SELECT 1 FROM booking_reminder r WHERE r.booking_id = b.id)"""
                + facilities + " ORDER BY b.slot_starts_at, b.id", Long.class, date, now, dueAt);
    }

    /**
     * Records the reminder of a booking still ACTIVE and publishes its {@link BookingEvents.ReminderDue}, once.
     * Run it in a transaction: the booking's row lock orders it against a cancellation of the same booking.
     *
     * @return whether this call recorded it
     */
    public boolean remind(long bookingId, LocalDateTime dueAt, LocalDateTime now) {
        Long active = jdbc.query("SELECT id FROM booking WHERE id = ? AND status = 'ACTIVE' FOR UPDATE",
                rs -> rs.next() ? rs.getLong(1) : null, bookingId);
        if (active == null || jdbc.update("""
                INSERT IGNORE INTO booking_reminder (booking_id, due_at, reminded_at) VALUES (?, ?, ?)""",
                bookingId, dueAt, now) == 0) {
            return false;
        }
        events.publishEvent(new BookingEvents.ReminderDue(bookings.findById(bookingId).orElseThrow()));
        return true;
    }
}
