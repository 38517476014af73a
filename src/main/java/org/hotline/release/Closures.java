package org.hotline.release;

import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.QuotaPools;
import org.hotline.booking.QuotaPools.SessionTaken;

/**
 * Holidays and closures (table {@code closure}): a whole day or one session (period) of a facility, or of one of
 * its services. No session is generated for a closed day; sessions already generated are closed (capacity 0) when
 * nobody holds or has booked a place in them. A day with bookings is not closed here: its bookings must be
 * cancelled and the patients told (停诊, the session-cancellation flow), so the answer lists the sessions that have
 * bookings and nothing changes.
 */
@Component
public class Closures {

    public record Closure(long id, long facilityId, Long serviceId, LocalDate date, String period, String reason,
            String createdBy, LocalDateTime createdAt) {
    }

    /** Closed (with how many sessions were taken off), or not, because these sessions have bookings. */
    public record Outcome(boolean closed, int sessionsClosed, List<SessionTaken> withBookings, boolean duplicate) {
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final QuotaPools quotaPools;

    public Closures(JdbcTemplate jdbc, PlatformTransactionManager txManager, Clock clock, QuotaPools quotaPools) {
        this.jdbc = jdbc;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.clock = clock;
        this.quotaPools = quotaPools;
    }

    /** Whether the service (or its whole facility) is closed that day, for that period or all day. */
    public boolean closed(long facilityId, long serviceId, LocalDate date, String period) {
        return jdbc.queryForObject("""
                SELECT COUNT(*) FROM closure WHERE facility_id = ? AND closed_date = ? AND (service_id IS NULL OR service_id = ?)
                  AND (period IS NULL OR period = ?)""", Integer.class, facilityId, date, serviceId, period) > 0;
    }

    /** Every closure between the two days, as a test for {@link #closedIn}. */
    public java.util.Set<String> closedBetween(LocalDate from, LocalDate to) {
        return new java.util.HashSet<>(jdbc.queryForList("""
                SELECT CONCAT(facility_id, '/', service_key, '/', closed_date, '/', period_key) FROM closure
                WHERE closed_date BETWEEN ? AND ?""", String.class, from, to));
    }

    static boolean closedIn(java.util.Set<String> closed, long facilityId, long serviceId, LocalDate date,
            String period) {
        if (closed.isEmpty()) {
            return false;
        }
        for (long s : new long[] {0, serviceId}) {
            for (String p : new String[] {"", period}) {
                if (closed.contains(facilityId + "/" + s + "/" + date + "/" + p)) {
                    return true;
                }
            }
        }
        return false;
    }

    public List<Closure> list(long facilityId, LocalDate from) {
        return jdbc.query("SELECT * FROM closure WHERE facility_id = ? AND closed_date >= ? ORDER BY closed_date, id",
                (rs, i) -> new Closure(rs.getLong("id"), rs.getLong("facility_id"), rs.getObject("service_id", Long.class),
                        rs.getObject("closed_date", LocalDate.class), rs.getString("period"), rs.getString("reason"),
                        rs.getString("created_by"), rs.getObject("created_at", LocalDateTime.class)), facilityId, from);
    }

    /** The generated sessions a closure would take off, with the places held or booked in each. */
    public List<SessionTaken> sessions(long facilityId, Long serviceId, LocalDate date, String period) {
        List<SessionTaken> out = new ArrayList<>();
        List<Long> services = serviceId == null ? quotaPools.serviceIds(facilityId) : List.of(serviceId);
        for (long s : services) {
            for (SessionTaken t : quotaPools.sessionsAfter(s, date.atStartOfDay().minusSeconds(1))) {
                if (t.date().equals(date) && (period == null || period.equals(t.period()))) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /**
     * Closes a day or session that has no bookings: records the closure and closes its generated sessions, in one
     * transaction under the pools' row locks. When a place is held or booked in any of them, nothing changes.
     */
    public Outcome close(long facilityId, Long serviceId, LocalDate date, String period, String reason, String by) {
        return close(facilityId, serviceId, date, period, reason, by, o -> { });
    }

    /** As above; {@code inTransaction} runs in the closing transaction once it is known to close (the audit row). */
    public Outcome close(long facilityId, Long serviceId, LocalDate date, String period, String reason, String by,
            java.util.function.Consumer<Outcome> inTransaction) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a closure needs its reason");
        }
        if (!date.isAfter(LocalDate.now(clock).minusDays(1))) {
            throw new IllegalArgumentException("a past day cannot be closed");
        }
        List<SessionTaken> sessions = sessions(facilityId, serviceId, date, period);
        List<SessionTaken> booked = sessions.stream().filter(s -> s.taken() > 0).toList();
        if (!booked.isEmpty()) {
            return new Outcome(false, 0, booked, false);
        }
        try {
            return tx.execute(st -> {
                jdbc.update("""
                        INSERT INTO closure (facility_id, service_id, closed_date, period, reason, created_by, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)""", facilityId, serviceId, date, period, reason.strip(), by,
                        LocalDateTime.now(clock));
                for (SessionTaken s : sessions) {
                    if (quotaPools.closeIfUnbooked(s.id()) > 0) {
                        // booked between the look and the locks: nothing is closed
                        st.setRollbackOnly();
                        return new Outcome(false, 0, List.of(s), false);
                    }
                }
                Outcome done = new Outcome(true, sessions.size(), List.of(), false);
                inTransaction.accept(done);
                return done;
            });
        } catch (DuplicateKeyException e) {
            return new Outcome(false, 0, List.of(), true);
        }
    }

    /** Removes a closure; the caller regenerates the services' calendars so its sessions come back. */
    public boolean reopen(long facilityId, long closureId, Runnable inTransaction) {
        return Boolean.TRUE.equals(tx.execute(st -> {
            if (jdbc.update("DELETE FROM closure WHERE id = ? AND facility_id = ?", closureId, facilityId) != 1) {
                return false;
            }
            inTransaction.run();
            return true;
        }));
    }
}
