package org.hotline.ivr;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.audit.AuditLog;
import org.hotline.booking.BookingService;
import org.hotline.booking.PhoneNumber;

/**
 * The phone menu's allowance of look-ups by booking code or resident ID, per calling number and day, across
 * calls and gateway nodes (table {@code phone_lookup_day}, the number as its keyed hash). A look-up takes one
 * from the allowance before it runs ({@link #take}) and gives it back when it found a booking the number may
 * manage ({@link #giveBack}), so what stays counted is the wrong ones, and concurrent calls cannot overrun the
 * limit. Counts every look-up by outcome ({@code hotline_ivr_lookups_total{outcome}}) and writes an audit row
 * ({@link AuditLog}, role {@code PHONE_MENU}, masked number) whenever a limit sends a caller to a person.
 */
public class PhoneLookups {

    private static final Logger log = LoggerFactory.getLogger(PhoneLookups.class);

    /** What came of a look-up or of asking for one; the metric's {@code outcome} tag. */
    enum Outcome {
        /** Found a booking this number may manage. */
        FOUND,
        /** Found nothing this number may manage (no such booking, or someone else's: the same to the caller). */
        NOT_FOUND,
        /** The wrong look-up that used up this call's allowance: handed to a person. */
        CALL_LIMIT,
        /** Refused before looking: this number used up today's allowance. */
        DAY_LIMIT,
        /** Refused: the number is withheld or unverified. */
        UNVERIFIED
    }

    private final JdbcTemplate jdbc;
    private final BookingService booking;
    private final LookupProperties props;
    private final Clock clock;
    private final MeterRegistry registry;
    private final AuditLog audit;
    /** The day this node last dropped earlier days' counts (they matter no more). */
    private final java.util.concurrent.atomic.AtomicReference<LocalDate> purged = new java.util.concurrent.atomic.AtomicReference<>();

    public PhoneLookups(JdbcTemplate jdbc, BookingService booking, LookupProperties props, Clock clock,
            MeterRegistry registry, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.booking = booking;
        this.props = props;
        this.clock = clock;
        this.registry = registry;
    }

    LookupProperties props() {
        return props;
    }

    /** Whether this number still has look-ups left today (a read; {@link #take} is the one that counts). */
    boolean allowedToday(String caller) {
        Integer used = jdbc.query("SELECT failures FROM phone_lookup_day WHERE caller_hash = ? AND day = ?",
                rs -> rs.next() ? rs.getInt(1) : 0, booking.hashOf(caller), LocalDate.now(clock));
        return used == null || used < props.failuresPerDay();
    }

    /** Takes one look-up from today's allowance; false when it is used up (nothing is taken then). */
    boolean take(String caller) {
        LocalDateTime now = LocalDateTime.now(clock);
        purgeBefore(now.toLocalDate());
        String hash = booking.hashOf(caller);
        jdbc.update("""
                INSERT INTO phone_lookup_day (caller_hash, day, failures, updated_at) VALUES (?, ?, 0, ?)
                ON DUPLICATE KEY UPDATE caller_hash = caller_hash""", hash, now.toLocalDate(), Timestamp.valueOf(now));
        return jdbc.update("""
                UPDATE phone_lookup_day SET failures = failures + 1, updated_at = ?
                WHERE caller_hash = ? AND day = ? AND failures < ?""", Timestamp.valueOf(now), hash,
                now.toLocalDate(), props.failuresPerDay()) == 1;
    }

    /** Once a day per node: yesterday's and older counts are dropped (they limit nothing and name numbers). */
    private void purgeBefore(LocalDate today) {
        LocalDate last = purged.get();
        if (today.equals(last) || !purged.compareAndSet(last, today)) {
            return;
        }
        try {
            int n = jdbc.update("DELETE FROM phone_lookup_day WHERE day < ?", today);
            log.debug("Dropped {} look-up counts of earlier days", n);
        } catch (RuntimeException e) {
            log.warn("Could not drop earlier days' look-up counts (tried again tomorrow): {}", e.toString());
        }
    }

    /** The look-up found a booking the number may manage: it does not count against the allowance. */
    void giveBack(String caller) {
        LocalDateTime now = LocalDateTime.now(clock);
        jdbc.update("""
                UPDATE phone_lookup_day SET failures = failures - 1, updated_at = ?
                WHERE caller_hash = ? AND day = ? AND failures > 0""", Timestamp.valueOf(now), booking.hashOf(caller),
                now.toLocalDate());
    }

    /** Counts one look-up (or refusal) by what came of it. */
    void count(Outcome outcome) {
        if (registry != null) {
            Counter.builder("hotline.ivr.lookups").tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                    .description("phone-menu look-ups by booking code or resident ID, and refusals to look up")
                    .register(registry).increment();
        }
    }

    /**
     * A limit sent this caller to a person: counted, logged (masked) and written to the audit trail so a
     * supervisor sees numbers that probe for codes.
     */
    void limited(String caller, String callId, Outcome why) {
        count(why);
        String masked = PhoneNumber.mask(caller);
        String detail = why == Outcome.CALL_LIMIT
                ? props.failuresPerCall() + " wrong booking codes or resident IDs in one call; handed to a person"
                : "today's " + props.failuresPerDay() + " wrong look-ups by booking code or resident ID are used up;"
                        + " handed to a person";
        log.warn("Look-ups by code or ID refused for {}: {}", masked, why);
        try {
            audit.record("phone:" + masked, "PHONE_MENU", "PHONE_LOOKUP", why.name(), null, null, null, null,
                    detail + " (call " + callId + ")");
        } catch (RuntimeException e) {
            // the caller still goes to a person; the metric and the log line above keep the event
            log.error("Could not write the audit row for a refused look-up: {}", e.toString());
        }
    }
}
