package org.hotline.booking;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.booking.Booking.BookingStatus;

/**
 * Bookings found for a machine client (the FHIR door, module {@code his}): by facility, slot time, patient (keyed
 * hash), code or id, on any channel and in any status. Gives the patient's keyed hash beside the booking (the clear
 * resident ID is not kept anywhere) and when it was cancelled; phones are not read (a HIS gets none).
 */
@Component
public class BookingSearch {

    /** A booking with the two facts {@link Booking} does not carry. */
    public record Found(Booking booking, String patientHash, LocalDateTime cancelledAt, String facilityCode) {
    }

    /** What to look for; null fields are not filters. {@code facilityIds} is required (a client's reach). */
    public record Query(Collection<Long> facilityIds, Collection<Long> ids, LocalDateTime startsFrom,
            LocalDateTime startsBefore, String patientHash, String code, Integer limit) {
    }

    private final JdbcTemplate jdbc;
    private final KeyedHash hash;

    public BookingSearch(JdbcTemplate jdbc, BookingProperties props) {
        this.jdbc = jdbc;
        this.hash = new KeyedHash(props.idHashKey());
    }

    /** The keyed hash of a resident ID as the booking core keeps it (empty when the input is not a valid ID). */
    public java.util.Optional<String> patientHashOf(String residentIdInput) {
        return ResidentId.tryParse(residentIdInput).map(id -> hash.of(id.value()));
    }

    public List<Found> find(Query q) {
        if (q.facilityIds() == null || q.facilityIds().isEmpty() || (q.ids() != null && q.ids().isEmpty())) {
            return List.of();
        }
        StringBuilder where = new StringBuilder(" WHERE b.facility_id IN (" + join(q.facilityIds()) + ")");
        List<Object> args = new ArrayList<>();
        if (q.ids() != null) {
            where.append(" AND b.id IN (").append(join(q.ids())).append(")");
        }
        if (q.startsFrom() != null) {
            where.append(" AND b.slot_starts_at >= ?");
            args.add(q.startsFrom());
        }
        if (q.startsBefore() != null) {
            where.append(" AND b.slot_starts_at < ?");
            args.add(q.startsBefore());
        }
        if (q.patientHash() != null) {
            where.append(" AND b.patient_hash = ?");
            args.add(q.patientHash());
        }
        if (q.code() != null) {
            where.append(" AND b.code = ?");
            args.add(q.code());
        }
        where.append(" ORDER BY b.slot_starts_at, b.id LIMIT ").append(q.limit() == null ? 1000 : Math.min(q.limit(), 1000));
        return jdbc.query("""
                SELECT b.*, f.name AS facility_name, f.code AS facility_code, s.name AS service_name, s.kind AS service_kind,
                       sl.ends_at AS slot_ends_at
                FROM booking b JOIN facility f ON f.id = b.facility_id JOIN service s ON s.id = b.service_id
                JOIN slot sl ON sl.id = b.slot_id""" + where, BookingSearch::found, args.toArray());
    }

    private static String join(Collection<Long> ids) {
        return String.join(",", ids.stream().map(String::valueOf).toList());
    }

    private static Found found(ResultSet rs, int row) throws SQLException {
        LocalDate date = rs.getObject("slot_date", LocalDate.class);
        Booking b = new Booking(rs.getLong("id"), rs.getString("code"), BookingStatus.valueOf(rs.getString("status")),
                rs.getLong("facility_id"), rs.getString("facility_name"), rs.getLong("service_id"),
                rs.getString("service_name"), ServiceKind.valueOf(rs.getString("service_kind")),
                (Long) rs.getObject("vaccine_id", Long.class), (Integer) rs.getObject("dose_number", Integer.class),
                rs.getLong("slot_id"), date, rs.getObject("slot_starts_at", LocalDateTime.class),
                rs.getObject("slot_ends_at", LocalDateTime.class), Pool.valueOf(rs.getString("pool")),
                rs.getString("patient_masked"), (Integer) rs.getObject("patient_age", Integer.class), null, List.of(),
                null, Channel.valueOf(rs.getString("channel")), rs.getString("actor"),
                rs.getObject("created_at", LocalDateTime.class), null);
        return new Found(b, rs.getString("patient_hash"), rs.getObject("cancelled_at", LocalDateTime.class),
                rs.getString("facility_code"));
    }
}
