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
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Booking.BookingStatus;

/**
 * The one booking API every channel uses: hold, confirm, release, cancel, find.
 *
 * <p>Quota is taken by one conditional UPDATE on the pool row ({@code held + booked < capacity});
 * the row count says whether the caller got the place, so no place is ever sold twice. The pool
 * row is always the last row a transaction locks (hold → patient → calling number → pool), which
 * keeps the hot row's lock short and the lock order free of cycles.
 */
@Service
public class BookingService {

    private static final Logger log = LoggerFactory.getLogger(BookingService.class);

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final BookingProperties props;
    private final KeyedHash hash;
    private final ApplicationEventPublisher events;
    private final BookingMetrics metrics;
    private final Eligibility eligibility;
    private final SecureRandom random = new SecureRandom();

    public BookingService(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingProperties props,
            ApplicationEventPublisher events, BookingMetrics metrics, Eligibility eligibility) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.props = props;
        this.hash = new KeyedHash(props.idHashKey());
        this.events = events;
        this.metrics = metrics;
        this.eligibility = eligibility;
    }

    /** The keyed hash used for resident IDs and calling numbers (for modules that match on them). */
    public String hashOf(String value) {
        return hash.of(value);
    }

    // ---------------------------------------------------------------- hold

    /** Holds a place in the slot from the first of the channel's pools that has room. */
    public HoldOutcome hold(long slotId, Channel channel) {
        return hold(slotId, null, channel);
    }

    /** Holds a place in a given pool (null: the channel's first pool with room). */
    public HoldOutcome hold(long slotId, Pool pool, Channel channel) {
        HoldOutcome out = holdOnce(slotId, pool, channel);
        if (out instanceof HoldOutcome.Refused r) {
            metrics.refused("hold", channel, r.reason());
        }
        return out;
    }

    /** A hold that lasts {@code ttl} instead of the hold-ttl (a waitlist offer waits for the SMS reply). */
    HoldOutcome holdFor(long slotId, Channel channel, java.time.Duration ttl) {
        return holdOnce(slotId, null, channel, ttl);
    }

    private HoldOutcome holdOnce(long slotId, Pool pool, Channel channel) {
        return holdOnce(slotId, pool, channel, props.holdTtl());
    }

    private HoldOutcome holdOnce(long slotId, Pool pool, Channel channel, java.time.Duration ttl) {
        if (pool != null && !channel.mayBook(pool)) {
            return new HoldOutcome.Refused(Refusal.POOL_NOT_FOR_CHANNEL);
        }
        List<Pool> candidates = pool != null ? List.of(pool) : channel.pools();
        if (candidates.isEmpty()) {
            return new HoldOutcome.Refused(Refusal.POOL_NOT_FOR_CHANNEL);
        }
        LocalDateTime now = now();
        LocalDateTime expires = now.plus(ttl);
        for (Pool p : candidates) {
            Long holdId = retrying("hold", () -> galera()
                    ? takeHoldInTransaction(slotId, p, channel, now, expires)
                    // one round trip: conditional UPDATE on the pool row + the hold row, in one transaction (V1_1)
                    : jdbc.queryForObject("CALL take_hold(?, ?, ?, ?, ?)", Long.class, slotId, p.name(),
                            channel.name(), now, expires));
            if (holdId != null && holdId > 0) {
                return new HoldOutcome.Held(holdId, slotId, p, expires);
            }
        }
        return new HoldOutcome.Refused(whyNoPlace(slotId, candidates, now));
    }

    private volatile Boolean galera;

    /**
     * Galera aborts a transaction that loses certification to another node even while a stored procedure
     * runs it, and then the procedure's outcome cannot be trusted (seen here: the connection's replies
     * went out of step, "Incorrect column count: expected 1, actual 14"; mysql-wsrep#191, #193). On Galera
     * the hold is therefore the same two statements as a plain Spring transaction.
     */
    private boolean galera() {
        Boolean g = galera;
        if (g == null) {
            List<String> on = jdbc.query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'", (rs, i) -> rs.getString(2));
            galera = g = !on.isEmpty() && "ON".equalsIgnoreCase(on.get(0));
        }
        return g;
    }

    /** take_hold (V1_1) as a client-side transaction: 0 when there is no place. */
    private Long takeHoldInTransaction(long slotId, Pool p, Channel channel, LocalDateTime now,
            LocalDateTime expires) {
        return tx.execute(status -> {
            int taken = jdbc.update("""
                    UPDATE quota_pool SET held = held + 1
                    WHERE slot_id = ? AND pool = ? AND held + booked < capacity AND opens_at <= ? AND closes_at > ?
                      AND EXISTS (SELECT 1 FROM slot WHERE id = ? AND starts_at > ?)""", slotId, p.name(), now, now,
                    slotId, now);
            if (taken != 1) {
                return 0L;
            }
            long poolId = jdbc.queryForObject("SELECT id FROM quota_pool WHERE slot_id = ? AND pool = ?", Long.class,
                    slotId, p.name());
            GeneratedKeyHolder key = new GeneratedKeyHolder();
            jdbc.update(c -> {
                var ps = c.prepareStatement("""
                        INSERT INTO hold (pool_id, slot_id, channel, status, created_at, expires_at)
                        VALUES (?, ?, ?, 'ACTIVE', ?, ?)""", new String[] {"id"});
                ps.setLong(1, poolId);
                ps.setLong(2, slotId);
                ps.setString(3, channel.name());
                ps.setObject(4, now);
                ps.setObject(5, expires);
                return ps;
            }, key);
            return key.getKey().longValue();
        });
    }

    /** After take_hold found no place: why not, in the words a caller should hear. */
    private Refusal whyNoPlace(long slotId, List<Pool> candidates, LocalDateTime now) {
        record PoolRow(Pool pool, int free, LocalDateTime opens, LocalDateTime closes, LocalDateTime startsAt) {
        }
        List<PoolRow> pools = jdbc.query("""
                SELECT q.pool, q.capacity - q.held - q.booked, q.opens_at, q.closes_at, sl.starts_at
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id WHERE q.slot_id = ?""",
                (rs, i) -> new PoolRow(Pool.valueOf(rs.getString(1)), rs.getInt(2),
                        rs.getObject(3, LocalDateTime.class), rs.getObject(4, LocalDateTime.class),
                        rs.getObject(5, LocalDateTime.class)), slotId);
        if (pools.isEmpty()) {
            return Refusal.NOT_FOUND;
        }
        if (!pools.get(0).startsAt().isAfter(now)) {
            return Refusal.SLOT_PAST;
        }
        Refusal why = null;
        for (Pool p : candidates) {
            PoolRow row = pools.stream().filter(r -> r.pool() == p).findFirst().orElse(null);
            if (row != null && (now.isBefore(row.opens()) || !now.isBefore(row.closes()))) {
                why = worst(why, Refusal.POOL_CLOSED);
            } else {
                why = worst(why, Refusal.FULL);
            }
        }
        return why;
    }

    /** FULL is the most useful thing to say when one pool is full and another closed. */
    private static Refusal worst(Refusal a, Refusal b) {
        if (a == null) {
            return b;
        }
        return a == Refusal.FULL || b == Refusal.FULL ? Refusal.FULL : a;
    }

    /** Gives a held place back at once (the caller hung up or chose again). Idempotent. */
    public boolean release(long holdId) {
        return endHold(holdId, "RELEASED");
    }

    /** Releases every hold whose time is up; returns how many. Safe to run on several nodes at once. */
    public int expireHolds() {
        List<Long> ids = jdbc.queryForList(
                "SELECT id FROM hold WHERE status = 'ACTIVE' AND expires_at <= ? ORDER BY expires_at LIMIT 1000",
                Long.class, now());
        int n = 0;
        for (long id : ids) {
            if (endHold(id, "EXPIRED")) {
                n++;
            }
        }
        return n;
    }

    private boolean endHold(long holdId, String endStatus) {
        LocalDateTime now = now();
        return Boolean.TRUE.equals(retrying("release", () -> tx.execute(status -> {
            Long poolId = jdbc.query("SELECT pool_id FROM hold WHERE id = ? AND status = 'ACTIVE' FOR UPDATE",
                    rs -> rs.next() ? rs.getLong(1) : null, holdId);
            if (poolId == null) {
                return false;
            }
            jdbc.update("UPDATE hold SET status = ?, ended_at = ? WHERE id = ?", endStatus, now, holdId);
            jdbc.update("UPDATE quota_pool SET held = held - 1 WHERE id = ?", poolId);
            return true;
        })));
    }

    /** Attempts per transaction when the database rolls it back for a conflict. */
    private static final int MAX_ATTEMPTS = 5;

    /**
     * Runs a whole transaction again when the database rolled it back for a conflict: an InnoDB deadlock
     * victim, or Galera refusing a commit that lost certification to another node (1213). The rollback is
     * complete, so running it again is safe, and the retry sees the truth (e.g. no place left).
     */
    private <T> T retrying(String operation, java.util.function.Supplier<T> transaction) {
        return ConflictRetry.run(MAX_ATTEMPTS, 4, e -> metrics.retried(operation), transaction);
    }

    // ---------------------------------------------------------------- patient rules

    /**
     * Checks a patient against a service and day before anything is held, so a menu can say "no"
     * early. Confirmation checks again, under locks.
     */
    public Optional<BookingOutcome.Refused> checkPatient(long serviceId, LocalDate date, String residentIdInput,
            Channel channel) {
        return eligibility.checkPatient(serviceId, date, residentIdInput, channel);
    }

    /**
     * {@link #checkPatient(long, LocalDate, String, Channel)} for a patient booked before from this phone
     * ({@link PatientRef}): NOT_FOUND when the reference is not tied to the phone, ID_NEEDED when a vaccine's age
     * range needs the ID (the age kept on the booking leaves a birthday in doubt).
     */
    public Optional<BookingOutcome.Refused> checkPatient(long serviceId, LocalDate date, PatientRef ref, String phone,
            Channel channel) {
        try {
            Patient p = patientOf(ref, phone);
            Long vaccineId = jdbc.query("SELECT vaccine_id FROM service WHERE id = ?",
                    rs -> rs.next() ? rs.getObject(1, Long.class) : null, serviceId);
            eligibility.check(p, serviceId, vaccineId, date, channel);
            return Optional.empty();
        } catch (RefusedException e) {
            return Optional.of(e.refused);
        }
    }

    /**
     * The people booked before from or for this phone (bookings tied to it, {@link PhoneTie}), the most recently
     * booked first, at most {@code max}. For a verified calling number only (docs/security.md): a withheld or
     * unverified number gets nothing tied to it.
     */
    public List<KnownPatient> patientsTiedTo(String phone, int max) {
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
        List<KnownPatient> out = new ArrayList<>();
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
    private Patient patientOf(PatientRef ref, String phone) {
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

    // ---------------------------------------------------------------- confirm

    /** Turns a hold into a booking, or refuses with a typed reason (the hold then stays, so the caller can correct). */
    public BookingOutcome confirm(BookingRequest req) {
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
                return confirmAs(req, patientOf(req.patient(), req.callingNumber()));
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

    /** What the waitlist keeps of a patient (as a booking row does): hash, masked ID, age on a day. */
    record PatientFacts(String hash, String masked, int age, LocalDate on) {
    }

    /** The patient of a keyed ID or of a reference tied to the phone; throws RefusedException when neither is good. */
    PatientFacts patientFacts(String residentId, PatientRef ref, String phone) {
        if (residentId == null) {
            Patient p = patientOf(ref, phone);
            return new PatientFacts(p.hash(), p.masked(), p.knownAge(), p.knownOn());
        }
        ResidentId.Parsed parsed = ResidentId.parse(residentId);
        if (!parsed.valid()) {
            throw new RefusedException(parsed.refusal(), null);
        }
        LocalDate today = now().toLocalDate();
        return new PatientFacts(hash.of(parsed.id().value()), parsed.id().masked(), parsed.id().ageOn(today), today);
    }

    /** The refusal a {@link #patientFacts} failure carries, or null when it was something else. */
    static Refusal refusalOf(RuntimeException e) {
        return e instanceof RefusedException r ? r.refused.reason() : null;
    }

    /** Confirms a hold for a patient the waitlist kept (no ID: the vaccine age rule uses the kept age). */
    BookingOutcome confirmWaiting(BookingRequest req, PatientFacts p) {
        BookingOutcome out = confirmAs(req, new Patient(p.hash(), p.masked(), null, p.age(), p.on()));
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
            Booking booking = withFreshCode(() -> retrying("confirm",
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
    private <T> T withFreshCode(java.util.function.Supplier<T> transaction) {
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
    public BookingOutcome book(long slotId, Pool pool, BookingRequest reqWithoutHold) {
        HoldOutcome h = hold(slotId, pool, reqWithoutHold.channel());
        if (h instanceof HoldOutcome.Refused r) {
            return new BookingOutcome.Refused(r.reason());
        }
        long holdId = ((HoldOutcome.Held) h).holdId();
        BookingRequest req = reqWithoutHold.withHold(holdId);
        BookingOutcome out;
        try {
            out = confirm(req);
        } catch (RuntimeException e) {
            release(holdId); // a failure holds nothing until the sweeper
            throw e;
        }
        if (out instanceof BookingOutcome.Refused) {
            release(holdId);
        }
        return out;
    }

    /** A place: the pool it is in, its slot, service and facility. */
    private record Place(long poolId, Pool pool, long slotId, long serviceId, long facilityId, LocalDate date,
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
        int moved = jdbc.update("UPDATE quota_pool SET held = held - 1, booked = booked + 1 WHERE id = ? AND held > 0",
                place.poolId());
        if (moved != 1) {
            throw new IllegalStateException("pool " + place.poolId() + " had no held place for hold " + req.holdId());
        }
        return booking;
    }

    /** Everything a new booking row is made of. */
    private record NewBooking(Place place, Patient patient, String smsPhone, List<String> familyPhones,
            String callingNumber, Channel channel, String actor, Long referringFacilityId, Long holdId,
            BookingEvents.Context context) {
    }

    /**
     * Inside the caller's transaction: locks the patient row and the calling number's day row, checks the
     * patient and caller rules, writes the booking and its phones, and publishes {@link
     * BookingEvents.BookingConfirmed} (the SMS outbox rows). The pool row is the caller's to change, after this.
     */
    private Booking insertBooking(NewBooking nb, LocalDateTime now) {
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
        List<String> family = new ArrayList<>();
        for (String f : nb.familyPhones()) {
            if (tied.add(f)) {
                jdbc.update("INSERT INTO booking_phone (booking_id, phone, role) VALUES (?, ?, 'FAMILY')", bookingId,
                        f);
                family.add(f);
            }
        }
        Booking booking = new Booking(bookingId, code, BookingStatus.ACTIVE, place.facilityId(), place.facilityName(),
                place.serviceId(), place.serviceName(), place.serviceKind(), rules.vaccineId(), rules.doseNumber(),
                place.slotId(), place.date(), place.startsAt(), place.endsAt(), place.pool(), patient.masked(), age,
                nb.smsPhone(), List.copyOf(family), nb.callingNumber(), nb.channel(), nb.actor(), now,
                rules.nextDoseFrom());
        events.publishEvent(new BookingEvents.BookingConfirmed(booking, nb.context()));
        return booking;
    }

    // ---------------------------------------------------------------- move

    /**
     * Moves an active booking to another slot in one transaction: the old booking is cancelled and its place
     * given back, the new place taken and the new booking written, or nothing changes. The new booking meets
     * every rule a booking meets (pools of the channel, release window, patient and vaccine rules, caller
     * limit), checked with the old booking already cancelled, so a same-day move of the same service is
     * allowed. Publishes {@link BookingEvents.BookingCancelled} for the old booking and {@link
     * BookingEvents.BookingConfirmed} for the new one (the cancellation and confirmation SMS), in that
     * transaction.
     *
     * <p>Locks, in order: the old booking row, the patient row, the calling number's day row, and last the
     * two pool rows in id order (so two moves crossing between the same two slots cannot deadlock). The
     * new place is taken by the same conditional UPDATE a hold uses; when it finds no room (taken since the
     * read that chose the pool), the transaction rolls back and the choice is made again.
     */
    public MoveOutcome move(MoveRequest req) {
        MoveOutcome out = moveOnce(req);
        if (out instanceof MoveOutcome.Refused r) {
            metrics.refused("move", req.channel(), r.reason());
        } else {
            metrics.cancelled(req.channel());
            metrics.booked(req.channel());
        }
        return out;
    }

    /** The old booking's row as the move reads it under its lock. */
    private record MovingRow(BookingStatus status, long poolId, LocalDateTime startsAt, String patientHash,
            String patientMasked, int patientAge, LocalDate date, Long referringFacilityId) {
    }

    /** A pool of the target slot as the move chooses it: the place, and its room and window now. */
    private record Candidate(Place place, int free, LocalDateTime opens, LocalDateTime closes) {
    }

    /** Taken from a pool that had room when the move chose it but not when it took it: choose again. */
    private static final class PlaceGone extends RuntimeException {
        PlaceGone() {
            super("place gone", null, false, false);
        }
    }

    private MoveOutcome moveOnce(MoveRequest req) {
        Optional<Booking> found = findById(req.bookingId());
        if (found.isEmpty()) {
            return new MoveOutcome.Refused(Refusal.NOT_FOUND, null, null);
        }
        Booking old = found.get();
        if (req.requesterPhone() != null && !isTiedTo(old.id(), req.requesterPhone())) {
            return new MoveOutcome.Refused(Refusal.NOT_ALLOWED, null, null);
        }
        ResidentId id = null;
        if (req.residentId() != null) {
            ResidentId.Parsed parsed = ResidentId.parse(req.residentId());
            if (!parsed.valid()) {
                return refusedMove(parsed.refusal(), null, old.id());
            }
            id = parsed.id();
        }
        boolean asBooked = req.channel() == Channel.SMS_REPLY;
        Channel bookingChannel = asBooked ? old.channel() : req.channel();
        List<Pool> pools = req.pool() != null ? List.of(req.pool()) : bookingChannel.pools();
        if (pools.isEmpty() || !pools.stream().allMatch(bookingChannel::mayBook)) {
            return refusedMove(Refusal.POOL_NOT_FOR_CHANNEL, null, old.id());
        }
        ResidentId givenId = id;
        LocalDateTime now = now();
        // a few choices at most: each one lost means another booking took the place meanwhile
        for (int choice = 0; choice < 3; choice++) {
            Candidate target = choosePool(req.slotId(), pools, now);
            if (target == null) {
                break;
            }
            try {
                Booking[] moved = withFreshCode(() -> retrying("move", () -> tx.execute(
                        status -> moveInTx(req, target.place(), givenId, bookingChannel, asBooked))));
                log.info("Moved {} (code {}) to {} (code {}) slot {} via {} by {}", moved[0].id(),
                        Booking.maskCode(moved[0].code()), moved[1].id(), Booking.maskCode(moved[1].code()),
                        moved[1].slotId(), req.channel(), req.actor());
                return new MoveOutcome.Moved(moved[0], moved[1]);
            } catch (PlaceGone e) {
                now = now();
            } catch (RefusedException e) {
                return refusedMove(e.refused.reason(), e.refused.earliestDate(), old.id());
            }
        }
        return refusedMove(whyNoPlace(req.slotId(), pools, now()), null, old.id());
    }

    /** Nothing changed: the refusal, with the booking the patient still has (the asker may see it). */
    private MoveOutcome.Refused refusedMove(Refusal reason, LocalDate earliest, long bookingId) {
        Booking standing = reason == Refusal.NOT_FOUND ? null
                : findById(bookingId).filter(b -> b.status() == BookingStatus.ACTIVE).orElse(null);
        return new MoveOutcome.Refused(reason, earliest, standing);
    }

    /** The first of {@code pools} of the slot that is open and has room now, or null. */
    private Candidate choosePool(long slotId, List<Pool> pools, LocalDateTime now) {
        List<Candidate> all = jdbc.query("SELECT " + Place.COLUMNS + """
                , q.capacity - q.held - q.booked, q.opens_at, q.closes_at
                FROM quota_pool q""" + " " + Place.JOINS + " WHERE q.slot_id = ?",
                (rs, i) -> new Candidate(Place.of(rs), rs.getInt(13), rs.getObject(14, LocalDateTime.class),
                        rs.getObject(15, LocalDateTime.class)), slotId);
        for (Pool p : pools) {
            for (Candidate c : all) {
                if (c.place().pool() == p && c.free() > 0 && !now.isBefore(c.opens()) && now.isBefore(c.closes())
                        && c.place().startsAt().isAfter(now)) {
                    return c;
                }
            }
        }
        return null;
    }

    /** The move's one transaction: {old, new}. */
    private Booking[] moveInTx(MoveRequest req, Place target, ResidentId givenId, Channel bookingChannel,
            boolean asBooked) {
        LocalDateTime now = now();
        // the first lock: the old booking
        MovingRow row = jdbc.query("""
                SELECT status, pool_id, slot_starts_at, patient_hash, patient_masked, patient_age, slot_date,
                       referring_facility_id
                FROM booking WHERE id = ? FOR UPDATE""", rs -> rs.next()
                ? new MovingRow(BookingStatus.valueOf(rs.getString(1)), rs.getLong(2),
                        rs.getObject(3, LocalDateTime.class), rs.getString(4), rs.getString(5), rs.getInt(6),
                        rs.getObject(7, LocalDate.class), rs.getObject(8, Long.class))
                : null, req.bookingId());
        if (row == null) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        if (givenId != null && !hash.of(givenId.value()).equals(row.patientHash())) {
            throw new RefusedException(Refusal.NOT_ALLOWED, null); // the ID given is not this booking's patient
        }
        if (row.status() != BookingStatus.ACTIVE) {
            throw new RefusedException(Refusal.NOT_ACTIVE, null);
        }
        if (now.isAfter(row.startsAt().minus(props.cancelCutoff()))) {
            throw new RefusedException(Refusal.CANCEL_TOO_LATE, null);
        }
        if (!bookingChannel.mayBook(target.pool())) {
            throw new RefusedException(Refusal.POOL_NOT_FOR_CHANNEL, null);
        }
        Long referring = asBooked ? row.referringFacilityId() : req.referringFacilityId();
        if (target.pool() == Pool.COMMUNITY) {
            eligibility.requireCommunityReferral(referring);
        }
        jdbc.update("UPDATE booking SET status = 'CANCELLED', cancelled_at = ?, cancel_channel = ? WHERE id = ?", now,
                req.channel().name(), req.bookingId());
        Booking cancelled = findById(req.bookingId()).orElseThrow();
        events.publishEvent(new BookingEvents.BookingCancelled(cancelled, req.channel(), req.context()));

        Patient patient = givenId != null ? Patient.of(givenId, hash)
                : new Patient(row.patientHash(), row.patientMasked(), null, row.patientAge(), row.date());
        Booking moved = insertBooking(new NewBooking(target, patient, cancelled.smsPhone(), cancelled.familyPhones(),
                cancelled.callingNumber(), bookingChannel, asBooked ? cancelled.actor() : req.actor(), referring,
                null, req.context()), now);

        // last: the two hot rows, in id order
        if (target.poolId() != row.poolId()) {
            boolean newFirst = target.poolId() < row.poolId();
            if (!newFirst) {
                giveBack(row.poolId());
            }
            int taken = jdbc.update("""
                    UPDATE quota_pool SET booked = booked + 1
                    WHERE id = ? AND held + booked < capacity AND opens_at <= ? AND closes_at > ?""",
                    target.poolId(), now, now);
            if (taken != 1) {
                throw new PlaceGone();
            }
            if (newFirst) {
                giveBack(row.poolId());
            }
        }
        // as every booking, one made by a move has a confirmed hold behind it; written after the pool row is
        // locked, as its foreign key reads that row (a shared lock taken before would have to be upgraded)
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    INSERT INTO hold (pool_id, slot_id, channel, status, created_at, expires_at, ended_at)
                    VALUES (?, ?, ?, 'CONFIRMED', ?, ?, ?)""", new String[] {"id"});
            ps.setLong(1, target.poolId());
            ps.setLong(2, target.slotId());
            ps.setString(3, req.channel().name());
            ps.setObject(4, now);
            ps.setObject(5, now);
            ps.setObject(6, now);
            return ps;
        }, key);
        jdbc.update("UPDATE booking SET hold_id = ? WHERE id = ?", key.getKey().longValue(), moved.id());
        return new Booking[] {cancelled, moved};
    }

    private void giveBack(long poolId) {
        jdbc.update("UPDATE quota_pool SET booked = booked - 1 WHERE id = ?", poolId);
    }

    /**
     * Six digits, no leading zero (it reads and keys more easily). Uniqueness among active bookings is
     * the unique key's job: on the rare collision the confirmation is retried with a new draw.
     */
    private String freeCode() {
        return Integer.toString(100000 + random.nextInt(900000));
    }

    // ---------------------------------------------------------------- cancel

    /**
     * Cancels an active booking; the place goes back to the pool it came from.
     *
     * @param requesterPhone for {@link Channel#SMS_REPLY}: the number that replied, which must be tied to the booking
     */
    public CancelOutcome cancel(String code, Channel channel, String requesterPhone, String actor) {
        Optional<Booking> b = findActiveByCode(code);
        if (b.isEmpty()) {
            return new CancelOutcome.Refused(Refusal.NOT_FOUND);
        }
        return cancel(b.get().id(), channel, requesterPhone, actor);
    }

    public CancelOutcome cancel(long bookingId, Channel channel, String requesterPhone, String actor) {
        return cancel(bookingId, channel, requesterPhone, actor, null);
    }

    /** As {@link #cancel(long, Channel, String, String)}, with a context for the event's listeners. */
    public CancelOutcome cancel(long bookingId, Channel channel, String requesterPhone, String actor,
            BookingEvents.Context context) {
        LocalDateTime now = now();
        try {
            Booking cancelled = retrying("cancel", () -> tx.execute(status -> {
                record Row(String status, long poolId, LocalDateTime startsAt) {
                }
                Row row = jdbc.query("SELECT status, pool_id, slot_starts_at FROM booking WHERE id = ? FOR UPDATE",
                        rs -> rs.next() ? new Row(rs.getString(1), rs.getLong(2), rs.getObject(3, LocalDateTime.class))
                                : null,
                        bookingId);
                if (row == null) {
                    throw new RefusedException(Refusal.NOT_FOUND, null);
                }
                if (!"ACTIVE".equals(row.status())) {
                    throw new RefusedException(Refusal.NOT_ACTIVE, null);
                }
                if (now.isAfter(row.startsAt().minus(props.cancelCutoff()))) {
                    throw new RefusedException(Refusal.CANCEL_TOO_LATE, null);
                }
                if (channel == Channel.SMS_REPLY && !isTiedTo(bookingId, requesterPhone)) {
                    throw new RefusedException(Refusal.NOT_ALLOWED, null);
                }
                jdbc.update("""
                        UPDATE booking SET status = 'CANCELLED', cancelled_at = ?, cancel_channel = ? WHERE id = ?""",
                        now, channel.name(), bookingId);
                Booking b = findById(bookingId).orElseThrow();
                events.publishEvent(new BookingEvents.BookingCancelled(b, channel, context));
                // last: the hot row
                giveBack(row.poolId());
                return b;
            }));
            log.info("Cancelled {} (code {}) via {} by {}", cancelled.id(), Booking.maskCode(cancelled.code()), channel,
                    actor);
            metrics.cancelled(channel);
            return new CancelOutcome.Cancelled(cancelled);
        } catch (RefusedException e) {
            metrics.refused("cancel", channel, e.refused.reason());
            return new CancelOutcome.Refused(e.refused.reason());
        }
    }

    // ---------------------------------------------------------------- check-in

    /**
     * The patient is at the desk of {@code facilityId}: today's ACTIVE booking with this code becomes
     * ATTENDED (one conditional UPDATE, so two desks checking in the same code at once check it in once).
     */
    public CheckInOutcome checkIn(String code, long facilityId, String actor) {
        String c = code == null ? "" : code.trim();
        if (!c.matches("\\d{6}")) {
            return new CheckInOutcome.Refused(CheckInOutcome.Reason.NOT_FOUND, null);
        }
        LocalDate today = now().toLocalDate();
        Integer done = retrying("check-in", () -> tx.execute(s -> jdbc.update("""
                UPDATE booking SET status = 'ATTENDED' WHERE active_code = ? AND facility_id = ? AND slot_date = ?""",
                c, facilityId, today)));
        if (done != null && done == 1) {
            Booking b = queryBookings(" WHERE b.code = ? AND b.facility_id = ? AND b.slot_date = ? AND b.status = 'ATTENDED'"
                    + " ORDER BY b.id DESC", c, facilityId, today).get(0);
            log.info("Checked in {} (code {}) at facility {} by {}", b.id(), Booking.maskCode(b.code()), facilityId,
                    actor);
            return new CheckInOutcome.CheckedIn(b);
        }
        Optional<Booking> active = findActiveByCode(c);
        if (active.isPresent()) {
            return new CheckInOutcome.Refused(active.get().facilityId() != facilityId
                    ? CheckInOutcome.Reason.OTHER_FACILITY : CheckInOutcome.Reason.NOT_TODAY, active.get());
        }
        // not active: today's booking here with this code, checked in already, cancelled or a no-show
        List<Booking> here = queryBookings(" WHERE b.code = ? AND b.facility_id = ? AND b.slot_date = ? ORDER BY b.id DESC",
                c, facilityId, today);
        if (here.isEmpty()) {
            return new CheckInOutcome.Refused(CheckInOutcome.Reason.NOT_FOUND, null);
        }
        Booking b = here.get(0);
        return new CheckInOutcome.Refused(b.status() == BookingStatus.ATTENDED ? CheckInOutcome.Reason.ALREADY_CHECKED_IN
                : CheckInOutcome.Reason.NOT_ACTIVE, b);
    }

    // ---------------------------------------------------------------- find

    public Optional<Booking> findById(long id) {
        return queryBookings(" WHERE b.id = ?", id).stream().findFirst();
    }

    public Optional<Booking> findActiveByCode(String code) {
        if (code == null || !code.trim().matches("\\d{6}")) {
            return Optional.empty();
        }
        return queryBookings(" WHERE b.active_code = ?", code.trim()).stream().findFirst();
    }

    /**
     * The active booking with this code, only if it is tied to this phone ({@link PhoneTie}); otherwise
     * empty, after the same one query whether the code does not exist or the booking is someone else's.
     */
    public Optional<Booking> findActiveByCodeTiedTo(String code, String phone) {
        String p = PhoneNumber.normalise(phone);
        if (code == null || !code.trim().matches("\\d{6}") || p == null || p.isEmpty()) {
            return Optional.empty();
        }
        return queryBookings(" WHERE b.active_code = ? AND " + PhoneTie.SQL, withTie(p, code.trim()))
                .stream().findFirst();
    }

    /**
     * A patient's bookings that are tied to this phone ({@link PhoneTie}), newest slot first: the same one
     * query whether the patient has no bookings or only bookings tied to other phones.
     */
    public List<Booking> findByResidentIdTiedTo(String residentIdInput, String phone) {
        Optional<ResidentId> id = ResidentId.tryParse(residentIdInput);
        String p = PhoneNumber.normalise(phone);
        if (id.isEmpty() || p == null || p.isEmpty()) {
            return List.of();
        }
        return queryBookings(" WHERE b.patient_hash = ? AND " + PhoneTie.SQL
                + " ORDER BY b.slot_starts_at DESC, b.id DESC", withTie(p, hash.of(id.get().value())));
    }

    /** Whether this phone may reach the booking by phone or SMS: the one rule both channels ask ({@link PhoneTie}). */
    public boolean isTiedTo(long bookingId, String phone) {
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
    public List<Booking> findByResidentId(String residentIdInput) {
        Optional<ResidentId> id = ResidentId.tryParse(residentIdInput);
        if (id.isEmpty()) {
            return List.of();
        }
        return queryBookings(" WHERE b.patient_hash = ? ORDER BY b.slot_starts_at DESC, b.id DESC",
                hash.of(id.get().value()));
    }

    /** Bookings tied to a phone (as the SMS number or a family phone) or made from it, newest slot first. */
    public List<Booking> findByPhone(String phone) {
        String p = PhoneNumber.normalise(phone);
        if (p == null || p.isEmpty()) {
            return List.of();
        }
        return queryBookings(" WHERE " + PhoneTie.SQL + " ORDER BY b.slot_starts_at DESC, b.id DESC",
                PhoneTie.args(p, hash));
    }

    /** Active bookings whose slot is still ahead, for "check or cancel my bookings". */
    public List<Booking> upcoming(List<Booking> bookings) {
        LocalDateTime now = now();
        return bookings.stream().filter(b -> b.status() == BookingStatus.ACTIVE && b.startsAt().isAfter(now))
                .sorted(java.util.Comparator.comparing(Booking::startsAt)).toList();
    }

    private List<Booking> queryBookings(String where, Object... args) {
        List<Booking> list = jdbc.query("""
                SELECT b.*, f.name AS facility_name, s.name AS service_name, s.kind AS service_kind,
                       sl.ends_at AS slot_ends_at, v.min_interval_days, v.doses
                FROM booking b JOIN facility f ON f.id = b.facility_id JOIN service s ON s.id = b.service_id
                JOIN slot sl ON sl.id = b.slot_id LEFT JOIN vaccine v ON v.id = b.vaccine_id""" + " " + where,
                BookingService::booking, args);
        if (list.isEmpty()) {
            return list;
        }
        List<Booking> out = new ArrayList<>(list.size());
        for (Booking b : list) {
            List<String> family = jdbc.queryForList(
                    "SELECT phone FROM booking_phone WHERE booking_id = ? AND role = 'FAMILY' ORDER BY phone",
                    String.class, b.id());
            out.add(new Booking(b.id(), b.code(), b.status(), b.facilityId(), b.facilityName(), b.serviceId(),
                    b.serviceName(), b.serviceKind(), b.vaccineId(), b.doseNumber(), b.slotId(), b.date(),
                    b.startsAt(), b.endsAt(), b.pool(), b.patientMasked(), b.patientAge(), b.smsPhone(), family,
                    b.callingNumber(), b.channel(), b.actor(), b.createdAt(), b.nextDoseFrom()));
        }
        return out;
    }

    private static Booking booking(ResultSet rs, int row) throws SQLException {
        Integer dose = (Integer) rs.getObject("dose_number");
        LocalDate date = rs.getObject("slot_date", LocalDate.class);
        LocalDate next = null;
        if (dose != null && rs.getObject("doses") != null && dose < rs.getInt("doses")) {
            next = date.plusDays(rs.getInt("min_interval_days"));
        }
        return new Booking(rs.getLong("id"), rs.getString("code"), BookingStatus.valueOf(rs.getString("status")),
                rs.getLong("facility_id"), rs.getString("facility_name"), rs.getLong("service_id"),
                rs.getString("service_name"), ServiceKind.valueOf(rs.getString("service_kind")),
                (Long) rs.getObject("vaccine_id", Long.class), dose, rs.getLong("slot_id"), date,
                rs.getObject("slot_starts_at", LocalDateTime.class), rs.getObject("slot_ends_at", LocalDateTime.class),
                Pool.valueOf(rs.getString("pool")), rs.getString("patient_masked"),
                (Integer) rs.getObject("patient_age", Integer.class), rs.getString("sms_phone"), List.of(),
                rs.getString("calling_number"), Channel.valueOf(rs.getString("channel")), rs.getString("actor"),
                rs.getObject("created_at", LocalDateTime.class), next);
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
