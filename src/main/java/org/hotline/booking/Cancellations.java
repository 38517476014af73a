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
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Booking.BookingStatus;

/** The end of a booking: cancelled ({@link BookingService#cancel}) or checked in ({@link BookingService#checkIn}). */
@Component
class Cancellations {

    private static final Logger log = LoggerFactory.getLogger(BookingService.class);

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final BookingProperties props;
    private final ApplicationEventPublisher events;
    private final BookingMetrics metrics;
    private final BookingRetry retry;
    private final PoolRows pools;
    private final BookingQueries queries;

    Cancellations(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, BookingProperties props,
            ApplicationEventPublisher events, BookingMetrics metrics, BookingRetry retry, PoolRows pools,
            BookingQueries queries) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.props = props;
        this.events = events;
        this.metrics = metrics;
        this.retry = retry;
        this.pools = pools;
        this.queries = queries;
    }

    private volatile java.util.function.Consumer<Booking> placeFreed = b -> { };

    /** Told, inside a cancellation's transaction, of the place it gave back ({@link Waitlist}). */
    void onPlaceFreed(java.util.function.Consumer<Booking> hook) {
        this.placeFreed = hook;
    }

    // ---------------------------------------------------------------- cancel

    /**
     * Cancels an active booking; the place goes back to the pool it came from.
     *
     * @param requesterPhone for {@link Channel#SMS_REPLY}: the number that replied, which must be tied to the booking
     */
    CancelOutcome cancel(String code, Channel channel, String requesterPhone, String actor) {
        Optional<Booking> b = queries.findActiveByCode(code);
        if (b.isEmpty()) {
            return new CancelOutcome.Refused(Refusal.NOT_FOUND);
        }
        return cancel(b.get().id(), channel, requesterPhone, actor);
    }

    CancelOutcome cancel(long bookingId, Channel channel, String requesterPhone, String actor) {
        return cancel(bookingId, channel, requesterPhone, actor, null);
    }

    /** As {@link #cancel(long, Channel, String, String)}, with a context for the event's listeners. */
    CancelOutcome cancel(long bookingId, Channel channel, String requesterPhone, String actor,
            BookingEvents.Context context) {
        LocalDateTime now = now();
        try {
            Booking cancelled = retry.run("cancel", () -> tx.execute(status -> {
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
                if (channel == Channel.SMS_REPLY && !queries.isTiedTo(bookingId, requesterPhone)) {
                    throw new RefusedException(Refusal.NOT_ALLOWED, null);
                }
                jdbc.update("""
                        UPDATE booking SET status = 'CANCELLED', cancelled_at = ?, cancel_channel = ? WHERE id = ?""",
                        now, channel.name(), bookingId);
                Booking b = queries.findById(bookingId).orElseThrow();
                events.publishEvent(new BookingEvents.BookingCancelled(b, channel, context));
                // last: the hot row
                pools.giveBack(row.poolId());
                // the waitlist's first gets the freed place held in this same transaction, under the pool row's
                // lock: nobody can book it in between (issue 16)
                placeFreed.accept(b);
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
    CheckInOutcome checkIn(String code, long facilityId, String actor) {
        String c = code == null ? "" : code.trim();
        if (!c.matches("\\d{6}")) {
            return new CheckInOutcome.Refused(CheckInOutcome.Reason.NOT_FOUND, null);
        }
        LocalDate today = now().toLocalDate();
        Integer done = retry.run("check-in", () -> tx.execute(s -> jdbc.update("""
                UPDATE booking SET status = 'ATTENDED' WHERE active_code = ? AND facility_id = ? AND slot_date = ?""",
                c, facilityId, today)));
        if (done != null && done == 1) {
            Booking b = queries.query(" WHERE b.code = ? AND b.facility_id = ? AND b.slot_date = ? AND b.status = 'ATTENDED'"
                    + " ORDER BY b.id DESC", c, facilityId, today).get(0);
            log.info("Checked in {} (code {}) at facility {} by {}", b.id(), Booking.maskCode(b.code()), facilityId,
                    actor);
            return new CheckInOutcome.CheckedIn(b);
        }
        Optional<Booking> active = queries.findActiveByCode(c);
        if (active.isPresent()) {
            return new CheckInOutcome.Refused(active.get().facilityId() != facilityId
                    ? CheckInOutcome.Reason.OTHER_FACILITY : CheckInOutcome.Reason.NOT_TODAY, active.get());
        }
        // not active: today's booking here with this code, checked in already, cancelled or a no-show
        List<Booking> here = queries.query(" WHERE b.code = ? AND b.facility_id = ? AND b.slot_date = ? ORDER BY b.id DESC",
                c, facilityId, today);
        if (here.isEmpty()) {
            return new CheckInOutcome.Refused(CheckInOutcome.Reason.NOT_FOUND, null);
        }
        Booking b = here.get(0);
        return new CheckInOutcome.Refused(b.status() == BookingStatus.ATTENDED ? CheckInOutcome.Reason.ALREADY_CHECKED_IN
                : CheckInOutcome.Reason.NOT_ACTIVE, b);
    }


    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
