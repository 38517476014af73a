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

import org.hotline.booking.Booking.BookingStatus;

/** Bookings found by id, code, resident ID or phone ({@link BookingService}'s find methods): one query each. */
@Component
class BookingQueries {

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final KeyedHash hash;

    BookingQueries(JdbcTemplate jdbc, Clock clock, BookingProperties props) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.hash = new KeyedHash(props.idHashKey());
    }

    Optional<Booking> findById(long id) {
        return query(" WHERE b.id = ?", id).stream().findFirst();
    }

    Optional<Booking> findActiveByCode(String code) {
        if (code == null || !code.trim().matches("\\d{6}")) {
            return Optional.empty();
        }
        return query(" WHERE b.active_code = ?", code.trim()).stream().findFirst();
    }

    /**
     * The active booking with this code, only if it is tied to this phone ({@link PhoneTie}); otherwise
     * empty, after the same one query whether the code does not exist or the booking is someone else's.
     */
    Optional<Booking> findActiveByCodeTiedTo(String code, String phone) {
        String p = PhoneNumber.normalise(phone);
        if (code == null || !code.trim().matches("\\d{6}") || p == null || p.isEmpty()) {
            return Optional.empty();
        }
        return query(" WHERE b.active_code = ? AND " + PhoneTie.SQL, withTie(p, code.trim()))
                .stream().findFirst();
    }

    /**
     * A patient's bookings that are tied to this phone ({@link PhoneTie}), newest slot first: the same one
     * query whether the patient has no bookings or only bookings tied to other phones.
     */
    List<Booking> findByResidentIdTiedTo(String residentIdInput, String phone) {
        Optional<ResidentId> id = ResidentId.tryParse(residentIdInput);
        String p = PhoneNumber.normalise(phone);
        if (id.isEmpty() || p == null || p.isEmpty()) {
            return List.of();
        }
        return query(" WHERE b.patient_hash = ? AND " + PhoneTie.SQL
                + " ORDER BY b.slot_starts_at DESC, b.id DESC", withTie(p, hash.of(id.get().value())));
    }

    /** Whether this phone may reach the booking by phone or SMS: the one rule both channels ask ({@link PhoneTie}). */
    boolean isTiedTo(long bookingId, String phone) {
        String p = PhoneNumber.normalise(phone);
        if (p == null || p.isEmpty()) {
            return false;
        }
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM booking b WHERE b.id = ? AND " + PhoneTie.SQL,
                Integer.class, withTie(p, bookingId));
        return n != null && n > 0;
    }

    private Object[] withTie(String normalisedPhone, Object first) {
        Object[] tie = PhoneTie.args(normalisedPhone, hash);
        return new Object[] {first, tie[0], tie[1]};
    }

    /** A patient's bookings, newest slot first. */
    List<Booking> findByResidentId(String residentIdInput) {
        Optional<ResidentId> id = ResidentId.tryParse(residentIdInput);
        if (id.isEmpty()) {
            return List.of();
        }
        return query(" WHERE b.patient_hash = ? ORDER BY b.slot_starts_at DESC, b.id DESC",
                hash.of(id.get().value()));
    }

    /** Bookings tied to a phone (as the SMS number or a family phone) or made from it, newest slot first. */
    List<Booking> findByPhone(String phone) {
        String p = PhoneNumber.normalise(phone);
        if (p == null || p.isEmpty()) {
            return List.of();
        }
        return query(" WHERE " + PhoneTie.SQL + " ORDER BY b.slot_starts_at DESC, b.id DESC",
                PhoneTie.args(p, hash));
    }

    /** Active bookings whose slot is still ahead, for "check or cancel my bookings". */
    List<Booking> upcoming(List<Booking> bookings) {
        LocalDateTime now = now();
        return bookings.stream().filter(b -> b.status() == BookingStatus.ACTIVE && b.startsAt().isAfter(now))
                .sorted(java.util.Comparator.comparing(Booking::startsAt)).toList();
    }

    /** Bookings, as {@link #ROW} reads them, of a WHERE clause over {@code b} (and its ORDER BY). */
    List<Booking> query(String where, Object... args) {
        return jdbc.query(SELECT + " " + where, BookingQueries::booking, args);
    }

    /** A booking with its facility, service, slot end, vaccine rule and family phones: one row per booking. */
    private static final String SELECT = """
            SELECT b.*, f.name AS facility_name, s.name AS service_name, s.kind AS service_kind,
                   sl.ends_at AS slot_ends_at, v.min_interval_days, v.doses,
                   (SELECT GROUP_CONCAT(p.phone ORDER BY p.phone SEPARATOR ',') FROM booking_phone p
                     WHERE p.booking_id = b.id AND p.role = 'FAMILY') AS family_phones
            FROM booking b JOIN facility f ON f.id = b.facility_id JOIN service s ON s.id = b.service_id
            JOIN slot sl ON sl.id = b.slot_id LEFT JOIN vaccine v ON v.id = b.vaccine_id""";

    /** The one place a {@link Booking} is made from its row. */
    private static Booking booking(ResultSet rs, int row) throws SQLException {
        Integer dose = (Integer) rs.getObject("dose_number");
        LocalDate date = rs.getObject("slot_date", LocalDate.class);
        LocalDate next = null;
        if (dose != null && rs.getObject("doses") != null && dose < rs.getInt("doses")) {
            next = date.plusDays(rs.getInt("min_interval_days"));
        }
        String family = rs.getString("family_phones");
        return new Booking(rs.getLong("id"), rs.getString("code"), BookingStatus.valueOf(rs.getString("status")),
                rs.getLong("facility_id"), rs.getString("facility_name"), rs.getLong("service_id"),
                rs.getString("service_name"), ServiceKind.valueOf(rs.getString("service_kind")),
                (Long) rs.getObject("vaccine_id", Long.class), dose, rs.getLong("slot_id"), date,
                rs.getObject("slot_starts_at", LocalDateTime.class), rs.getObject("slot_ends_at", LocalDateTime.class),
                Pool.valueOf(rs.getString("pool")), rs.getString("patient_masked"),
                (Integer) rs.getObject("patient_age", Integer.class), rs.getString("sms_phone"),
                family == null ? List.of() : List.of(family.split(",")), rs.getString("calling_number"),
                Channel.valueOf(rs.getString("channel")), rs.getString("actor"),
                rs.getObject("created_at", LocalDateTime.class), next);
    }

    /**
     * The people booked before from or for this phone (bookings tied to it, {@link PhoneTie}), the most recently
     * booked first, at most {@code max}. For a verified calling number only (docs/security.md): a withheld or
     * unverified number gets nothing tied to it.
     */
    List<KnownPatient> patientsTiedTo(String phone, int max) {
        String p = PhoneNumber.normalise(phone);
        if (p == null || p.isEmpty() || max <= 0) {
            return List.of();
        }
        record Row(long id, String hash, String masked, String sms, int age, LocalDate date) {
        }
        List<Row> rows = jdbc.query("""
                SELECT b.id, b.patient_hash, b.patient_masked, b.sms_phone, b.patient_age, b.slot_date
                FROM booking b WHERE """ + " " + PhoneTie.SQL + " ORDER BY b.created_at DESC, b.id DESC LIMIT 200",
                (rs, i) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                        rs.getObject(6, LocalDate.class)), PhoneTie.args(p, hash));
        java.util.LinkedHashMap<String, Row> newest = new java.util.LinkedHashMap<>();
        for (Row r : rows) {
            newest.putIfAbsent(r.hash(), r);
        }
        List<KnownPatient> out = new java.util.ArrayList<>();
        LocalDate today = now().toLocalDate();
        for (Row r : newest.values()) {
            if (out.size() == max) {
                break;
            }
            List<String> family = jdbc.queryForList(
                    "SELECT phone FROM booking_phone WHERE booking_id = ? AND role = 'FAMILY' ORDER BY phone",
                    String.class, r.id());
            Patient known = new Patient(r.hash(), r.masked(), null, r.age(), r.date(), true);
            out.add(new KnownPatient(new PatientRef(r.id()), r.masked().substring(Math.max(0, r.masked().length() - 4)),
                    known.youngestOn(today), r.sms(), family));
        }
        return out;
    }

    /** The patient of an earlier booking, only when that booking is tied to this phone; else NOT_FOUND. */
    Patient patientOf(PatientRef ref, String phone) {
        String p = PhoneNumber.normalise(phone);
        if (ref == null || p == null || p.isEmpty()) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        Object[] tie = PhoneTie.args(p, hash);
        List<Patient> rows = jdbc.query("""
                SELECT b.patient_hash, b.patient_masked, b.patient_age, b.slot_date FROM booking b
                WHERE b.id = ? AND """ + " " + PhoneTie.SQL, (rs, i) -> new Patient(rs.getString(1), rs.getString(2),
                null, rs.getInt(3), rs.getObject(4, LocalDate.class), true), ref.bookingId(), tie[0], tie[1]);
        if (rows.isEmpty()) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        return rows.get(0);
    }

    /** Today, by the booking clock. */
    LocalDate today() {
        return now().toLocalDate();
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
