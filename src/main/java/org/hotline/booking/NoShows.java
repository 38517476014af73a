package org.hotline.booking;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * 爽约 in the booking core: an ACTIVE booking whose slot has ended becomes NO_SHOW, and enough no-shows block
 * the patient's phone booking ({@code patient.phone_blocked_until}, refused with {@code PATIENT_BLOCKED}).
 * When and how often is the release module's rule ({@code release.NoShowRule}); each marking runs in the
 * caller's transaction.
 */
@Component
public class NoShows {

    private static final Logger log = LoggerFactory.getLogger(NoShows.class);

    /** A booking still ACTIVE after its slot ended. */
    public record Candidate(long id, String patientHash, String patientMasked) {
    }

    private final JdbcTemplate jdbc;
    private final BookingQueries queries;
    private final ApplicationEventPublisher events;

    NoShows(JdbcTemplate jdbc, BookingQueries queries, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.queries = queries;
        this.events = events;
    }

    /**
     * ACTIVE bookings whose slot ended by {@code cutoff}, earliest first, at most 5000.
     *
     * @param facilityIds the facilities to look at, null for all
     */
    public List<Candidate> due(LocalDateTime cutoff, Collection<Long> facilityIds) {
        return jdbc.query("""
                SELECT b.id, b.patient_hash, b.patient_masked FROM booking b JOIN slot sl ON sl.id = b.slot_id
                WHERE b.status = 'ACTIVE' AND b.slot_date <= ? AND sl.ends_at <= ?""" + facilities(facilityIds)
                + " ORDER BY b.slot_starts_at, b.id LIMIT 5000",
                (rs, i) -> new Candidate(rs.getLong(1), rs.getString(2), rs.getString(3)), cutoff.toLocalDate(),
                cutoff);
    }

    /**
     * Marks one booking NO_SHOW (if still ACTIVE) and publishes {@link BookingEvents.BookingNoShow} in the caller's
     * transaction; with {@code threshold} no-shows of the patient after
     * {@code windowStart}, blocks their phone booking until {@code blockedUntil}. Run it in a transaction.
     *
     * @return whether the booking was marked
     */
    public boolean mark(Candidate c, LocalDate windowStart, int threshold, LocalDate blockedUntil) {
        if (jdbc.update("UPDATE booking SET status = 'NO_SHOW' WHERE id = ? AND status = 'ACTIVE'", c.id()) == 0) {
            return false;
        }
        events.publishEvent(new BookingEvents.BookingNoShow(queries.findById(c.id()).orElseThrow()));
        int count = jdbc.queryForObject("""
                SELECT COUNT(*) FROM booking WHERE patient_hash = ? AND status = 'NO_SHOW' AND slot_date > ?""",
                Integer.class, c.patientHash(), windowStart);
        if (count >= threshold) {
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
    }

    /** An {@code AND b.facility_id IN (…)} clause, empty for all. Ids are numbers, so nothing to escape. */
    private static String facilities(Collection<Long> ids) {
        if (ids == null) {
            return "";
        }
        if (ids.isEmpty()) {
            return " AND 1 = 0";
        }
        return " AND b.facility_id IN (" + ids.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")";
    }
}
