package org.hotline.booking;

import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Booking.BookingStatus;

/** A move of a booking to another slot in one transaction ({@link BookingService#move}). */
@Component
class Moves {

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
    private final Confirmations confirmations;

    Moves(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingProperties props,
            ApplicationEventPublisher events, BookingMetrics metrics, BookingRetry retry, Eligibility eligibility,
            Holds holds, PoolRows pools, BookingQueries queries, Confirmations confirmations) {
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
        this.confirmations = confirmations;
    }

    private volatile java.util.function.Consumer<Booking> placeFreed = b -> { };

    /** Told, inside a move's transaction, of the place the old booking gave back ({@link Waitlist}). */
    void onPlaceFreed(java.util.function.Consumer<Booking> hook) {
        this.placeFreed = hook;
    }

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
    MoveOutcome move(MoveRequest req) {
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
            String patientMasked, int patientAge, LocalDate date, Long referringFacilityId, String cancelReason) {
    }

    /** A pool of the target slot as the move chooses it: the place, and its room and window now. */
    private record Candidate(Confirmations.Place place, int free, LocalDateTime opens, LocalDateTime closes) {
    }

    /** Taken from a pool that had room when the move chose it but not when it took it: choose again. */
    private static final class PlaceGone extends RuntimeException {
        PlaceGone() {
            super("place gone", null, false, false);
        }
    }

    private MoveOutcome moveOnce(MoveRequest req) {
        Optional<Booking> found = queries.findById(req.bookingId());
        if (found.isEmpty()) {
            return new MoveOutcome.Refused(Refusal.NOT_FOUND, null, null);
        }
        Booking old = found.get();
        if (req.requesterPhone() != null && !queries.isTiedTo(old.id(), req.requesterPhone())) {
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
                Booking[] moved = confirmations.withFreshCode(() -> retry.run("move", () -> tx.execute(
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
        return refusedMove(holds.whyNoPlace(req.slotId(), pools, now()), null, old.id());
    }

    /** Nothing changed: the refusal, with the booking the patient still has (the asker may see it). */
    private MoveOutcome.Refused refusedMove(Refusal reason, LocalDate earliest, long bookingId) {
        Booking standing = reason == Refusal.NOT_FOUND ? null
                : queries.findById(bookingId).filter(b -> b.status() == BookingStatus.ACTIVE).orElse(null);
        return new MoveOutcome.Refused(reason, earliest, standing);
    }

    /** The first of {@code pools} of the slot that is open and has room now, or null. */
    private Candidate choosePool(long slotId, List<Pool> pools, LocalDateTime now) {
        List<Candidate> all = jdbc.query("SELECT " + Confirmations.Place.COLUMNS + """
                , q.capacity - q.held - q.booked, q.opens_at, q.closes_at
                FROM quota_pool q""" + " " + Confirmations.Place.JOINS + " WHERE q.slot_id = ?",
                (rs, i) -> new Candidate(Confirmations.Place.of(rs), rs.getInt(13), rs.getObject(14, LocalDateTime.class),
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
    private Booking[] moveInTx(MoveRequest req, Confirmations.Place target, ResidentId givenId, Channel bookingChannel,
            boolean asBooked) {
        LocalDateTime now = now();
        // the first lock: the old booking
        MovingRow row = jdbc.query("""
                SELECT status, pool_id, slot_starts_at, patient_hash, patient_masked, patient_age, slot_date,
                       referring_facility_id, cancel_reason
                FROM booking WHERE id = ? FOR UPDATE""", rs -> rs.next()
                ? new MovingRow(BookingStatus.valueOf(rs.getString(1)), rs.getLong(2),
                        rs.getObject(3, LocalDateTime.class), rs.getString(4), rs.getString(5), rs.getInt(6),
                        rs.getObject(7, LocalDate.class), rs.getObject(8, Long.class), rs.getString(9))
                : null, req.bookingId());
        if (row == null) {
            throw new RefusedException(Refusal.NOT_FOUND, null);
        }
        if (givenId != null && !hash.of(givenId.value()).equals(row.patientHash())) {
            throw new RefusedException(Refusal.NOT_ALLOWED, null); // the ID given is not this booking's patient
        }
        // 停诊 (SessionCancellations): a booking the hospital cancelled moves by the patient's SMS reply to the
        // slice offered; it is already cancelled and its place closed, so nothing is cancelled or given back
        boolean reinstating = asBooked && row.status() == BookingStatus.CANCELLED
                && SessionCancellations.HOSPITAL.equals(row.cancelReason());
        if (row.status() != BookingStatus.ACTIVE && !reinstating) {
            throw new RefusedException(Refusal.NOT_ACTIVE, null);
        }
        if (!reinstating && now.isAfter(row.startsAt().minus(props.cancelCutoff()))) {
            throw new RefusedException(Refusal.CANCEL_TOO_LATE, null);
        }
        if (!bookingChannel.mayBook(target.pool())) {
            throw new RefusedException(Refusal.POOL_NOT_FOR_CHANNEL, null);
        }
        Long referring = asBooked ? row.referringFacilityId() : req.referringFacilityId();
        if (target.pool() == Pool.COMMUNITY) {
            eligibility.requireCommunityReferral(referring);
        }
        if (!reinstating) {
            jdbc.update("UPDATE booking SET status = 'CANCELLED', cancelled_at = ?, cancel_channel = ? WHERE id = ?",
                    now, req.channel().name(), req.bookingId());
        }
        Booking cancelled = queries.findById(req.bookingId()).orElseThrow();
        if (!reinstating) {
            events.publishEvent(new BookingEvents.BookingCancelled(cancelled, req.channel(), req.context()));
        }

        Patient patient = givenId != null ? Patient.of(givenId, hash)
                : new Patient(row.patientHash(), row.patientMasked(), null, row.patientAge(), row.date());
        Booking moved = confirmations.insertBooking(new Confirmations.NewBooking(target, patient, cancelled.smsPhone(), cancelled.familyPhones(),
                cancelled.callingNumber(), bookingChannel, asBooked ? cancelled.actor() : req.actor(), referring,
                null, req.context()), now);

        // last: the two hot rows, in id order
        if (reinstating) {
            if (!pools.takeBooked(target.poolId(), now)) {
                throw new PlaceGone();
            }
        } else if (target.poolId() != row.poolId()) {
            boolean newFirst = target.poolId() < row.poolId();
            if (!newFirst) {
                pools.giveBack(row.poolId());
            }
            if (!pools.takeBooked(target.poolId(), now)) {
                throw new PlaceGone();
            }
            if (newFirst) {
                pools.giveBack(row.poolId());
            }
            // as a cancellation's: the old place is held for the waitlist's first in this same transaction, under
            // the pool row's lock, so nobody books it between this commit and the next sweep (issue 16)
            placeFreed.accept(cancelled);
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


    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
