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
import java.util.Map;
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
    private final SecureRandom random = new SecureRandom();

    public BookingService(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingProperties props,
            ApplicationEventPublisher events, BookingMetrics metrics) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.props = props;
        this.hash = new KeyedHash(props.idHashKey());
        this.events = events;
        this.metrics = metrics;
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

    private HoldOutcome holdOnce(long slotId, Pool pool, Channel channel) {
        if (pool != null && !channel.mayBook(pool)) {
            return new HoldOutcome.Refused(Refusal.POOL_NOT_FOR_CHANNEL);
        }
        List<Pool> candidates = pool != null ? List.of(pool) : channel.pools();
        if (candidates.isEmpty()) {
            return new HoldOutcome.Refused(Refusal.POOL_NOT_FOR_CHANNEL);
        }
        LocalDateTime now = now();
        LocalDateTime expires = now.plus(props.holdTtl());
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
        ResidentId.Parsed parsed = ResidentId.parse(residentIdInput);
        if (!parsed.valid()) {
            return Optional.of(new BookingOutcome.Refused(parsed.refusal()));
        }
        try {
            Long vaccineId = jdbc.query("SELECT vaccine_id FROM service WHERE id = ?",
                    rs -> rs.next() ? rs.getObject(1, Long.class) : null, serviceId);
            checkRules(Patient.of(parsed.id(), hash), serviceId, vaccineId, date, channel);
            return Optional.empty();
        } catch (RefusedException e) {
            return Optional.of(e.refused);
        }
    }

    /**
     * {@link #checkPatient(long, LocalDate, String, Channel)} for a patient booked before from this phone:
     * NOT_FOUND when the reference is not tied to the phone, ID_NEEDED when a vaccine's age range needs the ID.
     */
    public Optional<BookingOutcome.Refused> checkPatient(long serviceId, LocalDate date, PatientRef ref, String phone,
            Channel channel) {
        try {
            Patient p = patientOf(ref, phone);
            Long vaccineId = jdbc.query("SELECT vaccine_id FROM service WHERE id = ?",
                    rs -> rs.next() ? rs.getObject(1, Long.class) : null, serviceId);
            checkRules(p, serviceId, vaccineId, date, channel);
            return Optional.empty();
        } catch (RefusedException e) {
            return Optional.of(e.refused);
        }
    }

    /**
     * The people booked before from or for this phone (bookings tied to it, {@link PhoneTie}), the most recently
     * booked first, at most {@code max}. For a verified calling number only: the caller must pass nothing else.
     */
    public List<KnownPatient> patientsTiedTo(String phone, int max) {
        String p = PhoneNumber.normalise(phone);
        if (p == null || p.isEmpty() || max <= 0) {
            return List.of();
        }
        record Row(long id, String hash, String masked, String sms) {
        }
        List<Row> rows = jdbc.query("SELECT b.id, b.patient_hash, b.patient_masked, b.sms_phone FROM booking b WHERE "
                + PhoneTie.SQL + " ORDER BY b.created_at DESC, b.id DESC LIMIT 200",
                (rs, i) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)),
                PhoneTie.args(p, hash));
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
            int youngest = ageSpan(r.hash()).lo(today);
            List<String> family = jdbc.queryForList(
                    "SELECT phone FROM booking_phone WHERE booking_id = ? AND role = 'FAMILY' ORDER BY phone",
                    String.class, r.id());
            String masked = r.masked();
            out.add(new KnownPatient(new PatientRef(r.id()), masked.substring(Math.max(0, masked.length() - 4)),
                    youngest, r.sms(), family));
        }
        return out;
    }

    /** A patient as the rules and the booking row need them: the keyed hash, the masked ID, the age on a day. */
    private record Patient(String hash, String masked, AgeSpan age) {
        static Patient of(ResidentId id, KeyedHash hash) {
            return new Patient(hash.of(id.value()), id.masked(), AgeSpan.exact(id.birthDate()));
        }
    }

    /**
     * What is known of a birth date: between {@code earliest} and {@code latest}. From a resident ID it is
     * exact; from earlier bookings (each keeps the age in whole years on its slot's day, not the birth date)
     * it is the intersection of what each says, widened by a day for leap days.
     */
    private record AgeSpan(LocalDate earliest, LocalDate latest) {
        static AgeSpan exact(LocalDate birth) {
            return new AgeSpan(birth, birth);
        }

        /** The youngest the patient can be on that day. */
        int lo(LocalDate on) {
            return java.time.Period.between(latest, on).getYears();
        }

        int hi(LocalDate on) {
            return java.time.Period.between(earliest, on).getYears();
        }
    }

    /** The birth-date span the patient's bookings allow (age a on day d: born after d - (a+1) years, by d - a years). */
    private AgeSpan ageSpan(String patientHash) {
        LocalDate[] span = {LocalDate.MIN, LocalDate.MAX};
        jdbc.query("SELECT slot_date, patient_age FROM booking WHERE patient_hash = ?", rs -> {
            LocalDate d = rs.getObject(1, LocalDate.class);
            int a = rs.getInt(2);
            LocalDate earliest = d.minusYears(a + 1L).plusDays(1).minusDays(1);
            LocalDate latest = d.minusYears(a).plusDays(1);
            if (earliest.isAfter(span[0])) {
                span[0] = earliest;
            }
            if (latest.isBefore(span[1])) {
                span[1] = latest;
            }
        }, patientHash);
        if (span[0].equals(LocalDate.MIN) || span[0].isAfter(span[1])) {
            // no booking, or bookings that disagree (a typing error long ago): unknown, the rules will ask for the ID
            return new AgeSpan(LocalDate.of(1880, 1, 1), now().toLocalDate());
        }
        return new AgeSpan(span[0], span[1]);
    }

    /** The patient of an earlier booking, only when that booking is tied to this phone; else NOT_FOUND. */
    private Patient patientOf(PatientRef ref, String phone) {
        String p = PhoneNumber.normalise(phone);
        if (ref == null || p == null || p.isEmpty()) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        Object[] tie = PhoneTie.args(p, hash);
        List<String[]> rows = jdbc.query("SELECT b.patient_hash, b.patient_masked FROM booking b WHERE b.id = ? AND "
                + PhoneTie.SQL, (rs, i) -> new String[] {rs.getString(1), rs.getString(2)}, ref.bookingId(), tie[0],
                tie[1]);
        if (rows.isEmpty()) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        return new Patient(rows.get(0)[0], rows.get(0)[1], ageSpan(rows.get(0)[0]));
    }

    private record RuleResult(Long vaccineId, Integer doseNumber, LocalDate nextDoseFrom) {
    }

    private RuleResult checkRules(Patient patient, long serviceId, Long vaccineId, LocalDate date,
            Channel channel) {
        String patientHash = patient.hash();
        LocalDate today = LocalDate.now(clock);
        // one round trip for the three per-patient facts
        record PatientFacts(LocalDate blockedUntil, int sameDay, int active) {
        }
        PatientFacts facts = jdbc.queryForObject("""
                SELECT (SELECT phone_blocked_until FROM patient WHERE id_hash = ?),
                       (SELECT COUNT(*) FROM booking WHERE patient_hash = ? AND service_id = ? AND slot_date = ?
                          AND status = 'ACTIVE'),
                       (SELECT COUNT(*) FROM booking WHERE patient_hash = ? AND status = 'ACTIVE' AND slot_starts_at > ?)""",
                (rs, i) -> new PatientFacts(rs.getObject(1, LocalDate.class), rs.getInt(2), rs.getInt(3)), patientHash,
                patientHash, serviceId, date, patientHash, now());
        if (channel == Channel.PHONE_MENU && facts.blockedUntil() != null && !facts.blockedUntil().isBefore(today)) {
            throw new RefusedException(Refusal.PATIENT_BLOCKED, facts.blockedUntil().plusDays(1));
        }
        if (facts.sameDay() > 0) {
            throw new RefusedException(Refusal.DUPLICATE_SAME_DAY, null);
        }
        if (facts.active() >= props.maxActivePerPatient()) {
            throw new RefusedException(Refusal.TOO_MANY_FOR_PATIENT, null);
        }
        if (vaccineId == null) {
            return new RuleResult(null, null, null);
        }
        Map<String, Object> v = jdbc.query("""
                SELECT v.id, v.doses, v.min_interval_days, v.min_age_years, v.max_age_years
                FROM vaccine v WHERE v.id = ?""",
                rs -> rs.next() ? Map.<String, Object>of("id", rs.getLong(1), "doses", rs.getInt(2), "interval",
                        rs.getInt(3), "min", rs.getInt(4), "max", rs.getInt(5)) : null, vaccineId);
        int youngest = patient.age().lo(date);
        int oldest = patient.age().hi(date);
        int min = (int) v.get("min");
        int max = (int) v.get("max");
        if (oldest < min || youngest > max) {
            throw new RefusedException(Refusal.AGE_OUT_OF_RANGE, null);
        }
        if (youngest < min || oldest > max) {
            // known only from earlier bookings, and on the edge of the range: the ID decides
            throw new RefusedException(Refusal.ID_NEEDED, null);
        }
        List<LocalDate> doses = jdbc.queryForList("""
                SELECT slot_date FROM booking WHERE patient_hash = ? AND vaccine_id = ?
                  AND status IN ('ACTIVE', 'ATTENDED') ORDER BY slot_date""", LocalDate.class, patientHash,
                vaccineId);
        int doseNumber = doses.size() + 1;
        if (doseNumber > (int) v.get("doses")) {
            throw new RefusedException(Refusal.ALL_DOSES_DONE, null);
        }
        int interval = (int) v.get("interval");
        if (!doses.isEmpty()) {
            LocalDate earliest = doses.get(doses.size() - 1).plusDays(interval);
            if (date.isBefore(earliest)) {
                throw new RefusedException(Refusal.DOSE_TOO_SOON, earliest);
            }
        }
        LocalDate next = doseNumber < (int) v.get("doses") ? date.plusDays(interval) : null;
        return new RuleResult(vaccineId, doseNumber, next);
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

    private BookingOutcome confirmOnce(BookingRequest req) {
        Patient patient;
        if (req.residentId() == null && req.patient() != null) {
            try {
                patient = patientOf(req.patient(), req.callingNumber());
            } catch (RefusedException e) {
                return e.refused;
            }
        } else {
            ResidentId.Parsed parsed = ResidentId.parse(req.residentId());
            if (!parsed.valid()) {
                return new BookingOutcome.Refused(parsed.refusal());
            }
            patient = Patient.of(parsed.id(), hash);
        }
        List<String> phones = new ArrayList<>();
        String sms = null;
        if (req.smsPhone() != null && !req.smsPhone().isBlank()) {
            if (!PhoneNumber.isMobile(req.smsPhone())) {
                return new BookingOutcome.Refused(Refusal.PHONE_NOT_MOBILE);
            }
            sms = PhoneNumber.normalise(req.smsPhone());
        }
        for (String f : req.familyPhones()) {
            if (!PhoneNumber.isMobile(f)) {
                return new BookingOutcome.Refused(Refusal.PHONE_NOT_MOBILE);
            }
            phones.add(PhoneNumber.normalise(f));
        }
        // what the hold is for never changes: read it without locks, before the transaction, so the
        // transaction's snapshot starts only after the patient row is locked (per-patient limits)
        Map<String, Object> h = holdFacts(req.holdId());
        for (int attempt = 0;; attempt++) {
            try {
                String smsPhone = sms;
                Booking booking = retrying("confirm",
                        () -> tx.execute(status -> confirmInTx(req, h, patient, smsPhone, phones)));
                log.info("Booked {} (code {}) slot {} for {} via {} (sms {})", booking.id(),
                        Booking.maskCode(booking.code()), booking.slotId(), booking.patientMasked(), req.channel(),
                        PhoneNumber.mask(smsPhone));
                return new BookingOutcome.Booked(booking);
            } catch (RefusedException e) {
                return e.refused;
            } catch (DuplicateKeyException e) {
                String msg = String.valueOf(e.getMessage());
                if (msg.contains("uq_active_patient_day")) {
                    return new BookingOutcome.Refused(Refusal.DUPLICATE_SAME_DAY);
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
        BookingRequest req = new BookingRequest(holdId, reqWithoutHold.residentId(), reqWithoutHold.smsPhone(),
                reqWithoutHold.familyPhones(), reqWithoutHold.callingNumber(), reqWithoutHold.channel(),
                reqWithoutHold.actor(), reqWithoutHold.referringFacilityId());
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

    /** The hold's pool, slot, service and facility (null when there is no such hold). */
    private Map<String, Object> holdFacts(long holdId) {
        return jdbc.query("""
                SELECT h.pool_id, h.slot_id, h.status, h.expires_at, q.pool, sl.service_id, sl.slot_date,
                       sl.starts_at, s.facility_id, sl.ends_at, s.vaccine_id, s.name, s.kind, f.name
                FROM hold h JOIN quota_pool q ON q.id = h.pool_id JOIN slot sl ON sl.id = h.slot_id
                JOIN service s ON s.id = sl.service_id JOIN facility f ON f.id = s.facility_id
                WHERE h.id = ?""", rs -> {
            if (!rs.next()) {
                return null;
            }
            Map<String, Object> m = new java.util.HashMap<>();
            m.put("pool_id", rs.getLong(1));
            m.put("slot_id", rs.getLong(2));
            m.put("status", rs.getString(3));
            m.put("expires_at", rs.getObject(4, LocalDateTime.class));
            m.put("pool", rs.getString(5));
            m.put("service_id", rs.getLong(6));
            m.put("slot_date", rs.getObject(7, LocalDate.class));
            m.put("starts_at", rs.getObject(8, LocalDateTime.class));
            m.put("facility_id", rs.getLong(9));
            m.put("ends_at", rs.getObject(10, LocalDateTime.class));
            m.put("vaccine_id", rs.getObject(11, Long.class));
            m.put("service_name", rs.getString(12));
            m.put("service_kind", rs.getString(13));
            m.put("facility_name", rs.getString(14));
            return m;
        }, holdId);
    }

    private Booking confirmInTx(BookingRequest req, Map<String, Object> h, Patient patient, String smsPhone,
            List<String> familyPhones) {
        LocalDateTime now = now();
        if (h == null) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        // the first lock: the hold turns CONFIRMED only if still active and in time (a refusal below rolls it back)
        int confirmed = jdbc.update("""
                UPDATE hold SET status = 'CONFIRMED', ended_at = ? WHERE id = ? AND status = 'ACTIVE' AND expires_at > ?""",
                now, req.holdId(), now);
        if (confirmed != 1) {
            throw new RefusedException(Refusal.HOLD_EXPIRED, null);
        }
        Pool pool = Pool.valueOf((String) h.get("pool"));
        if (!req.channel().mayBook(pool)) {
            throw new RefusedException(Refusal.POOL_NOT_FOR_CHANNEL, null);
        }
        if (pool == Pool.COMMUNITY) {
            requireCommunityReferral(req.referringFacilityId());
        }
        long serviceId = (long) h.get("service_id");
        LocalDate date = (LocalDate) h.get("slot_date");
        String patientHash = patient.hash();

        // patient row lock: serialises this patient's bookings so the per-patient limits hold under races.
        // Only the keyed hash: no part of the ID and no birth date (docs/security.md)
        jdbc.update("""
                INSERT INTO patient (id_hash, created_at) VALUES (?, ?)
                ON DUPLICATE KEY UPDATE id_hash = id_hash""", patientHash, now);
        RuleResult rules = checkRules(patient, serviceId, (Long) h.get("vaccine_id"), date, req.channel());

        String callerHash = null;
        if (req.callingNumber() != null && !req.callingNumber().isBlank()) {
            callerHash = hash.of(PhoneNumber.normalise(req.callingNumber()));
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
        // (by reference, the youngest the earlier bookings allow: at most a year short, as CallerProfile says)
        int age = patient.age().lo(date);
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
            ps.setLong(i++, (long) h.get("slot_id"));
            ps.setLong(i++, (long) h.get("pool_id"));
            ps.setString(i++, pool.name());
            ps.setLong(i++, serviceId);
            ps.setLong(i++, (long) h.get("facility_id"));
            ps.setObject(i++, rules.vaccineId());
            ps.setObject(i++, rules.doseNumber());
            ps.setObject(i++, date);
            ps.setObject(i++, h.get("starts_at"));
            ps.setString(i++, patientHash);
            ps.setString(i++, patient.masked());
            ps.setInt(i++, age);
            ps.setString(i++, smsPhone);
            ps.setString(i++, req.callingNumber());
            ps.setString(i++, ch);
            ps.setString(i++, req.channel().name());
            ps.setString(i++, req.actor());
            ps.setObject(i++, req.referringFacilityId());
            ps.setLong(i++, req.holdId());
            ps.setObject(i++, now);
            return ps;
        }, key);
        long bookingId = key.getKey().longValue();
        LinkedHashSet<String> tied = new LinkedHashSet<>();
        if (smsPhone != null) {
            jdbc.update("INSERT INTO booking_phone (booking_id, phone, role) VALUES (?, ?, 'PATIENT')", bookingId,
                    smsPhone);
            tied.add(smsPhone);
        }
        for (String f : familyPhones) {
            if (tied.add(f)) {
                jdbc.update("INSERT INTO booking_phone (booking_id, phone, role) VALUES (?, ?, 'FAMILY')", bookingId,
                        f);
            }
        }
        Booking booking = new Booking(bookingId, code, BookingStatus.ACTIVE, (long) h.get("facility_id"),
                (String) h.get("facility_name"), serviceId, (String) h.get("service_name"),
                ServiceKind.valueOf((String) h.get("service_kind")), rules.vaccineId(), rules.doseNumber(),
                (long) h.get("slot_id"), date, (LocalDateTime) h.get("starts_at"), (LocalDateTime) h.get("ends_at"),
                pool, patient.masked(), age, smsPhone, List.copyOf(new ArrayList<>(tied).subList(
                        smsPhone == null ? 0 : 1, tied.size())), req.callingNumber(), req.channel(), req.actor(), now,
                rules.nextDoseFrom());
        events.publishEvent(new BookingEvents.BookingConfirmed(booking));
        // last, after the listeners (SMS outbox rows): the hot row, locked only until the commit
        int moved = jdbc.update("UPDATE quota_pool SET held = held - 1, booked = booked + 1 WHERE id = ? AND held > 0",
                (long) h.get("pool_id"));
        if (moved != 1) {
            throw new IllegalStateException("pool " + h.get("pool_id") + " had no held place for hold " + req.holdId());
        }
        return booking;
    }

    private void requireCommunityReferral(Long referringFacilityId) {
        if (referringFacilityId == null) {
            throw new RefusedException(Refusal.REFERRAL_REQUIRED, null);
        }
        String kind = jdbc.query("SELECT kind FROM facility WHERE id = ?", rs -> rs.next() ? rs.getString(1) : null,
                referringFacilityId);
        if (!FacilityKind.COMMUNITY_CENTRE.name().equals(kind)) {
            throw new RefusedException(Refusal.REFERRAL_REQUIRED, null);
        }
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
        LocalDateTime now = now();
        try {
            Booking cancelled = retrying("cancel", () -> tx.execute(status -> {
                Map<String, Object> row = jdbc.query(
                        "SELECT status, pool_id, slot_starts_at FROM booking WHERE id = ? FOR UPDATE", rs -> rs.next()
                                ? Map.<String, Object>of("status", rs.getString(1), "pool_id", rs.getLong(2),
                                        "starts", rs.getObject(3, LocalDateTime.class))
                                : null,
                        bookingId);
                if (row == null) {
                    throw new RefusedException(Refusal.NOT_FOUND, null);
                }
                if (!"ACTIVE".equals(row.get("status"))) {
                    throw new RefusedException(Refusal.NOT_ACTIVE, null);
                }
                if (now.isAfter(((LocalDateTime) row.get("starts")).minus(props.cancelCutoff()))) {
                    throw new RefusedException(Refusal.CANCEL_TOO_LATE, null);
                }
                if (channel == Channel.SMS_REPLY && !isTiedTo(bookingId, requesterPhone)) {
                    throw new RefusedException(Refusal.NOT_ALLOWED, null);
                }
                jdbc.update("""
                        UPDATE booking SET status = 'CANCELLED', cancelled_at = ?, cancel_channel = ? WHERE id = ?""",
                        now, channel.name(), bookingId);
                Booking b = findById(bookingId).orElseThrow();
                events.publishEvent(new BookingEvents.BookingCancelled(b, channel));
                // last: the hot row
                jdbc.update("UPDATE quota_pool SET booked = booked - 1 WHERE id = ?", (long) row.get("pool_id"));
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

    /** Carries a refusal out of a transaction so that it rolls back. */
    private static final class RefusedException extends RuntimeException {
        final BookingOutcome.Refused refused;

        RefusedException(Refusal reason, LocalDate earliest) {
            super(reason.name(), null, false, false);
            this.refused = new BookingOutcome.Refused(reason, earliest);
        }
    }
}
