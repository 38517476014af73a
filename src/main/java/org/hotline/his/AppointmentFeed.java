package org.hotline.his;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingEvents;

/**
 * Every change of a booking, on any channel, as a new version of its Appointment ({@code his_appointment}) and one
 * push row per hospital system that reaches its facility and has a push address, and per matching Subscription
 * ({@code his_push}). Bookings, cancellations (a console move is a cancellation and a booking; a 停诊 cancels too)
 * and no-shows are heard in their own transaction, so a committed change is always pushed and a rolled-back one
 * never; a check-in is heard right after it (its statement commits by itself).
 */
@Component
public class AppointmentFeed {

    /** An Appointment's version and when it last changed. */
    public record Version(int version, LocalDateTime lastUpdated) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final PushSignal signal;

    AppointmentFeed(JdbcTemplate jdbc, Clock clock, PushSignal signal) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.signal = signal;
    }

    @EventListener
    void onConfirmed(BookingEvents.BookingConfirmed e) {
        changed(e.booking(), "ACTIVE", true);
    }

    @EventListener
    void onCancelled(BookingEvents.BookingCancelled e) {
        changed(e.booking(), "CANCELLED");
    }

    /** 停诊: the hospital cancelled the session; the booking is cancelled (its place closed, not freed). */
    @EventListener
    void onCancelledByHospital(BookingEvents.CancelledByHospital e) {
        changed(e.booking(), "CANCELLED");
    }

    /** Marked a no-show by the release module's rule, in the marking's transaction. */
    @EventListener
    void onNoShow(BookingEvents.BookingNoShow e) {
        changed(e.booking(), "NO_SHOW");
    }

    @EventListener
    void onCheckedIn(BookingEvents.BookingCheckedIn e) {
        changed(e.booking(), "ATTENDED");
    }

    /** A new version of this booking's Appointment, and its pushes. Runs in the caller's transaction. */
    public void changed(Booking b, String status) {
        changed(b, status, false);
    }

    /**
     * @param fresh a booking just made (its id is new, so its Appointment is version 1): on the booking's hot path
     *              this costs two statements, the version row and every push in one INSERT … SELECT (bin/bench
     *              counts the statements of a booking)
     */
    private void changed(Booking b, String status, boolean fresh) {
        LocalDateTime now = LocalDateTime.now(clock);
        jdbc.update("""
                INSERT INTO his_appointment (booking_id, facility_id, version, status, last_updated) VALUES (?, ?, 1, ?, ?)
                ON DUPLICATE KEY UPDATE version = version + 1, status = VALUES(status),
                  last_updated = GREATEST(last_updated, VALUES(last_updated))""", b.id(), b.facilityId(), status, now);
        int version = fresh ? 1
                : jdbc.queryForObject("SELECT version FROM his_appointment WHERE booking_id = ?", Integer.class, b.id());
        // the clients with a push URL that reach the facility, then the live Subscriptions of clients that reach it
        // whose criteria name it (or no facility) and this status (or none), in that order: pushes of one
        // destination stay in version order
        int queued = jdbc.update("""
                INSERT INTO his_push (client_id, subscription_id, booking_id, version, status, attempts, next_at,
                  created_at)
                SELECT client_id, subscription_id, booking_id, version, status, attempts, next_at, created_at FROM (
                  SELECT c.id AS client_id, CAST(NULL AS SIGNED) AS subscription_id, ? AS booking_id, ? AS version,
                    'PENDING' AS status, 0 AS attempts, ? AS next_at, ? AS created_at, 0 AS k, c.id AS o
                  FROM his_client c JOIN his_client_facility f ON f.client_id = c.id
                  WHERE f.facility_id = ? AND c.push_url IS NOT NULL
                  UNION ALL
                  SELECT s.client_id, s.id, ?, ?, 'PENDING', 0, ?, ?, 1, s.id FROM his_subscription s
                  JOIN his_client_facility f ON f.client_id = s.client_id AND f.facility_id = ?
                  WHERE s.status = 'active' AND (s.end_at IS NULL OR s.end_at > ?)
                    AND (s.facility_id IS NULL OR s.facility_id = ?)
                    AND (s.statuses IS NULL OR FIND_IN_SET(?, s.statuses) > 0)
                ) t ORDER BY k, o""",
                b.id(), version, now, now, b.facilityId(), b.id(), version, now, now, b.facilityId(), now,
                b.facilityId(), fhirStatus(status));
        if (queued > 0) {
            signal.afterCommit();
        }
    }

    /** The Appointment.status code of a booking status (what a Subscription's criteria name). */
    static String fhirStatus(String bookingStatus) {
        return switch (bookingStatus) {
            case "ACTIVE" -> "booked";
            case "CANCELLED" -> "cancelled";
            case "ATTENDED" -> "arrived";
            case "NO_SHOW" -> "noshow";
            default -> throw new IllegalArgumentException(bookingStatus);
        };
    }

    /** The versions of these bookings' Appointments (a booking never changed since before the feed: none). */
    public Map<Long, Version> versions(Collection<Long> bookingIds) {
        Map<Long, Version> out = new HashMap<>();
        if (bookingIds.isEmpty()) {
            return out;
        }
        jdbc.query("SELECT booking_id, version, last_updated FROM his_appointment WHERE booking_id IN ("
                + String.join(",", bookingIds.stream().map(String::valueOf).toList()) + ")", rs -> {
                    out.put(rs.getLong(1), new Version(rs.getInt(2), rs.getObject(3, LocalDateTime.class)));
                });
        return out;
    }

    /** Bookings of these facilities whose Appointment changed in [from, to) (either may be null). */
    public List<Long> changedBetween(Collection<Long> facilityIds, LocalDateTime from, LocalDateTime to) {
        if (facilityIds.isEmpty()) {
            return List.of();
        }
        return jdbc.queryForList("SELECT booking_id FROM his_appointment WHERE facility_id IN ("
                + String.join(",", facilityIds.stream().map(String::valueOf).toList()) + ")"
                + " AND last_updated >= ? AND last_updated < ? ORDER BY last_updated, booking_id LIMIT 1000",
                Long.class, from == null ? LocalDateTime.of(1970, 1, 1, 0, 0) : from,
                to == null ? LocalDateTime.of(9999, 1, 1, 0, 0) : to);
    }
}
