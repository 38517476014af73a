package org.hotline.booking;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import org.springframework.stereotype.Service;

/**
 * The one booking API every channel uses: hold, confirm, move, release, cancel, check in, find. Each job
 * is its own class in this package, behind these methods: {@link Holds}, {@link Eligibility} (patient and
 * vaccine rules), {@link Confirmations}, {@link Moves}, {@link Cancellations} (cancel, check-in) and
 * {@link BookingQueries}.
 *
 * <p>Quota is taken by one conditional UPDATE on the pool row ({@code held + booked < capacity});
 * the row count says whether the caller got the place, so no place is ever sold twice. The pool
 * row is always the last row a transaction locks (hold → patient → calling number → pool), which
 * keeps the hot row's lock short and the lock order free of cycles. A transaction the database rolls
 * back for a conflict runs again ({@link BookingRetry}).
 */
@Service
public class BookingService {

    private final KeyedHash hash;
    private final Holds holds;
    private final Eligibility eligibility;
    private final Confirmations confirmations;
    private final Moves moves;
    private final Cancellations cancellations;
    private final BookingQueries queries;

    BookingService(BookingProperties props, Holds holds, Eligibility eligibility, Confirmations confirmations,
            Moves moves, Cancellations cancellations, BookingQueries queries) {
        this.hash = new KeyedHash(props.idHashKey());
        this.holds = holds;
        this.eligibility = eligibility;
        this.confirmations = confirmations;
        this.moves = moves;
        this.cancellations = cancellations;
        this.queries = queries;
    }

    /** Told, inside a cancellation's or a move's transaction, of the place it gave back ({@link Waitlist}). */
    void onPlaceFreed(java.util.function.Consumer<Booking> hook) {
        cancellations.onPlaceFreed(hook);
        moves.onPlaceFreed(hook);
    }

    /** The keyed hash used for resident IDs and calling numbers (for modules that match on them). */
    public String hashOf(String value) {
        return hash.of(value);
    }

    // ---------------------------------------------------------------- hold

    /** Holds a place in the slot from the first of the channel's pools that has room. */
    public HoldOutcome hold(long slotId, Channel channel) {
        return holds.hold(slotId, null, channel);
    }

    /** Holds a place in a given pool (null: the channel's first pool with room). */
    public HoldOutcome hold(long slotId, Pool pool, Channel channel) {
        return holds.hold(slotId, pool, channel);
    }

    /** A hold that lasts {@code ttl} instead of the hold-ttl (a waitlist offer waits for the SMS reply). */
    HoldOutcome holdFor(long slotId, Channel channel, java.time.Duration ttl) {
        return holds.holdFor(slotId, channel, ttl);
    }

    /** Gives a held place back at once (the caller hung up or chose again). Idempotent. */
    public boolean release(long holdId) {
        return holds.release(holdId);
    }

    /** Releases every hold whose time is up; returns how many. Safe to run on several nodes at once. */
    public int expireHolds() {
        return holds.expireHolds();
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

    // ---------------------------------------------------------------- confirm

    /**
     * {@link #checkPatient(long, LocalDate, String, Channel)} for a patient booked before from this phone
     * ({@link PatientRef}): NOT_FOUND when the reference is not tied to the phone, ID_NEEDED when a vaccine's age
     * range needs the ID (the age kept on the booking leaves a birthday in doubt).
     */
    public Optional<BookingOutcome.Refused> checkPatient(long serviceId, LocalDate date, PatientRef ref, String phone,
            Channel channel) {
        Patient p;
        try {
            p = queries.patientOf(ref, phone);
        } catch (RefusedException e) {
            return Optional.of(e.refused);
        }
        return eligibility.checkPatient(serviceId, date, p, channel);
    }

    /**
     * The people booked before from or for this phone (bookings tied to it, {@link PhoneTie}), the most recently
     * booked first, at most {@code max}. For a verified calling number only (docs/security.md): a withheld or
     * unverified number gets nothing tied to it.
     */
    public List<KnownPatient> patientsTiedTo(String phone, int max) {
        return queries.patientsTiedTo(phone, max);
    }

    /** What the waitlist keeps of a patient (as a booking row does): hash, masked ID, age on a day. */
    record PatientFacts(String hash, String masked, int age, LocalDate on) {
    }

    /** The patient of a keyed ID or of a reference tied to the phone; throws RefusedException when neither is good. */
    PatientFacts patientFacts(String residentId, PatientRef ref, String phone) {
        if (residentId == null) {
            Patient p = queries.patientOf(ref, phone);
            return new PatientFacts(p.hash(), p.masked(), p.knownAge(), p.knownOn());
        }
        ResidentId.Parsed parsed = ResidentId.parse(residentId);
        if (!parsed.valid()) {
            throw new RefusedException(parsed.refusal(), null);
        }
        LocalDate today = queries.today();
        return new PatientFacts(hash.of(parsed.id().value()), parsed.id().masked(), parsed.id().ageOn(today), today);
    }

    /** The refusal a {@link #patientFacts} failure carries, or null when it was something else. */
    static Refusal refusalOf(RuntimeException e) {
        return e instanceof RefusedException r ? r.refused.reason() : null;
    }

    /** Confirms a hold for a patient the waitlist kept (no ID: the vaccine age rule uses the kept age). */
    BookingOutcome confirmWaiting(BookingRequest req, PatientFacts p) {
        return confirmations.confirmWaiting(req, new Patient(p.hash(), p.masked(), null, p.age(), p.on()));
    }

    /** Turns a hold into a booking, or refuses with a typed reason (the hold then stays, so the caller can correct). */
    public BookingOutcome confirm(BookingRequest req) {
        return confirmations.confirm(req);
    }

    /** Hold and confirm in one step (agent console, tests). A refusal, or a failure, releases the hold. */
    public BookingOutcome book(long slotId, Pool pool, BookingRequest reqWithoutHold) {
        return confirmations.book(slotId, pool, reqWithoutHold);
    }

    // ---------------------------------------------------------------- move

    /**
     * Moves an active booking to another slot in one transaction: the old booking is cancelled and its place
     * given back, the new place taken and the new booking written, or nothing changes ({@link Moves}). The
     * new booking meets every rule a booking meets, checked with the old one already cancelled; the events
     * (and so the SMS) are those of a cancellation and a booking.
     */
    public MoveOutcome move(MoveRequest req) {
        return moves.move(req);
    }

    // ---------------------------------------------------------------- cancel, check-in

    /**
     * Cancels an active booking; the place goes back to the pool it came from.
     *
     * @param requesterPhone for {@link Channel#SMS_REPLY}: the number that replied, which must be tied to the booking
     */
    public CancelOutcome cancel(String code, Channel channel, String requesterPhone, String actor) {
        return cancellations.cancel(code, channel, requesterPhone, actor);
    }

    public CancelOutcome cancel(long bookingId, Channel channel, String requesterPhone, String actor) {
        return cancellations.cancel(bookingId, channel, requesterPhone, actor, null);
    }

    /** As {@link #cancel(long, Channel, String, String)}, with a context for the event's listeners. */
    public CancelOutcome cancel(long bookingId, Channel channel, String requesterPhone, String actor,
            BookingEvents.Context context) {
        return cancellations.cancel(bookingId, channel, requesterPhone, actor, context);
    }

    /**
     * The patient is at the desk of {@code facilityId}: today's ACTIVE booking with this code becomes
     * ATTENDED (one conditional UPDATE, so two desks checking in the same code at once check it in once).
     */
    public CheckInOutcome checkIn(String code, long facilityId, String actor) {
        return cancellations.checkIn(code, facilityId, actor);
    }

    // ---------------------------------------------------------------- find

    public Optional<Booking> findById(long id) {
        return queries.findById(id);
    }

    public Optional<Booking> findActiveByCode(String code) {
        return queries.findActiveByCode(code);
    }

    /**
     * The active booking with this code, only if it is tied to this phone ({@link PhoneTie}); otherwise
     * empty, after the same one query whether the code does not exist or the booking is someone else's.
     */
    public Optional<Booking> findActiveByCodeTiedTo(String code, String phone) {
        return queries.findActiveByCodeTiedTo(code, phone);
    }

    /**
     * A patient's bookings that are tied to this phone ({@link PhoneTie}), newest slot first: the same one
     * query whether the patient has no bookings or only bookings tied to other phones.
     */
    public List<Booking> findByResidentIdTiedTo(String residentIdInput, String phone) {
        return queries.findByResidentIdTiedTo(residentIdInput, phone);
    }

    /** Whether this phone may reach the booking by phone or SMS: the one rule both channels ask ({@link PhoneTie}). */
    public boolean isTiedTo(long bookingId, String phone) {
        return queries.isTiedTo(bookingId, phone);
    }

    /** A patient's bookings, newest slot first. */
    public List<Booking> findByResidentId(String residentIdInput) {
        return queries.findByResidentId(residentIdInput);
    }

    /** Bookings tied to a phone (as the SMS number or a family phone) or made from it, newest slot first. */
    public List<Booking> findByPhone(String phone) {
        return queries.findByPhone(phone);
    }

    /** Active bookings whose slot is still ahead, for "check or cancel my bookings". */
    public List<Booking> upcoming(List<Booking> bookings) {
        return queries.upcoming(bookings);
    }
}
