package org.hotline.booking;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The waitlist (候补, issue 16; table {@code waitlist_entry}, V8_4). A caller for whom nothing was free waits for
 * a place of a service within a window of days. When a place frees (a cancellation or a move: at once, in its
 * transaction; an expired hold or a community place moved to public: at the next sweep, run with the hold sweeper every
 * minute), the first one waiting whose window has it gets it <em>held</em> for {@code offer-ttl} and an SMS
 * with a code ({@link BookingEvents.WaitlistOffered}); a reply with the code from that phone books it
 * ({@link #confirmByReply}). An offer not confirmed in time ends, its hold is given back, and the next one
 * waiting is offered the place. The hold is what keeps everybody else off the place meanwhile; one
 * conditional UPDATE per step (WAITING → OFFERED → CONFIRMING → BOOKED) keeps two nodes, or two replies,
 * from doing a step twice.
 */
@Service
public class Waitlist {

    private static final Logger log = LoggerFactory.getLogger(Waitlist.class);
    private static final Channel PHONE = Channel.PHONE_MENU;

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final BookingService booking;
    private final WaitlistProperties props;
    private final ApplicationEventPublisher events;
    private final SecureRandom random = new SecureRandom();

    public Waitlist(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingService booking,
            WaitlistProperties props, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.booking = booking;
        this.props = props;
        this.events = events;
        booking.onPlaceFreed(this::offerFreedPlace);
    }

    /**
     * Inside a cancellation's or a move's transaction, after it gave the place back (the pool row is locked by it): the first
     * one waiting for that service on that day gets the place held, so no caller can take it in between.
     */
    void offerFreedPlace(Booking b) {
        if (!PHONE.mayBook(b.pool())) {
            return; // an on-site or community place: not the phone's to offer
        }
        LocalDateTime now = LocalDateTime.now(clock);
        List<Waiting> first = jdbc.query("""
                SELECT id, from_date, until_date, sms_phone FROM waitlist_entry
                WHERE service_id = ? AND status = 'WAITING' AND from_date <= ? AND until_date >= ?
                ORDER BY id LIMIT 1 FOR UPDATE""", (rs, i) -> new Waiting(rs.getLong(1),
                rs.getObject(2, LocalDate.class), rs.getObject(3, LocalDate.class), rs.getString(4)),
                b.serviceId(), b.date(), b.date());
        if (first.isEmpty() || !b.startsAt().isAfter(now)) {
            return;
        }
        Long poolId = jdbc.query("SELECT id FROM quota_pool WHERE slot_id = ? AND pool = ?",
                rs -> rs.next() ? rs.getLong(1) : null, b.slotId(), b.pool().name());
        if (poolId == null || jdbc.update("""
                UPDATE quota_pool SET held = held + 1
                WHERE id = ? AND held + booked < capacity AND opens_at <= ? AND closes_at > ?""", poolId, now, now) != 1) {
            return;
        }
        LocalDateTime expires = now.plus(props.offerTtl());
        org.springframework.jdbc.support.GeneratedKeyHolder key = new org.springframework.jdbc.support.GeneratedKeyHolder();
        jdbc.update(c -> {
            var ps = c.prepareStatement("""
                    INSERT INTO hold (pool_id, slot_id, channel, status, created_at, expires_at)
                    VALUES (?, ?, ?, 'ACTIVE', ?, ?)""", new String[] {"id"});
            ps.setLong(1, poolId);
            ps.setLong(2, b.slotId());
            ps.setString(3, PHONE.name());
            ps.setObject(4, now);
            ps.setObject(5, expires);
            return ps;
        }, key);
        offer(first.get(0), new HoldOutcome.Held(key.getKey().longValue(), b.slotId(), b.pool(), expires), now);
    }

    /** Joining: the entry (and how many wait before it), or why not. */
    public sealed interface JoinOutcome {
        record Joined(long entryId, int ahead) implements JoinOutcome {
        }

        record Refused(Refusal reason) implements JoinOutcome {
        }
    }

    /**
     * Puts a patient (a keyed resident ID, or a {@link PatientRef} tied to {@code callingNumber}) on the waitlist
     * of a service for the next {@code window} days; the offer goes to {@code smsPhone} (a mobile). Joining
     * again while waiting keeps the first place in the queue.
     */
    public JoinOutcome join(long serviceId, String residentId, PatientRef ref, String smsPhone, String callingNumber) {
        if (smsPhone == null || !PhoneNumber.isMobile(smsPhone)) {
            return new JoinOutcome.Refused(Refusal.PHONE_NOT_MOBILE);
        }
        BookingService.PatientFacts p;
        try {
            p = booking.patientFacts(residentId, ref, callingNumber);
        } catch (RuntimeException e) {
            Refusal r = BookingService.refusalOf(e);
            if (r == null) {
                throw e;
            }
            return new JoinOutcome.Refused(r);
        }
        LocalDateTime now = LocalDateTime.now(clock);
        LocalDate from = now.toLocalDate();
        LocalDate until = from.plusDays(props.window());
        long id;
        try {
            org.springframework.jdbc.support.GeneratedKeyHolder key = new org.springframework.jdbc.support.GeneratedKeyHolder();
            jdbc.update(c -> {
                var ps = c.prepareStatement("""
                        INSERT INTO waitlist_entry (service_id, from_date, until_date, patient_hash, patient_masked,
                          patient_age, age_on, sms_phone, calling_number, status, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'WAITING', ?)""", new String[] {"id"});
                ps.setLong(1, serviceId);
                ps.setObject(2, from);
                ps.setObject(3, until);
                ps.setString(4, p.hash());
                ps.setString(5, p.masked());
                ps.setInt(6, p.age());
                ps.setObject(7, p.on());
                ps.setString(8, PhoneNumber.normalise(smsPhone));
                ps.setString(9, callingNumber);
                ps.setObject(10, now);
                return ps;
            }, key);
            id = key.getKey().longValue();
        } catch (DuplicateKeyException e) {
            id = jdbc.queryForObject("""
                    SELECT id FROM waitlist_entry WHERE patient_hash = ? AND service_id = ?
                      AND status IN ('WAITING', 'OFFERED')""", Long.class, p.hash(), serviceId);
        }
        Integer ahead = jdbc.queryForObject("""
                SELECT COUNT(*) FROM waitlist_entry WHERE service_id = ? AND status IN ('WAITING', 'OFFERED')
                  AND id < ?""", Integer.class, serviceId, id);
        log.info("Waitlist {}: {} waits for service {} ({} ahead), offers to {}", id, p.masked(), serviceId, ahead,
                PhoneNumber.mask(smsPhone));
        long entry = id;
        // a place may be free already (freed while the caller was choosing)
        sweepQuietly();
        return new JoinOutcome.Joined(entry, ahead == null ? 0 : ahead);
    }

    /** A cancellation frees a place: offer it now, after the cancellation committed. */
    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT)
    void onCancelled(BookingEvents.BookingCancelled event) {
        sweepQuietly();
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            log.warn("Waitlist sweep failed ({}); the next sweep tries again", e.toString());
        }
    }

    /**
     * Ends offers whose time is up (their holds go back), then offers every free place to the first one
     * waiting for it. Returns how many offers it made. Safe on several nodes at once.
     */
    public int sweep() {
        LocalDateTime now = LocalDateTime.now(clock);
        record Offer(long id, Long holdId) {
        }
        for (Offer o : jdbc.query("""
                SELECT id, offer_hold_id FROM waitlist_entry WHERE status = 'OFFERED' AND offer_expires_at <= ?
                ORDER BY id LIMIT 500""", (rs, i) -> new Offer(rs.getLong(1), (Long) rs.getObject(2, Long.class)), now)) {
            if (jdbc.update("""
                    UPDATE waitlist_entry SET status = 'EXPIRED', ended_at = ? WHERE id = ? AND status = 'OFFERED'""",
                    now, o.id()) == 1 && o.holdId() != null) {
                booking.release(o.holdId());
                log.info("Waitlist {}: offer not confirmed in time, the place goes to the next", o.id());
            }
        }
        int offers = 0;
        for (long service : jdbc.queryForList(
                "SELECT DISTINCT service_id FROM waitlist_entry WHERE status = 'WAITING'", Long.class)) {
            offers += offerFreePlaces(service, now);
        }
        return offers;
    }

    private record Waiting(long id, LocalDate from, LocalDate until, String phone) {
    }

    private int offerFreePlaces(long serviceId, LocalDateTime now) {
        String pools = PHONE.pools().stream().map(p -> "'" + p.name() + "'").collect(Collectors.joining(", "));
        int offers = 0;
        List<Waiting> queue = jdbc.query("""
                SELECT id, from_date, until_date, sms_phone FROM waitlist_entry
                WHERE service_id = ? AND status = 'WAITING' ORDER BY id LIMIT 200""",
                (rs, i) -> new Waiting(rs.getLong(1), rs.getObject(2, LocalDate.class),
                        rs.getObject(3, LocalDate.class), rs.getString(4)), serviceId);
        for (Waiting w : queue) {
            List<Long> free = jdbc.queryForList("""
                    SELECT sl.id FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id
                    WHERE sl.service_id = ? AND sl.slot_date BETWEEN ? AND ? AND sl.starts_at > ?
                      AND q.pool IN (%s) AND q.opens_at <= ? AND q.closes_at > ? AND q.held + q.booked < q.capacity
                    ORDER BY sl.starts_at LIMIT 5""".formatted(pools), Long.class, serviceId, w.from(), w.until(),
                    now, now, now);
            if (free.isEmpty()) {
                continue; // nothing in this one's window; the next one waiting may have a wider one
            }
            boolean offered = false;
            for (long slot : free) {
                HoldOutcome h = booking.holdFor(slot, PHONE, props.offerTtl());
                if (h instanceof HoldOutcome.Held held) {
                    offered = offer(w, held, now);
                    if (!offered) {
                        booking.release(held.holdId()); // another node offered this one meanwhile
                    }
                    break;
                }
            }
            if (offered) {
                offers++;
            } else {
                break; // the places went to others meanwhile
            }
        }
        return offers;
    }

    private boolean offer(Waiting w, HoldOutcome.Held held, LocalDateTime now) {
        String code = Integer.toString(100000 + random.nextInt(900000));
        LocalDateTime expires = held.expiresAt();
        Boolean done = tx.execute(status -> {
            if (jdbc.update("""
                    UPDATE waitlist_entry SET status = 'OFFERED', offer_hold_id = ?, offer_code = ?, offered_at = ?,
                      offer_expires_at = ? WHERE id = ? AND status = 'WAITING'""", held.holdId(), code, now, expires,
                    w.id()) != 1) {
                return false;
            }
            var place = jdbc.queryForMap("""
                    SELECT f.name AS facility_name, s.name AS service_name, sl.starts_at, sl.ends_at
                    FROM slot sl JOIN service s ON s.id = sl.service_id JOIN facility f ON f.id = s.facility_id
                    WHERE sl.id = ?""", held.slotId());
            events.publishEvent(new BookingEvents.WaitlistOffered(w.id(), w.phone(),
                    (String) place.get("facility_name"), (String) place.get("service_name"),
                    ((java.sql.Timestamp) place.get("starts_at")).toLocalDateTime(),
                    ((java.sql.Timestamp) place.get("ends_at")).toLocalDateTime(), code, expires));
            return true;
        });
        if (Boolean.TRUE.equals(done)) {
            log.info("Waitlist {}: place in slot {} held until {} and offered to {} (code {})", w.id(), held.slotId(),
                    expires, PhoneNumber.mask(w.phone()), Booking.maskCode(code));
            return true;
        }
        return false;
    }

    /**
     * A reply from {@code phone} with an offer's code: books the held place for the one who waited. Only the
     * phone the offer went to, only while the offer lasts, only once (a second reply, or one racing it, is
     * NOT_ACTIVE).
     */
    public BookingOutcome confirmByReply(String phone, String code) {
        String p = PhoneNumber.normalise(phone);
        if (p == null || p.isEmpty() || code == null || !code.matches("\\d{6}")) {
            return new BookingOutcome.Refused(Refusal.NOT_FOUND);
        }
        LocalDateTime now = LocalDateTime.now(clock);
        record Entry(long id, long holdId, String hash, String masked, int age, LocalDate on, String callingNumber,
                LocalDateTime expires, String status) {
        }
        Optional<Entry> found = jdbc.query("""
                SELECT id, offer_hold_id, patient_hash, patient_masked, patient_age, age_on, calling_number,
                       offer_expires_at, status
                FROM waitlist_entry WHERE sms_phone = ? AND offer_code = ? ORDER BY id DESC LIMIT 1""",
                (rs, i) -> new Entry(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                        rs.getObject(6, LocalDate.class), rs.getString(7),
                        rs.getObject(8, LocalDateTime.class), rs.getString(9)), p, code.trim()).stream().findFirst();
        if (found.isEmpty()) {
            return new BookingOutcome.Refused(Refusal.NOT_FOUND);
        }
        Entry e = found.get();
        if (!"OFFERED".equals(e.status())) {
            return new BookingOutcome.Refused("EXPIRED".equals(e.status()) ? Refusal.HOLD_EXPIRED : Refusal.NOT_ACTIVE);
        }
        if (!e.expires().isAfter(now)) {
            return new BookingOutcome.Refused(Refusal.HOLD_EXPIRED);
        }
        // the one step that lets exactly one reply go on
        if (jdbc.update("""
                UPDATE waitlist_entry SET status = 'CONFIRMING' WHERE id = ? AND status = 'OFFERED'
                  AND offer_expires_at > ?""", e.id(), now) != 1) {
            return new BookingOutcome.Refused(Refusal.NOT_ACTIVE);
        }
        BookingOutcome out;
        try {
            out = booking.confirmWaiting(new BookingRequest(e.holdId(), null, p, List.of(), e.callingNumber(), PHONE,
                    "waitlist:" + e.id(), null), new BookingService.PatientFacts(e.hash(), e.masked(), e.age(), e.on()));
        } catch (RuntimeException ex) {
            jdbc.update("UPDATE waitlist_entry SET status = 'OFFERED' WHERE id = ? AND status = 'CONFIRMING'", e.id());
            throw ex;
        }
        if (out instanceof BookingOutcome.Booked b) {
            jdbc.update("UPDATE waitlist_entry SET status = 'BOOKED', booking_id = ?, ended_at = ? WHERE id = ?",
                    b.booking().id(), now, e.id());
            log.info("Waitlist {}: confirmed by reply, booking {}", e.id(), b.booking().id());
        } else {
            // the rules said no (e.g. booked that day meanwhile): the place goes to the next one waiting
            jdbc.update("UPDATE waitlist_entry SET status = 'EXPIRED', ended_at = ? WHERE id = ?", now, e.id());
            booking.release(e.holdId());
            log.info("Waitlist {}: reply refused ({}), the place goes to the next", e.id(),
                    ((BookingOutcome.Refused) out).reason());
            sweepQuietly();
        }
        return out;
    }

    /** A place held for someone waiting, while the offer lasts (issue 18: the outbound call that offers it). */
    public record Offer(long entryId, Alternatives.Alternative place, LocalDateTime expiresAt, String smsPhone,
            String callingNumber) {
    }

    public Optional<Offer> offer(long entryId) {
        LocalDateTime now = LocalDateTime.now(clock);
        return jdbc.query("""
                SELECT sl.id, sl.service_id, sl.slot_date, cs.period, sl.starts_at, sl.ends_at, q.pool,
                       s.facility_id, f.name, s.name, w.offer_expires_at, w.sms_phone, w.calling_number
                FROM waitlist_entry w JOIN hold h ON h.id = w.offer_hold_id JOIN quota_pool q ON q.id = h.pool_id
                JOIN slot sl ON sl.id = h.slot_id JOIN clinic_session cs ON cs.id = sl.session_id
                JOIN service s ON s.id = sl.service_id JOIN facility f ON f.id = s.facility_id
                WHERE w.id = ? AND w.status = 'OFFERED' AND w.offer_expires_at > ?""",
                (rs, i) -> new Offer(entryId, new Alternatives.Alternative(new SlotOffer(rs.getLong(1), rs.getLong(2),
                        rs.getObject(3, LocalDate.class), Period.valueOf(rs.getString(4)),
                        rs.getObject(5, LocalDateTime.class), rs.getObject(6, LocalDateTime.class),
                        Pool.valueOf(rs.getString(7)), 1), rs.getLong(8), rs.getString(9), rs.getString(10), true),
                        rs.getObject(11, LocalDateTime.class), rs.getString(12), rs.getString(13)), entryId, now)
                .stream().findFirst();
    }

    /**
     * Key 1 in the outbound call that offers the place: the same as the reply with the offer's code
     * ({@link #confirmByReply}), for the entry the gateway called about.
     */
    public BookingOutcome confirmOffer(long entryId) {
        var found = jdbc.query("SELECT sms_phone, offer_code FROM waitlist_entry WHERE id = ? AND status = 'OFFERED'",
                (rs, i) -> new String[] {rs.getString(1), rs.getString(2)}, entryId).stream().findFirst();
        if (found.isEmpty()) {
            return new BookingOutcome.Refused(Refusal.NOT_ACTIVE);
        }
        return confirmByReply(found.get()[0], found.get()[1]);
    }

    /**
     * Key 2 in that call: the person does not want the place (the entry LEFT the list); it goes back and to the next one waiting. Whether
     * the offer was still open.
     */
    public boolean decline(long entryId) {
        LocalDateTime now = LocalDateTime.now(clock);
        Long hold = jdbc.query("SELECT offer_hold_id FROM waitlist_entry WHERE id = ? AND status = 'OFFERED'",
                (rs, i) -> (Long) rs.getObject(1, Long.class), entryId).stream().findFirst().orElse(null);
        if (jdbc.update("UPDATE waitlist_entry SET status = 'LEFT', ended_at = ? WHERE id = ? AND status = 'OFFERED'",
                now, entryId) != 1) {
            return false;
        }
        if (hold != null) {
            booking.release(hold);
        }
        log.info("Waitlist {}: offer declined on the telephone, the place goes to the next", entryId);
        sweepQuietly();
        return true;
    }

    /** How many days ahead, from today, a caller joining now waits for. */
    public int windowDays() {
        return props.window();
    }

    /** An entry's status (tests, the console). */
    public Optional<String> status(long entryId) {
        return jdbc.queryForList("SELECT status FROM waitlist_entry WHERE id = ?", String.class, entryId).stream()
                .findFirst();
    }
}
