package org.hotline.booking;

import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Confirmation: a hold becomes a booking ({@link BookingService#confirm}), or hold and confirm in one step
 * ({@link BookingService#book}). The booking row itself is written here, for a move too ({@link #insertBooking}).
 *
 * <p>Confirming moves the place from {@code held} to {@code booked} in one transaction that locks, in this
 * order: the hold, the patient row, the calling number's day row, and last the pool row.
 */
@Component
class Confirmations {

    private static final Logger log = LoggerFactory.getLogger(BookingService.class);

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final BookingProperties props;
    private final KeyedHash hash;
    private final ApplicationEventPublisher events;
    private final BookingMetrics metrics;
    private final BookingRetry retry;
    private final Eligibility eligibility;
    private final Holds holds;
    private final PoolRows pools;
    private final BookingQueries queries;
    private final SecureRandom random = new SecureRandom();

    Confirmations(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingProperties props,
            ApplicationEventPublisher events, BookingMetrics metrics, BookingRetry retry, Eligibility eligibility,
            Holds holds, PoolRows pools, BookingQueries queries) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.props = props;
        this.hash = new KeyedHash(props.idHashKey());
        this.events = events;
        this.metrics = metrics;
        this.retry = retry;
        this.eligibility = eligibility;
        this.holds = holds;
        this.pools = pools;
        this.queries = queries;
    }

    /** Turns a hold into a booking, or refuses with a typed reason (the hold then stays, so the caller can correct). */
    BookingOutcome confirm(BookingRequest req) {
        BookingOutcome out = confirmOnce(req);
        if (out instanceof BookingOutcome.Refused r) {
            metrics.refused("confirm", req.channel(), r.reason());
        } else {
            metrics.booked(req.channel());
        }
        return out;
    }

    /** The phones of a request, normalised; null when one is not a mobile. */
    private record Phones(String sms, List<String> family) {
    }

    private static Phones phones(BookingRequest req) {
        String sms = null;
        if (req.smsPhone() != null && !req.smsPhone().isBlank()) {
            if (!PhoneNumber.isMobile(req.smsPhone())) {
                return null;
            }
            sms = PhoneNumber.normalise(req.smsPhone());
        }
        List<String> family = new ArrayList<>();
        for (String f : req.familyPhones()) {
            if (!PhoneNumber.isMobile(f)) {
                return null;
            }
            family.add(PhoneNumber.normalise(f));
        }
        return new Phones(sms, family);
    }

    private BookingOutcome confirmOnce(BookingRequest req) {
        if (req.residentId() == null && req.patient() != null) {
            try {
                return confirmAs(req, queries.patientOf(req.patient(), req.callingNumber()));
            } catch (RefusedException e) {
                return e.refused;
            }
        }
        ResidentId.Parsed parsed = ResidentId.parse(req.residentId());
        if (!parsed.valid()) {
            return new BookingOutcome.Refused(parsed.refusal());
        }
        return confirmAs(req, Patient.of(parsed.id(), hash));
    }

    /** Confirms a hold for a patient the waitlist kept (no ID: the vaccine age rule uses the kept age). */
    BookingOutcome confirmWaiting(BookingRequest req, Patient patient) {
        BookingOutcome out = confirmAs(req, patient);
        if (out instanceof BookingOutcome.Refused r) {
            metrics.refused("confirm", req.channel(), r.reason());
        } else {
            metrics.booked(req.channel());
        }
        return out;
    }

    private BookingOutcome confirmAs(BookingRequest req, Patient patient) {
        Phones phones = phones(req);
        if (phones == null) {
            return new BookingOutcome.Refused(Refusal.PHONE_NOT_MOBILE);
        }
        // what the hold is for never changes: read it without locks, before the transaction, so the
        // transaction's snapshot starts only after the patient row is locked (per-patient limits)
        Place place = holdPlace(req.holdId());
        try {
            Booking booking = withFreshCode(() -> retry.run("confirm",
                    () -> tx.execute(status -> confirmInTx(req, place, patient, phones))));
            log.info("Booked {} (code {}) slot {} for {} via {} (sms {})", booking.id(),
                    Booking.maskCode(booking.code()), booking.slotId(), booking.patientMasked(), req.channel(),
                    PhoneNumber.mask(phones.sms()));
            return new BookingOutcome.Booked(booking);
        } catch (RefusedException e) {
            return e.refused;
        }
    }

    /**
     * Runs a transaction that inserts a booking again when its code was drawn by another booking at the
     * same moment (the unique key's refusal); a second active booking for the patient, service and day
     * is refused as DUPLICATE_SAME_DAY.
     */
    <T> T withFreshCode(java.util.function.Supplier<T> transaction) {
        for (int attempt = 0;; attempt++) {
            try {
                return transaction.get();
            } catch (DuplicateKeyException e) {
                String msg = String.valueOf(e.getMessage());
                if (msg.contains("uq_active_patient_day")) {
                    throw new RefusedException(Refusal.DUPLICATE_SAME_DAY, null);
                }
                if (!msg.contains("uq_active_code")) {
                    throw e;
                }
                if (attempt >= 5) {
                    // not e: its message quotes the code ("Duplicate entry '123456'"), and it would be logged
                    throw new IllegalStateException("no free booking code after " + (attempt + 1) + " draws");
                }
                // two bookings drew the same code at once: draw again
            }
        }
    }

    /** Hold and confirm in one step (agent console, tests). A refusal, or a failure, releases the hold. */
    BookingOutcome book(long slotId, Pool pool, BookingRequest reqWithoutHold) {
        HoldOutcome h = holds.hold(slotId, pool, reqWithoutHold.channel());
        if (h instanceof HoldOutcome.Refused r) {
            return new BookingOutcome.Refused(r.reason());
        }
        long holdId = ((HoldOutcome.Held) h).holdId();
        BookingRequest req = reqWithoutHold.withHold(holdId);
        BookingOutcome out;
        try {
            out = confirm(req);
        } catch (RuntimeException e) {
            holds.release(holdId); // a failure holds nothing until the sweeper
            throw e;
        }
        if (out instanceof BookingOutcome.Refused) {
            holds.release(holdId);
        }
        return out;
    }

    /** A place: the pool it is in, its slot, service and facility. */
    record Place(long poolId, Pool pool, long slotId, long serviceId, long facilityId, LocalDate date,
            LocalDateTime startsAt, LocalDateTime endsAt, Long vaccineId, String serviceName, ServiceKind serviceKind,
            String facilityName) {

        /** The columns {@link #of} reads, first in a select list. */
        static final String COLUMNS = """
                q.id, q.pool, sl.id, sl.service_id, s.facility_id, sl.slot_date, sl.starts_at, sl.ends_at,
                s.vaccine_id, s.name, s.kind, f.name""";
        static final String JOINS = """
                JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                JOIN facility f ON f.id = s.facility_id""";

        static Place of(ResultSet rs) throws SQLException {
            return new Place(rs.getLong(1), Pool.valueOf(rs.getString(2)), rs.getLong(3), rs.getLong(4),
                    rs.getLong(5), rs.getObject(6, LocalDate.class), rs.getObject(7, LocalDateTime.class),
                    rs.getObject(8, LocalDateTime.class), rs.getObject(9, Long.class), rs.getString(10),
                    ServiceKind.valueOf(rs.getString(11)), rs.getString(12));
        }
    }

    /** The place a hold keeps (null when there is no such hold). */
    private Place holdPlace(long holdId) {
        return jdbc.query("SELECT " + Place.COLUMNS + " FROM hold h JOIN quota_pool q ON q.id = h.pool_id "
                + Place.JOINS + " WHERE h.id = ?", rs -> rs.next() ? Place.of(rs) : null, holdId);
    }

    private Booking confirmInTx(BookingRequest req, Place place, Patient patient, Phones phones) {
        LocalDateTime now = now();
        if (place == null) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        // the first lock: the hold turns CONFIRMED only if still active and in time (a refusal below rolls it back)
        int confirmed = jdbc.update("""
                UPDATE hold SET status = 'CONFIRMED', ended_at = ? WHERE id = ? AND status = 'ACTIVE' AND expires_at > ?""",
                now, req.holdId(), now);
        if (confirmed != 1) {
            throw new RefusedException(Refusal.HOLD_EXPIRED, null);
        }
        if (!req.channel().mayBook(place.pool())) {
            throw new RefusedException(Refusal.POOL_NOT_FOR_CHANNEL, null);
        }
        if (place.pool() == Pool.COMMUNITY) {
            eligibility.requireCommunityReferral(req.referringFacilityId());
        }
        Booking booking = insertBooking(new NewBooking(place, patient, phones.sms(), phones.family(),
                req.callingNumber(), req.channel(), req.actor(), req.referringFacilityId(), req.holdId(),
                req.context()), now);
        // last, after the listeners (SMS outbox rows): the hot row, locked only until the commit
        if (!pools.heldToBooked(place.poolId())) {
            throw new IllegalStateException("pool " + place.poolId() + " had no held place for hold " + req.holdId());
        }
        return booking;
    }

    /** Everything a new booking row is made of. */
    record NewBooking(Place place, Patient patient, String smsPhone, List<String> familyPhones,
            String callingNumber, Channel channel, String actor, Long referringFacilityId, Long holdId,
            BookingEvents.Context context) {
    }

    /**
     * Inside the caller's transaction: locks the patient row and the calling number's day row, checks the
     * patient and caller rules, writes the booking and its phones, and publishes {@link
     * BookingEvents.BookingConfirmed} (the SMS outbox rows). The pool row is the caller's to change, after this.
     */
    Booking insertBooking(NewBooking nb, LocalDateTime now) {
        Place place = nb.place();
        Patient patient = nb.patient();
        // patient row lock: serialises this patient's bookings so the per-patient limits hold under races.
        // Only the keyed hash: no part of the ID and no birth date (docs/security.md)
        jdbc.update("""
                INSERT INTO patient (id_hash, created_at) VALUES (?, ?)
                ON DUPLICATE KEY UPDATE id_hash = id_hash""", patient.hash(), now);
        Eligibility.Result rules = eligibility.check(patient, place.serviceId(), place.vaccineId(), place.date(), nb.channel());

        String callerHash = null;
        if (nb.callingNumber() != null && !nb.callingNumber().isBlank()) {
            callerHash = hash.of(PhoneNumber.normalise(nb.callingNumber()));
            LocalDate today = now.toLocalDate();
            jdbc.update("INSERT INTO caller_day (caller_hash, day) VALUES (?, ?) ON DUPLICATE KEY UPDATE day = day",
                    callerHash, today);
            Integer todays = jdbc.queryForObject("""
                    SELECT COUNT(*) FROM booking WHERE caller_hash = ? AND created_at >= ? AND status <> 'CANCELLED'""",
                    Integer.class, callerHash, today.atStartOfDay());
            if (todays >= props.maxPerCallerPerDay()) {
                throw new RefusedException(Refusal.TOO_MANY_FOR_CALLER, null);
            }
        }

        String code = freeCode();
        // the age on the day of the slot is what the reports and the voice menu read; the birth date is not kept
        int age = patient.youngestOn(place.date());
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        String ch = callerHash;
        jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    INSERT INTO booking (code, status, slot_id, pool_id, pool, service_id, facility_id, vaccine_id,
                      dose_number, slot_date, slot_starts_at, patient_hash, patient_masked, patient_age,
                      sms_phone, calling_number, caller_hash, channel, actor, referring_facility_id, hold_id, created_at)
                    VALUES (?, 'ACTIVE', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    new String[] {"id"});
            int i = 1;
            ps.setString(i++, code);
            ps.setLong(i++, place.slotId());
            ps.setLong(i++, place.poolId());
            ps.setString(i++, place.pool().name());
            ps.setLong(i++, place.serviceId());
            ps.setLong(i++, place.facilityId());
            ps.setObject(i++, rules.vaccineId());
            ps.setObject(i++, rules.doseNumber());
            ps.setObject(i++, place.date());
            ps.setObject(i++, place.startsAt());
            ps.setString(i++, patient.hash());
            ps.setString(i++, patient.masked());
            ps.setInt(i++, age);
            ps.setString(i++, nb.smsPhone());
            ps.setString(i++, nb.callingNumber());
            ps.setString(i++, ch);
            ps.setString(i++, nb.channel().name());
            ps.setString(i++, nb.actor());
            ps.setObject(i++, nb.referringFacilityId());
            ps.setObject(i++, nb.holdId());
            ps.setObject(i++, now);
            return ps;
        }, key);
        long bookingId = key.getKey().longValue();
        LinkedHashSet<String> tied = new LinkedHashSet<>();
        if (nb.smsPhone() != null) {
            jdbc.update("INSERT INTO booking_phone (booking_id, phone, role) VALUES (?, ?, 'PATIENT')", bookingId,
                    nb.smsPhone());
            tied.add(nb.smsPhone());
        }
        for (String f : nb.familyPhones()) {
            if (tied.add(f)) {
                jdbc.update("INSERT INTO booking_phone (booking_id, phone, role) VALUES (?, ?, 'FAMILY')", bookingId,
                        f);
            }
        }
        // made from what was just written, as BookingQueries would read it back (no second round trip: the
        // confirmation is the hot path, bin/bench counts its statements); the next dose from the dose schedule
        List<String> family = tied.stream().filter(f -> !f.equals(nb.smsPhone())).sorted().toList();
        Booking booking = new Booking(bookingId, code, Booking.BookingStatus.ACTIVE, place.facilityId(),
                place.facilityName(), place.serviceId(), place.serviceName(), place.serviceKind(), rules.vaccineId(),
                rules.doseNumber(), place.slotId(), place.date(), place.startsAt(), place.endsAt(), place.pool(),
                patient.masked(), age, nb.smsPhone(), family, nb.callingNumber(), nb.channel(), nb.actor(),
                now.truncatedTo(java.time.temporal.ChronoUnit.MILLIS), rules.nextDoseFrom());
        events.publishEvent(new BookingEvents.BookingConfirmed(booking, nb.context()));
        return booking;
    }

    /**
     * Six digits, no leading zero (it reads and keys more easily). Uniqueness among active bookings is
     * the unique key's job: on the rare collision the confirmation is retried with a new draw.
     */
    private String freeCode() {
        return Integer.toString(100000 + random.nextInt(900000));
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
