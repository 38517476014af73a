package org.hotline.booking;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What a caller may book now, for a channel: facilities, services, dates and slots that have free
 * quota in a pool the channel may take from. Every list has a stable order (sort order, then id;
 * dates and times ascending), so "key 1" always means the same first entry.
 */
@Component
public class Catalogue {

    private final JdbcTemplate jdbc;
    private final Clock clock;

    public Catalogue(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Facilities offering a service of this kind, whether or not they have free places right now. */
    public List<Facility> facilities(ServiceKind kind) {
        return jdbc.query("""
                SELECT f.* FROM facility f
                WHERE EXISTS (SELECT 1 FROM service s WHERE s.facility_id = f.id AND s.kind = ?)
                ORDER BY f.sort_order, f.id""", Catalogue::facility, kind.name());
    }

    /** Facilities with at least one slot the channel can book now, for a service kind. */
    public List<Facility> bookableFacilities(ServiceKind kind, Channel channel) {
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.query("""
                SELECT f.* FROM facility f
                WHERE EXISTS (SELECT 1 FROM service s JOIN slot sl ON sl.service_id = s.id
                              JOIN quota_pool q ON q.slot_id = sl.id
                              WHERE s.facility_id = f.id AND s.kind = ? AND q.pool IN (%s)
                                AND q.opens_at <= ? AND q.closes_at > ? AND sl.starts_at > ?
                                AND q.held + q.booked < q.capacity%s)%s
                ORDER BY f.sort_order, f.id""".formatted(poolList(channel), spokenService(channel),
                spoken(channel, "FACILITY", "f")),
                Catalogue::facility, kind.name(), now, now, now);
    }

    /**
     * Facilities with slots of this kind the channel could book up to {@code until}, whether or not a place is free or
     * open now: where a caller may wait (候补) when nothing is free anywhere (issue 16).
     */
    public List<Facility> waitableFacilities(ServiceKind kind, Channel channel, LocalDate until) {
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.query("""
                SELECT f.* FROM facility f
                WHERE EXISTS (SELECT 1 FROM service s JOIN slot sl ON sl.service_id = s.id
                              JOIN quota_pool q ON q.slot_id = sl.id
                              WHERE s.facility_id = f.id AND s.kind = ? AND q.pool IN (%s) AND q.capacity > 0
                                AND sl.starts_at > ? AND sl.slot_date <= ?%s)%s
                ORDER BY f.sort_order, f.id""".formatted(poolList(channel), spokenService(channel),
                spoken(channel, "FACILITY", "f")),
                Catalogue::facility, kind.name(), now, until);
    }

    /** The services of a facility a caller may wait for up to {@code until} ({@link #waitableFacilities}). */
    public List<BookableService> waitableServices(long facilityId, ServiceKind kind, Channel channel, LocalDate until) {
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.query(SERVICE_SQL + " " + """
                 WHERE s.facility_id = ? AND s.kind = ?
                   AND EXISTS (SELECT 1 FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id
                               WHERE sl.service_id = s.id AND q.pool IN (%s) AND q.capacity > 0
                                 AND sl.starts_at > ? AND sl.slot_date <= ?)%s
                 ORDER BY s.sort_order, s.id""".formatted(poolList(channel), spokenService(channel)),
                Catalogue::service, facilityId, kind.name(), now, until);
    }

    public Optional<Facility> facility(long id) {
        return jdbc.query("SELECT * FROM facility WHERE id = ?", Catalogue::facility, id).stream().findFirst();
    }

    public List<Facility> facilitiesOfKind(FacilityKind kind) {
        return jdbc.query("SELECT * FROM facility WHERE kind = ? ORDER BY sort_order, id", Catalogue::facility,
                kind.name());
    }

    public List<BookableService> services(long facilityId, ServiceKind kind) {
        return jdbc.query(SERVICE_SQL + " WHERE s.facility_id = ? AND s.kind = ? ORDER BY s.sort_order, s.id",
                Catalogue::service, facilityId, kind.name());
    }

    /** Services of this facility with free quota for the channel now. */
    public List<BookableService> bookableServices(long facilityId, ServiceKind kind, Channel channel) {
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.query(SERVICE_SQL + " " + """
                 WHERE s.facility_id = ? AND s.kind = ?
                   AND EXISTS (SELECT 1 FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id
                               WHERE sl.service_id = s.id AND q.pool IN (%s)
                                 AND q.opens_at <= ? AND q.closes_at > ? AND sl.starts_at > ?
                                 AND q.held + q.booked < q.capacity)%s
                 ORDER BY s.sort_order, s.id""".formatted(poolList(channel), spokenService(channel)),
                Catalogue::service, facilityId, kind.name(), now, now, now);
    }

    public Optional<BookableService> service(long serviceId) {
        return jdbc.query(SERVICE_SQL + " WHERE s.id = ?", Catalogue::service, serviceId).stream().findFirst();
    }

    /** Vaccines offered anywhere, in a stable order. */
    public List<Vaccine> vaccines() {
        return jdbc.query("SELECT * FROM vaccine ORDER BY id", (rs, i) -> vaccine(rs, ""));
    }

    /** Dates with at least one slot the channel can book now, earliest first. */
    public List<LocalDate> dates(long serviceId, Channel channel) {
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.queryForList("""
                SELECT DISTINCT sl.slot_date FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id
                WHERE sl.service_id = ? AND q.pool IN (%s) AND q.opens_at <= ? AND q.closes_at > ?
                  AND sl.starts_at > ? AND q.held + q.booked < q.capacity
                ORDER BY sl.slot_date""".formatted(poolList(channel)), LocalDate.class, serviceId, now, now, now);
    }

    /**
     * Slots of that day the channel can book now, earliest first. Each slot is offered once, from the
     * first of the channel's pools that has room.
     */
    public List<SlotOffer> slots(long serviceId, LocalDate date, Channel channel) {
        LocalDateTime now = LocalDateTime.now(clock);
        List<SlotOffer> all = jdbc.query("""
                SELECT sl.id, sl.service_id, sl.slot_date, cs.period, sl.starts_at, sl.ends_at, q.pool,
                       q.capacity - q.held - q.booked AS free
                FROM slot sl JOIN clinic_session cs ON cs.id = sl.session_id
                JOIN quota_pool q ON q.slot_id = sl.id
                WHERE sl.service_id = ? AND sl.slot_date = ? AND q.pool IN (%s)
                  AND q.opens_at <= ? AND q.closes_at > ? AND sl.starts_at > ? AND q.held + q.booked < q.capacity
                ORDER BY sl.starts_at, sl.id""".formatted(poolList(channel)),
                (rs, i) -> new SlotOffer(rs.getLong(1), rs.getLong(2), rs.getObject(3, LocalDate.class),
                        Period.valueOf(rs.getString(4)), rs.getObject(5, LocalDateTime.class),
                        rs.getObject(6, LocalDateTime.class), Pool.valueOf(rs.getString(7)), rs.getInt(8)),
                serviceId, date, now, now, now);
        // keep one offer per slot: the channel's preferred pool
        java.util.LinkedHashMap<Long, SlotOffer> bySlot = new java.util.LinkedHashMap<>();
        for (SlotOffer o : all) {
            bySlot.merge(o.slotId(), o, (a, b) -> channel.pools().indexOf(a.pool()) <= channel.pools()
                    .indexOf(b.pool()) ? a : b);
        }
        return List.copyOf(bySlot.values());
    }

    /**
     * The phone menu offers an entry added in the console ({@code spoken_name_required}) only once its name can
     * be spoken ({@link SpokenNames}); other channels show names on a screen.
     */
    static String spoken(Channel channel, String kind, String alias) {
        if (channel != Channel.PHONE_MENU) {
            return "";
        }
        return " AND (NOT %1$s.spoken_name_required OR EXISTS (SELECT 1 FROM name_audio na WHERE na.kind = '%2$s'"
                .formatted(alias, kind) + " AND na.entry_id = %s.id))".formatted(alias);
    }

    /** For a service: its own name, and its vaccine's when it offers one. */
    static String spokenService(Channel channel) {
        if (channel != Channel.PHONE_MENU) {
            return "";
        }
        return spoken(channel, "SERVICE", "s") + " AND (s.vaccine_id IS NULL OR EXISTS (SELECT 1 FROM vaccine sv"
                + " WHERE sv.id = s.vaccine_id AND (NOT sv.spoken_name_required OR EXISTS (SELECT 1 FROM name_audio nv"
                + " WHERE nv.kind = 'VACCINE' AND nv.entry_id = sv.id))))";
    }

    static String poolList(Channel channel) {
        if (channel.pools().isEmpty()) {
            return "''";
        }
        return String.join(",", channel.pools().stream().map(p -> "'" + p.name() + "'").toList());
    }

    private static final String SERVICE_SQL = """
            SELECT s.id, s.facility_id, s.code, s.kind, s.name, s.doctor_name, s.vaccine_id,
                   v.code AS v_code, v.name AS v_name, v.doses AS v_doses, v.min_interval_days AS v_min_interval_days,
                   v.min_age_years AS v_min_age_years, v.max_age_years AS v_max_age_years,
                   v.bring_note AS v_bring_note, v.id AS v_id
            FROM service s LEFT JOIN vaccine v ON v.id = s.vaccine_id""";

    static Facility facility(ResultSet rs, int row) throws SQLException {
        return new Facility(rs.getLong("id"), rs.getString("code"), rs.getString("name"),
                FacilityKind.valueOf(rs.getString("kind")), rs.getString("district"), rs.getString("address"));
    }

    static BookableService service(ResultSet rs, int row) throws SQLException {
        Vaccine v = rs.getObject("vaccine_id") == null ? null : vaccine(rs, "v_");
        return new BookableService(rs.getLong("id"), rs.getLong("facility_id"), rs.getString("code"),
                ServiceKind.valueOf(rs.getString("kind")), rs.getString("name"), rs.getString("doctor_name"), v);
    }

    static Vaccine vaccine(ResultSet rs, String p) throws SQLException {
        return new Vaccine(rs.getLong(p + "id"), rs.getString(p + "code"), rs.getString(p + "name"),
                rs.getInt(p + "doses"), rs.getInt(p + "min_interval_days"), rs.getInt(p + "min_age_years"),
                rs.getInt(p + "max_age_years"), rs.getString(p + "bring_note"));
    }
}
