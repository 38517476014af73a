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
    private final HisClients clients;
    private final PushSignal signal;
    private final HisSubscriptions subscriptions;

    AppointmentFeed(JdbcTemplate jdbc, Clock clock, HisClients clients, PushSignal signal,
            HisSubscriptions subscriptions) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.clients = clients;
        this.signal = signal;
        this.subscriptions = subscriptions;
    }

    @EventListener
    void onConfirmed(BookingEvents.BookingConfirmed e) {
        changed(e.booking(), "ACTIVE");
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
        LocalDateTime now = LocalDateTime.now(clock);
        jdbc.update("""
                INSERT INTO his_appointment (booking_id, facility_id, version, status, last_updated) VALUES (?, ?, 1, ?, ?)
                ON DUPLICATE KEY UPDATE version = version + 1, status = VALUES(status),
                  last_updated = GREATEST(last_updated, VALUES(last_updated))""", b.id(), b.facilityId(), status, now);
        int version = jdbc.queryForObject("SELECT version FROM his_appointment WHERE booking_id = ?", Integer.class,
                b.id());
        boolean any = false;
        for (HisClient c : clients.reaching(b.facilityId())) {
            if (c.pushUrl() != null) {
                queue(c.id(), null, b.id(), version, now);
                any = true;
            }
        }
        for (HisSubscriptions.Target t : subscriptions.matching(b.facilityId(), fhirStatus(status), now)) {
            queue(t.clientId(), t.subscriptionId(), b.id(), version, now);
            any = true;
        }
        if (any) {
            signal.afterCommit();
        }
    }

    private void queue(long clientId, Long subscriptionId, long bookingId, int version, LocalDateTime now) {
        jdbc.update("""
                INSERT INTO his_push (client_id, subscription_id, booking_id, version, status, attempts, next_at,
                  created_at) VALUES (?, ?, ?, ?, 'PENDING', 0, ?, ?)""", clientId, subscriptionId, bookingId, version,
                now, now);
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
