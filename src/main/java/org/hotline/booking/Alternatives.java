package org.hotline.booking;

import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The nearest places a patient could take instead of one they cannot have (a full day, a cancelled
 * session): slices of the same department or vaccine with a free place in an open pool, first at the same
 * facility and then at the others offering it, nearest date first and, on one date, the same facility
 * first and then the others in list order ({@code facility.sort_order}, the order the menus read them,
 * nearest first), earliest slice first. The same department elsewhere is a service of the same code or
 * name; the same vaccine is a service of the same vaccine.
 *
 * <p>Only pools open now (the release windows) with room are offered. A vaccine is offered only on days its
 * rules allow ({@link VaccineSchedule#bookableDays}): in its season, and for a known patient within the next dose's
 * interval window (minimum and maximum), after the booster's date, in the dose's age band (all doses done: nothing);
 * for a known patient also no day on which they already have that service. Confirmation still checks everything
 * under locks. The slices come from one query.
 */
@Component
public class Alternatives {

    /** A slice with room, where it is, and whether it is at the facility asked about. */
    public record Alternative(SlotOffer offer, long facilityId, String facilityName, String serviceName,
            boolean sameFacility) {
    }

    /**
     * What to look for.
     *
     * @param serviceId       the department or vaccine at the facility asked about
     * @param after           only slices starting after this (and after now)
     * @param pools           the pools the patient may take from, in preference order
     * @param residentId      the patient, when known (eligibility), or null
     * @param movingBookingId the booking these would replace (its patient; it does not count against them), or null
     * @param limit           at most this many, nearest first
     */
    public record Query(long serviceId, LocalDateTime after, List<Pool> pools, String residentId,
            Long movingBookingId, int limit) {

        public Query {
            pools = List.copyOf(pools);
        }

        /** Slices of the service's department or vaccine from the start of {@code date}, in {@code pool}. */
        public static Query of(long serviceId, LocalDate date, Pool pool, int limit) {
            return new Query(serviceId, date.atStartOfDay(), List.of(pool), null, null, limit);
        }

        /** Slices a channel could book from the start of {@code date}. */
        public static Query of(long serviceId, LocalDate date, Channel channel, int limit) {
            return new Query(serviceId, date.atStartOfDay(), channel.pools(), null, null, limit);
        }

        public Query forPatient(String residentIdInput) {
            return new Query(serviceId, after, pools, residentIdInput, movingBookingId, limit);
        }

        /** For moving this booking: its patient, and it does not count against them. */
        public Query moving(long bookingId) {
            return new Query(serviceId, after, pools, residentId, bookingId, limit);
        }
    }

    /** How far ahead a vaccine's bookable days are worked out (slices are released weeks ahead, not years). */
    static final int HORIZON_YEARS = 2;

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final KeyedHash hash;
    private final Eligibility rules;

    Alternatives(JdbcTemplate jdbc, Clock clock, BookingProperties props, Eligibility rules) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.hash = new KeyedHash(props.idHashKey());
        this.rules = rules;
    }

    /**
     * Places for moving a booking away from its slice (a cancelled session, a caller asking for another
     * day): the same department or vaccine, after the booking's slice, in the pools of {@code channel} (for
     * {@link Channel#SMS_REPLY}: of the channel the booking was made on), for the booking's patient.
     */
    public List<Alternative> forMove(Booking booking, Channel channel, int limit) {
        Channel pools = channel == Channel.SMS_REPLY ? booking.channel() : channel;
        return find(new Query(booking.serviceId(), booking.startsAt(), pools.pools(), null, booking.id(), limit));
    }

    public List<Alternative> find(Query q) {
        if (q.pools().isEmpty() || q.limit() <= 0) {
            return List.of();
        }
        LocalDateTime now = LocalDateTime.now(clock);
        LocalDateTime from = q.after().isAfter(now) ? q.after() : now;
        Eligibility.Window e = eligibility(q, from.toLocalDate(), from.toLocalDate().plusYears(HORIZON_YEARS));
        if (!e.bookable()) {
            return List.of(); // nothing this patient could book of it
        }
        String pools = String.join(",", q.pools().stream().map(p -> "'" + p.name() + "'").toList());
        List<Object> args = new ArrayList<>(List.of(q.serviceId(), now, now, now, q.after()));
        StringBuilder days = new StringBuilder();
        if (e.days() != null) {
            // the vaccine's bookable days: its seasons, the dose's interval window, the booster
            days.append(" AND (");
            for (int i = 0; i < e.days().size(); i++) {
                days.append(i == 0 ? "" : " OR ").append("sl.slot_date BETWEEN ? AND ?");
                args.add(e.days().get(i).from());
                args.add(e.days().get(i).to());
            }
            days.append(")");
        }
        args.add(e.patient() == null ? "" : e.patient().hash());
        args.add(q.movingBookingId() == null ? 0L : q.movingBookingId());
        // a slice appears once per pool with room: enough rows for the limit after keeping one per slice
        args.add(q.limit() * q.pools().size());
        record Row(SlotOffer offer, long facilityId, String facilityName, String serviceName, boolean same) {
        }
        List<Row> rows = jdbc.query("""
                SELECT sl.id, sl.service_id, sl.slot_date, cs.period, sl.starts_at, sl.ends_at, q.pool,
                       q.capacity - q.held - q.booked, s.facility_id, f.name, s.name, s.facility_id = base.facility_id
                FROM service base
                JOIN service s ON s.kind = base.kind AND (s.id = base.id OR (base.vaccine_id IS NOT NULL
                     AND s.vaccine_id = base.vaccine_id) OR (base.vaccine_id IS NULL AND (s.code = base.code
                     OR s.name = base.name)))
                JOIN facility f ON f.id = s.facility_id
                JOIN slot sl ON sl.service_id = s.id
                JOIN clinic_session cs ON cs.id = sl.session_id
                JOIN quota_pool q ON q.slot_id = sl.id
                WHERE base.id = ? AND q.pool IN (%s) AND q.opens_at <= ? AND q.closes_at > ?
                  AND sl.starts_at > ? AND sl.starts_at > ?%s
                  AND q.held + q.booked < q.capacity
                  AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.patient_hash = ? AND b.service_id = sl.service_id
                                  AND b.slot_date = sl.slot_date AND b.status = 'ACTIVE' AND b.id <> ?)
                ORDER BY sl.slot_date, s.facility_id <> base.facility_id, f.sort_order, f.id, sl.starts_at, sl.id
                LIMIT ?""".formatted(pools, days),
                (rs, i) -> new Row(new SlotOffer(rs.getLong(1), rs.getLong(2), rs.getObject(3, LocalDate.class),
                        Period.valueOf(rs.getString(4)), rs.getObject(5, LocalDateTime.class),
                        rs.getObject(6, LocalDateTime.class), Pool.valueOf(rs.getString(7)), rs.getInt(8)),
                        rs.getLong(9), rs.getString(10), rs.getString(11), rs.getBoolean(12)),
                args.toArray());
        // one offer per slice: the first of the pools in preference order
        LinkedHashMap<Long, Row> bySlot = new LinkedHashMap<>();
        for (Row r : rows) {
            if (!e.fits(r.offer().date())) {
                continue;
            }
            bySlot.merge(r.offer().slotId(), r, (a, b) -> q.pools().indexOf(a.offer().pool()) <= q.pools()
                    .indexOf(b.offer().pool()) ? a : b);
        }
        List<Alternative> out = new ArrayList<>();
        for (Row r : bySlot.values()) {
            if (out.size() == q.limit()) {
                break;
            }
            out.add(new Alternative(r.offer(), r.facilityId(), r.facilityName(), r.serviceName(), r.same()));
        }
        return out;
    }

    /**
     * The days the rules leave this patient (or, with nobody known, anyone: a vaccine's seasons); NONE when the
     * patient can book none of it (every dose done, an invalid ID).
     */
    private Eligibility.Window eligibility(Query q, LocalDate from, LocalDate to) {
        Patient patient;
        if (q.movingBookingId() != null && q.residentId() == null) {
            patient = jdbc.query("SELECT patient_hash, patient_masked, patient_age, slot_date FROM booking WHERE id = ?",
                    rs -> rs.next() ? new Patient(rs.getString(1), rs.getString(2), null, rs.getInt(3),
                            rs.getObject(4, LocalDate.class)) : null, q.movingBookingId());
            if (patient == null) {
                return Eligibility.Window.NONE;
            }
        } else if (q.residentId() != null) {
            ResidentId.Parsed parsed = ResidentId.parse(q.residentId());
            if (!parsed.valid()) {
                return Eligibility.Window.NONE;
            }
            patient = Patient.of(parsed.id(), hash);
        } else {
            patient = null;
        }
        return rules.window(patient, q.serviceId(), q.movingBookingId() == null ? 0L : q.movingBookingId(), from, to);
    }
}
