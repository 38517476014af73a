package org.hotline.booking;

import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * 停诊: a hospital cancels a session, or a whole day, of one service or of every service of a facility.
 *
 * <p>{@link #cancel} is the one call (the console's 停诊 screen and the holiday/closure screen use it):
 * <ol>
 * <li>one transaction records the cancellation, marks the sessions and closes every pool of their slots
 * ({@code quota_pool.closed_by}, {@code closes_at} now). That is an UPDATE of the very rows {@code take_hold}
 * updates, so a hold either came before it (and is swept below) or finds the pool closed; nothing closes it
 * again later (take_hold refuses {@code closed_by}, the release jobs never clear it);</li>
 * <li>every hold still active on those pools is released (a confirmation that had not yet turned its hold
 * into a booking is then refused; one that had is waited for, and its booking is swept next);</li>
 * <li>every ACTIVE booking of a slot that has not ended is cancelled, each in its own transaction, with
 * {@code cancel_reason = HOSPITAL}, whatever the cancellation cut-off. Its place is not given back to anyone:
 * the pool stays closed. The nearest free slice of the same service is offered ({@link BookingEvents.CancelledByHospital},
 * the SMS module tells the patient and every family phone "reply 1 to move to it"); the offers of one
 * cancellation are spread over the free places, so 30 patients are not all offered the same last place.</li>
 * </ol>
 * Steps 2 and 3 run again until nothing is left, so the call ends with no hold and no booking alive in the
 * cancelled sessions. A second cancellation of sessions already cancelled does nothing to them.
 *
 * <p>{@link #acceptOffer} is the SMS reply "1": the booking core's move ({@link BookingService#move}, channel
 * SMS_REPLY) moves the cancelled booking into the offered slice in one transaction (a new booking for the same
 * patient and phones under every booking rule, its confirmation SMS, the offer marked MOVED), or, when the place
 * has gone meanwhile, the next one is offered. Only a phone the SMS went to (the booking's SMS number or a family phone,
 * {@code booking_phone}) may.
 *
 * <p>The console's worklist ({@link #elders}, {@link #recordCall}) lists the affected patients aged 60 or more to
 * phone personally, with the outcome of each call.
 */
@Component
public class SessionCancellations {

    private static final Logger log = LoggerFactory.getLogger(SessionCancellations.class);

    /** {@code booking.cancel_reason} of a booking a 停诊 cancelled. */
    public static final String HOSPITAL = "HOSPITAL";
    /** Patients of this age or older are phoned personally after a 停诊. */
    public static final int ELDER_AGE = 60;
    /** Rounds of sweeping (holds, then bookings) before the call gives up; one is enough, see the class comment. */
    private static final int MAX_ROUNDS = 5;

    /** Why a cancellation was not made. */
    public enum Problem {
        REASON_REQUIRED("请填写停诊原因"),
        SERVICE_NOT_OF_FACILITY("该科室或疫苗不属于此机构"),
        DATE_PAST("不能停诊已经过去的日期"),
        NOTHING_TO_CANCEL("该日期该时段没有出诊安排"),
        ALREADY_CANCELLED("该出诊已经停诊");

        private final String text;

        Problem(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** What {@link #cancel} did, or why it did nothing. */
    public sealed interface Result {
        /**
         * @param sessions          clinic sessions cancelled
         * @param slots             their slots, every pool of which is now closed
         * @param bookingsCancelled ACTIVE bookings cancelled with reason HOSPITAL (each patient and family phone told)
         * @param holdsReleased     places being booked at that moment, released
         * @param offered           cancelled bookings offered an alternative slice
         * @param elders            cancelled bookings of patients aged {@value #ELDER_AGE}+ (the worklist)
         */
        record Done(long cancellationId, int sessions, int slots, int bookingsCancelled, int holdsReleased,
                int offered, int elders) implements Result {
        }

        record Refused(Problem problem) implements Result {
        }
    }

    /** A past cancellation as the console lists it. */
    public record CancellationView(long id, long facilityId, String facilityName, Long serviceId, String serviceName,
            LocalDate date, Period period, String reason, String actor, LocalDateTime createdAt,
            LocalDateTime doneAt, int sessions, int slots, int bookingsCancelled, int holdsReleased, int moved) {
    }

    /** The outcome of a call to an affected patient, as the console records it. */
    public enum CallOutcome {
        /** Reached and told; nothing else changed. */
        REACHED,
        /** Reached and moved to another time (by the agent, or the patient had replied). */
        MOVED,
        /** Reached; the patient does not want another time. */
        CANCELLED,
        NO_ANSWER
    }

    /**
     * One patient aged 60+ whose booking a 停诊 cancelled: whom to phone (the numbers are whole: the caller dials
     * them), what was offered, what became of it, and the calls made so far.
     */
    public record AffectedPatient(long noticeId, long cancellationId, long facilityId, String facilityName,
            String serviceName, long bookingId, String code, String patientMasked, int age, LocalDateTime startsAt,
            LocalDateTime endsAt, String smsPhone, List<String> familyPhones, String callingNumber,
            String offerStatus, LocalDateTime offerStartsAt, LocalDateTime offerEndsAt, String movedCode,
            int calls, CallOutcome lastOutcome, LocalDateTime lastCallAt, String lastCallBy, String lastNote) {
    }

    /** The answer to an SMS reply "1" (or "1 + code"). */
    public sealed interface OfferOutcome {
        /** Moved: {@code to} is the new booking (its confirmation SMS goes to every phone of it). */
        record Moved(Booking from, Booking to) implements OfferOutcome {
        }

        /** The offered place was taken meanwhile: {@code offer} is the next one, offered instead. */
        record Renewed(Booking cancelled, Alternatives.Alternative offer) implements OfferOutcome {
        }

        /** The offered place was taken and nothing else is free now. */
        record NoneLeft(Booking cancelled) implements OfferOutcome {
        }

        /** The booking rules refuse the move (e.g. another booking that day). */
        record Refused(Booking cancelled, Refusal reason, LocalDate earliest) implements OfferOutcome {
        }

        /** This phone has several open offers: the reply must name the code. */
        record Ambiguous(int open) implements OfferOutcome {
        }

        /** No open offer reaches this phone (with that code): the same answer for not found and not allowed. */
        record NotFound() implements OfferOutcome {
        }
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final BookingService bookings;
    private final Alternatives alternatives;
    private final ApplicationEventPublisher events;

    public SessionCancellations(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingService bookings,
            Alternatives alternatives, ApplicationEventPublisher events) {
        this.alternatives = alternatives;
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.bookings = bookings;
        this.events = events;
    }

    // ---------------------------------------------------------------- cancel

    /**
     * Cancels a session or a whole day: closes its places for good, releases the places being booked, cancels
     * every active booking in it (reason HOSPITAL) and offers each patient the nearest free slice by SMS. Who may
     * is the caller's business (the console lets an administrator, or a hospital's own administrator for
     * its facility); this method trusts it.
     *
     * @param actor      the console user, recorded with the cancellation
     * @param facilityId the hospital or clinic
     * @param serviceId  one department or vaccine service of it, or null for every service of the facility
     * @param date       the day
     * @param period     one session (MORNING, AFTERNOON, EVENING), or null for the whole day
     * @param reason     the hospital's reason, kept and sent in no SMS (医生临时停诊, 临时放假…)
     * @return what was done, with counts; or why nothing was (a reason is required; the service must be the
     *         facility's; the day must not be over; there must be a session not yet cancelled)
     */
    public Result cancel(String actor, long facilityId, Long serviceId, LocalDate date, Period period, String reason) {
        if (reason == null || reason.isBlank()) {
            return new Result.Refused(Problem.REASON_REQUIRED);
        }
        if (serviceId != null && jdbc.queryForObject("SELECT COUNT(*) FROM service WHERE id = ? AND facility_id = ?",
                Integer.class, serviceId, facilityId) == 0) {
            return new Result.Refused(Problem.SERVICE_NOT_OF_FACILITY);
        }
        LocalDateTime now = now();
        if (date.isBefore(now.toLocalDate())) {
            return new Result.Refused(Problem.DATE_PAST);
        }
        String scope = " FROM clinic_session cs JOIN service s ON s.id = cs.service_id WHERE s.facility_id = ?"
                + " AND cs.session_date = ?" + (serviceId != null ? " AND cs.service_id = ?" : "")
                + (period != null ? " AND cs.period = ?" : "") + " AND cs.ends_at > ?";
        List<Object> args = new ArrayList<>(List.of(facilityId, date));
        if (serviceId != null) {
            args.add(serviceId);
        }
        if (period != null) {
            args.add(period.name());
        }
        args.add(now);
        String why = reason.strip();
        String text = why.length() > 200 ? why.substring(0, 200) : why;
        record Closed(long id, List<Long> sessions, int slots) {
        }
        Object closed = ConflictRetry.run(5, 4, e -> { }, () -> tx.execute(status -> {
            List<Long> all = jdbc.queryForList("SELECT cs.id" + scope + " ORDER BY cs.id FOR UPDATE", Long.class,
                    args.toArray());
            if (all.isEmpty()) {
                return Problem.NOTHING_TO_CANCEL;
            }
            List<Long> sessions = jdbc.queryForList("SELECT cs.id" + scope + " AND cs.cancellation_id IS NULL"
                    + " ORDER BY cs.id", Long.class, args.toArray());
            if (sessions.isEmpty()) {
                return Problem.ALREADY_CANCELLED;
            }
            GeneratedKeyHolder key = new GeneratedKeyHolder();
            jdbc.update(c -> {
                var ps = c.prepareStatement("""
                        INSERT INTO session_cancellation (facility_id, service_id, session_date, period, reason, actor,
                          created_at) VALUES (?, ?, ?, ?, ?, ?, ?)""", new String[] {"id"});
                ps.setLong(1, facilityId);
                ps.setObject(2, serviceId);
                ps.setObject(3, date);
                ps.setString(4, period == null ? null : period.name());
                ps.setString(5, text);
                ps.setString(6, actor);
                ps.setObject(7, now);
                return ps;
            }, key);
            long id = key.getKey().longValue();
            String in = ids(sessions);
            jdbc.update("UPDATE clinic_session SET cancellation_id = ? WHERE id IN (" + in + ")", id);
            // the rows take_hold updates: from this commit on no place of these slots can be held
            jdbc.update("UPDATE quota_pool SET closed_by = ?, closes_at = LEAST(closes_at, ?) WHERE slot_id IN"
                    + " (SELECT id FROM slot WHERE session_id IN (" + in + ")) ORDER BY id", id, now);
            int slots = jdbc.queryForObject("SELECT COUNT(*) FROM slot WHERE session_id IN (" + in + ")",
                    Integer.class);
            return new Closed(id, sessions, slots);
        }));
        if (closed instanceof Problem p) {
            return new Result.Refused(p);
        }
        Closed c = (Closed) closed;
        log.info("停诊 {}: facility {} service {} {} {}: {} sessions, {} slots closed by {}", c.id(), facilityId,
                serviceId == null ? "all" : serviceId, date, period == null ? "whole day" : period, c.sessions().size(),
                c.slots(), actor);
        int released = 0;
        int cancelled = 0;
        int offered = 0;
        int elders = 0;
        Map<Long, Integer> offeredPerSlot = new HashMap<>();
        for (int round = 0; round < MAX_ROUNDS; round++) {
            int releasedNow = releaseHolds(c.id());
            List<Long> active = jdbc.queryForList("""
                    SELECT b.id FROM booking b JOIN slot sl ON sl.id = b.slot_id JOIN quota_pool q ON q.id = b.pool_id
                    WHERE q.closed_by = ? AND b.status = 'ACTIVE' AND sl.ends_at > ? ORDER BY b.slot_starts_at, b.id""",
                    Long.class, c.id(), now());
            released += releasedNow;
            if (active.isEmpty() && releasedNow == 0) {
                break;
            }
            for (long bookingId : active) {
                Optional<Booking> done = cancelOne(c.id(), bookingId, text, offeredPerSlot);
                if (done.isPresent()) {
                    cancelled++;
                    Integer age = done.get().patientAge();
                    if (age != null && age >= ELDER_AGE) {
                        elders++;
                    }
                }
            }
        }
        offered = offeredPerSlot.values().stream().mapToInt(Integer::intValue).sum();
        int r = released;
        int n = cancelled;
        tx.executeWithoutResult(s -> jdbc.update("""
                UPDATE session_cancellation SET sessions = ?, slots = ?, bookings_cancelled = bookings_cancelled + ?,
                  holds_released = holds_released + ?, done_at = ? WHERE id = ?""", c.sessions().size(), c.slots(), n, r,
                now(), c.id()));
        log.info("停诊 {}: {} bookings cancelled ({} offered another time, {} aged {}+), {} holds released", c.id(),
                cancelled, offered, elders, ELDER_AGE, released);
        return new Result.Done(c.id(), c.sessions().size(), c.slots(), cancelled, released, offered, elders);
    }

    /** Releases every active hold on the cancellation's pools (hold row, then pool row: the booking core's order). */
    private int releaseHolds(long cancellationId) {
        List<Long> holds = jdbc.queryForList("""
                SELECT h.id FROM hold h JOIN quota_pool q ON q.id = h.pool_id
                WHERE q.closed_by = ? AND h.status = 'ACTIVE' ORDER BY h.id""", Long.class, cancellationId);
        int n = 0;
        for (long h : holds) {
            if (bookings.release(h)) {
                n++;
            }
        }
        return n;
    }

    /** Cancels one booking with reason HOSPITAL and offers the nearest free slice; empty when it was no longer active. */
    private Optional<Booking> cancelOne(long cancellationId, long bookingId, String reason,
            Map<Long, Integer> offeredPerSlot) {
        Booking before = bookings.findById(bookingId).orElse(null);
        if (before == null || before.status() != Booking.BookingStatus.ACTIVE) {
            return Optional.empty();
        }
        Alternatives.Alternative offer = nearestFree(before, offeredPerSlot, null);
        LocalDateTime now = now();
        Booking done = ConflictRetry.run(5, 4, e -> { }, () -> tx.execute(status -> {
            Map<String, Object> row = jdbc.query("SELECT status, pool_id FROM booking WHERE id = ? FOR UPDATE",
                    rs -> rs.next() ? Map.<String, Object>of("status", rs.getString(1), "pool", rs.getLong(2)) : null,
                    bookingId);
            if (row == null || !"ACTIVE".equals(row.get("status"))) {
                return null;
            }
            jdbc.update("""
                    UPDATE booking SET status = 'CANCELLED', cancelled_at = ?, cancel_reason = 'HOSPITAL'
                    WHERE id = ?""", now, bookingId);
            jdbc.update("""
                    INSERT INTO cancellation_notice (cancellation_id, booking_id, offer_slot_id, offer_pool, offer_status,
                      created_at) VALUES (?, ?, ?, ?, ?, ?)""", cancellationId, bookingId,
                    offer == null ? null : offer.offer().slotId(), offer == null ? null : offer.offer().pool().name(),
                    offer == null ? "NONE" : "OPEN", now);
            Booking b = bookings.findById(bookingId).orElseThrow();
            events.publishEvent(new BookingEvents.CancelledByHospital(b, reason, offer));
            // last: the hot row. The booking leaves it, the place does not come back: the pool is closed
            jdbc.update("UPDATE quota_pool SET booked = booked - 1 WHERE id = ?", (long) row.get("pool"));
            return b;
        }));
        if (done == null) {
            return Optional.empty();
        }
        if (offer != null) {
            offeredPerSlot.merge(offer.offer().slotId(), 1, Integer::sum);
        }
        log.info("停诊 {}: cancelled {} (code {}), offered {}", cancellationId, bookingId, Booking.maskCode(done.code()),
                offer == null ? "nothing" : "slot " + offer.offer().slotId());
        return Optional.of(done);
    }

    /**
     * The nearest free slice for a cancelled booking ({@link Alternatives#forMove}: the same department or
     * vaccine, after the booking's slice, the same facility first, in the pools of the channel it was booked on,
     * for its patient), skipping {@code notSlot} and slices whose free places this cancellation has already
     * offered to other patients. Null when there is none.
     */
    Alternatives.Alternative nearestFree(Booking b, Map<Long, Integer> alreadyOffered, Long notSlot) {
        for (Alternatives.Alternative a : alternatives.forMove(b, Channel.SMS_REPLY, 200)) {
            SlotOffer o = a.offer();
            if ((notSlot == null || o.slotId() != notSlot) && o.free() - alreadyOffered.getOrDefault(o.slotId(), 0) > 0) {
                return a;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- reply "1": move to the offer

    /**
     * The SMS reply "1" (or "1" and a booking code, when the phone has several open offers): moves the cancelled
     * booking into the offered slice, in one transaction. Only a phone the offer was sent to (the booking's SMS
     * number or a family phone) reaches it; any other phone gets {@link OfferOutcome.NotFound}, as for no offer.
     */
    public OfferOutcome acceptOffer(String phone, String code) {
        String p = PhoneNumber.normalise(phone);
        if (p == null || p.isEmpty()) {
            return new OfferOutcome.NotFound();
        }
        List<Long> open = jdbc.queryForList("""
                SELECT n.id FROM cancellation_notice n JOIN booking b ON b.id = n.booking_id
                WHERE n.offer_status = 'OPEN' AND n.booking_id IN (SELECT booking_id FROM booking_phone WHERE phone = ?)"""
                + (code != null ? " AND b.code = ?" : "") + " ORDER BY n.id", Long.class,
                code != null ? new Object[] {p, code} : new Object[] {p});
        if (open.isEmpty()) {
            return new OfferOutcome.NotFound();
        }
        if (open.size() > 1) {
            return new OfferOutcome.Ambiguous(open.size());
        }
        return moveToOffer(open.get(0), p);
    }

    /**
     * The place a 停诊 offered this cancelled booking, while the offer is open (for the outbound call that tells the
     * patient, issue 18): empty once taken, withdrawn, or when nothing was free.
     */
    public Optional<Alternatives.Alternative> openOffer(long bookingId) {
        return jdbc.query("""
                SELECT sl.id, sl.service_id, sl.slot_date, cs.period, sl.starts_at, sl.ends_at, n.offer_pool,
                       s.facility_id, f.name, s.name, b.facility_id
                FROM cancellation_notice n JOIN booking b ON b.id = n.booking_id
                JOIN slot sl ON sl.id = n.offer_slot_id JOIN clinic_session cs ON cs.id = sl.session_id
                JOIN service s ON s.id = sl.service_id JOIN facility f ON f.id = s.facility_id
                WHERE n.booking_id = ? AND n.offer_status = 'OPEN'""",
                (rs, i) -> new Alternatives.Alternative(new SlotOffer(rs.getLong(1), rs.getLong(2),
                        rs.getObject(3, LocalDate.class), Period.valueOf(rs.getString(4)),
                        rs.getObject(5, LocalDateTime.class), rs.getObject(6, LocalDateTime.class),
                        Pool.valueOf(rs.getString(7)), 1), rs.getLong(8), rs.getString(9), rs.getString(10),
                        rs.getLong(8) == rs.getLong(11)), bookingId).stream().findFirst();
    }

    /**
     * Key 1 in the outbound call about this cancelled booking (issue 18): the same move as the SMS reply
     * ({@link #acceptOffer}), for the number the gateway dialled itself (so it needs not be one of the booking's
     * SMS phones: a landline the booking was made from is called too).
     */
    public OfferOutcome acceptOfferOf(long bookingId, String dialled) {
        String p = PhoneNumber.normalise(dialled);
        List<Long> open = jdbc.queryForList(
                "SELECT id FROM cancellation_notice WHERE booking_id = ? AND offer_status = 'OPEN'", Long.class,
                bookingId);
        if (open.isEmpty() || p == null || p.isEmpty()) {
            return new OfferOutcome.NotFound();
        }
        return moveToOffer(open.get(0), p);
    }

    /** Carried on the move's events: the notice whose offer is being taken. */
    record OfferTaken(long noticeId) implements BookingEvents.Context {
    }

    /** The offer was taken meanwhile (another phone of the same booking replied at the same moment). */
    private static final class AlreadyTaken extends RuntimeException {
        AlreadyTaken() {
            super("offer already taken", null, false, false);
        }
    }

    /**
     * In the move's transaction ({@link BookingService#move}, which publishes the new booking with our context):
     * the offer becomes MOVED, only if it is still OPEN; otherwise the whole move rolls back.
     */
    @EventListener
    void onMoved(BookingEvents.BookingConfirmed event) {
        if (event.context() instanceof OfferTaken t) {
            int n = jdbc.update("""
                    UPDATE cancellation_notice SET offer_status = 'MOVED', moved_booking_id = ?, answered_at = ?
                    WHERE id = ? AND offer_status = 'OPEN'""", event.booking().id(), now(), t.noticeId());
            if (n != 1) {
                throw new AlreadyTaken();
            }
        }
    }

    private OfferOutcome moveToOffer(long noticeId, String phone) {
        record Notice(long bookingId, Long slotId, Pool pool, String status) {
        }
        Notice n = jdbc.queryForObject("""
                SELECT booking_id, offer_slot_id, offer_pool, offer_status FROM cancellation_notice WHERE id = ?""",
                (rs, i) -> new Notice(rs.getLong(1), rs.getObject(2, Long.class),
                        rs.getString(3) == null ? null : Pool.valueOf(rs.getString(3)), rs.getString(4)), noticeId);
        Booking old = bookings.findById(n.bookingId()).orElseThrow();
        if (!"OPEN".equals(n.status()) || n.slotId() == null) {
            return new OfferOutcome.NotFound();
        }
        MoveOutcome out;
        try {
            // the booking core's move, in one transaction: the new booking (every rule, the place by the
            // conditional UPDATE), its confirmation SMS, and this offer marked MOVED (onMoved)
            out = bookings.move(new MoveRequest(old.id(), n.slotId(), n.pool(), null, Channel.SMS_REPLY,
                    "sms:" + PhoneNumber.mask(phone), null, phone, new OfferTaken(noticeId)));
        } catch (AlreadyTaken e) {
            return new OfferOutcome.NotFound();
        }
        if (out instanceof MoveOutcome.Moved m) {
            log.info("停诊 offer {}: booking {} moved to {} (code {}) by {}", noticeId, old.id(), m.to().id(),
                    Booking.maskCode(m.to().code()), PhoneNumber.mask(phone));
            return new OfferOutcome.Moved(m.from(), m.to());
        }
        MoveOutcome.Refused r = (MoveOutcome.Refused) out;
        if (r.reason() != Refusal.FULL && r.reason() != Refusal.POOL_CLOSED && r.reason() != Refusal.SLOT_PAST) {
            return new OfferOutcome.Refused(old, r.reason(), r.earliestDate());
        }
        // the place went to someone else (or closed) meanwhile: offer the next one
        Alternatives.Alternative next = nearestFree(old, Map.of(), n.slotId());
        tx.executeWithoutResult(s -> jdbc.update("""
                UPDATE cancellation_notice SET offer_slot_id = ?, offer_pool = ?, offer_status = ?
                WHERE id = ? AND offer_status = 'OPEN'""", next == null ? null : next.offer().slotId(),
                next == null ? null : next.offer().pool().name(), next == null ? "NONE" : "OPEN", noticeId));
        log.info("停诊 offer {}: slot {} gone ({}), {}", noticeId, n.slotId(), r.reason(),
                next == null ? "nothing else free" : "offered slot " + next.offer().slotId());
        return next == null ? new OfferOutcome.NoneLeft(old) : new OfferOutcome.Renewed(old, next);
    }

    // ---------------------------------------------------------------- console: list, worklist, calls

    /** Cancellations of sessions from {@code since} on, of one facility (or all: null), newest day first. */
    public List<CancellationView> list(Long facilityId, LocalDate since) {
        return jdbc.query("""
                SELECT c.*, f.name AS facility_name, s.name AS service_name,
                       (SELECT COUNT(*) FROM cancellation_notice n WHERE n.cancellation_id = c.id
                          AND n.offer_status = 'MOVED') AS moved
                FROM session_cancellation c JOIN facility f ON f.id = c.facility_id
                LEFT JOIN service s ON s.id = c.service_id
                WHERE c.session_date >= ?""" + (facilityId != null ? " AND c.facility_id = ?" : "")
                + " ORDER BY c.session_date DESC, c.id DESC LIMIT 200",
                (rs, i) -> new CancellationView(rs.getLong("id"), rs.getLong("facility_id"),
                        rs.getString("facility_name"), rs.getObject("service_id", Long.class),
                        rs.getString("service_name"), rs.getObject("session_date", LocalDate.class),
                        rs.getString("period") == null ? null : Period.valueOf(rs.getString("period")),
                        rs.getString("reason"), rs.getString("actor"), rs.getObject("created_at", LocalDateTime.class),
                        rs.getObject("done_at", LocalDateTime.class), rs.getInt("sessions"), rs.getInt("slots"),
                        rs.getInt("bookings_cancelled"), rs.getInt("holds_released"), rs.getInt("moved")),
                facilityId != null ? new Object[] {since, facilityId} : new Object[] {since});
    }

    /**
     * The worklist: patients aged {@value #ELDER_AGE}+ whose bookings a 停诊 of a session on or after {@code since}
     * cancelled, of one facility (or all: null), by the cancelled visit's time, oldest patient first within it.
     */
    public List<AffectedPatient> elders(Long facilityId, LocalDate since) {
        List<AffectedPatient> rows = jdbc.query("""
                SELECT n.id, n.cancellation_id, b.facility_id, f.name, s.name, b.id, b.code, b.patient_masked,
                       b.patient_age, b.slot_starts_at, sl.ends_at, b.sms_phone, b.calling_number, n.offer_status,
                       os.starts_at, os.ends_at, nb.code,
                       (SELECT COUNT(*) FROM cancellation_call k WHERE k.notice_id = n.id),
                       k.outcome, k.created_at, k.actor, k.note
                FROM cancellation_notice n JOIN session_cancellation c ON c.id = n.cancellation_id
                JOIN booking b ON b.id = n.booking_id JOIN facility f ON f.id = b.facility_id
                JOIN service s ON s.id = b.service_id JOIN slot sl ON sl.id = b.slot_id
                LEFT JOIN slot os ON os.id = n.offer_slot_id LEFT JOIN booking nb ON nb.id = n.moved_booking_id
                LEFT JOIN cancellation_call k ON k.id = (SELECT MAX(k2.id) FROM cancellation_call k2
                                                           WHERE k2.notice_id = n.id)
                WHERE b.patient_age >= ? AND c.session_date >= ?""" + (facilityId != null ? " AND b.facility_id = ?" : "")
                + " ORDER BY b.slot_starts_at, b.patient_age DESC, n.id LIMIT 2000",
                (rs, i) -> new AffectedPatient(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4),
                        rs.getString(5), rs.getLong(6), rs.getString(7), rs.getString(8), rs.getInt(9),
                        rs.getObject(10, LocalDateTime.class), rs.getObject(11, LocalDateTime.class), rs.getString(12),
                        List.of(), rs.getString(13), rs.getString(14), rs.getObject(15, LocalDateTime.class),
                        rs.getObject(16, LocalDateTime.class), rs.getString(17), rs.getInt(18),
                        rs.getString(19) == null ? null : CallOutcome.valueOf(rs.getString(19)),
                        rs.getObject(20, LocalDateTime.class), rs.getString(21), rs.getString(22)),
                facilityId != null ? new Object[] {ELDER_AGE, since, facilityId} : new Object[] {ELDER_AGE, since});
        List<AffectedPatient> out = new ArrayList<>(rows.size());
        for (AffectedPatient a : rows) {
            List<String> family = jdbc.queryForList(
                    "SELECT phone FROM booking_phone WHERE booking_id = ? AND role = 'FAMILY' ORDER BY phone",
                    String.class, a.bookingId());
            out.add(new AffectedPatient(a.noticeId(), a.cancellationId(), a.facilityId(), a.facilityName(),
                    a.serviceName(), a.bookingId(), a.code(), a.patientMasked(), a.age(), a.startsAt(), a.endsAt(),
                    a.smsPhone(), family, a.callingNumber(), a.offerStatus(), a.offerStartsAt(), a.offerEndsAt(),
                    a.movedCode(), a.calls(), a.lastOutcome(), a.lastCallAt(), a.lastCallBy(), a.lastNote()));
        }
        return out;
    }

    /** The facility of a notice (a cancelled booking), for the caller's access check; empty when there is none. */
    public Optional<Long> facilityOfNotice(long noticeId) {
        return jdbc.query("""
                SELECT b.facility_id FROM cancellation_notice n JOIN booking b ON b.id = n.booking_id WHERE n.id = ?""",
                rs -> rs.next() ? Optional.of(rs.getLong(1)) : Optional.<Long>empty(), noticeId);
    }

    /** Records one call to an affected patient and its outcome (note: at most 200 characters, kept as given). */
    public void recordCall(long noticeId, CallOutcome outcome, String note, String actor) {
        String n = note == null || note.isBlank() ? null : note.strip();
        jdbc.update("""
                INSERT INTO cancellation_call (notice_id, outcome, note, actor, created_at) VALUES (?, ?, ?, ?, ?)""",
                noticeId, outcome.name(), n != null && n.length() > 200 ? n.substring(0, 200) : n, actor, now());
    }

    private static String ids(List<Long> ids) {
        return String.join(",", ids.stream().map(String::valueOf).toList());
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
