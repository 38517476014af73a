package org.hotline.booking;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Slots published by a hospital system (the FHIR door, module {@code his}): a slot is made or its quota per pool
 * changed, never below what its pool has held and booked; a slot is withdrawn (every pool to 0) only while nothing
 * in it is held or booked. Refusals say why in words a HIS operator can act on. Each call is one transaction that
 * locks the slot's pool rows (in id order) before it reads their counts, so a booking racing a shrink either lands
 * first and is counted, or waits and finds the new capacity.
 *
 * <p>A new slot joins the service's session of its part of the day (made or widened as needed); its ONSITE pool is
 * the desk's from the start of the day, its COMMUNITY and PUBLIC pools start {@link QuotaPools#NOT_RELEASED}: the
 * release module plans their opening by the facility's policy.
 */
@Component
public class SlotPublishing {

    /** A pool's counts. */
    public record PoolState(int capacity, int held, int booked) {
        public int taken() {
            return held + booked;
        }
    }

    /** A slot as a hospital system sees it. */
    public record SlotState(long slotId, long serviceId, long facilityId, LocalDateTime startsAt,
            LocalDateTime endsAt, Map<Pool, PoolState> pools) {

        public int capacity() {
            return pools.values().stream().mapToInt(PoolState::capacity).sum();
        }

        public int free() {
            return pools.values().stream().mapToInt(p -> p.capacity() - p.taken()).sum();
        }

        public int taken() {
            return pools.values().stream().mapToInt(PoolState::taken).sum();
        }
    }

    /** What a publication did. */
    public sealed interface Outcome {
        /** Made ({@code created}) or changed (or left as it was). */
        record Done(SlotState slot, boolean created) implements Outcome {
        }

        /** Refused, with why; {@code current} is the slot as it stays (null when there is none). */
        record Conflict(String why, SlotState current) implements Outcome {
        }
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;

    public SlotPublishing(JdbcTemplate jdbc, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.tx = tx;
    }

    /**
     * Makes the slot of {@code serviceId} starting at {@code start}, or sets its pools' capacities (pools not named
     * keep theirs). A capacity below what the pool holds and has booked, a changed end while places are taken, a
     * slot overlapping another of the service, or COMMUNITY quota away from a district hospital is refused.
     */
    public Outcome publish(long serviceId, LocalDateTime start, LocalDateTime end, Map<Pool, Integer> capacity) {
        if (!end.isAfter(start)) {
            return new Outcome.Conflict("the slot ends before it starts", null);
        }
        if (!start.toLocalDate().equals(end.minusNanos(1).toLocalDate())) {
            return new Outcome.Conflict("a slot lies within one day", null);
        }
        for (var e : capacity.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0 || e.getValue() > 10_000) {
                return new Outcome.Conflict("quota of pool " + e.getKey() + " must be 0..10000", null);
            }
        }
        for (int attempt = 0;; attempt++) {
            try {
                return tx.execute(s -> publishInTx(serviceId, start, end, capacity));
            } catch (ConflictException e) {
                return e.conflict;
            } catch (DuplicateKeyException e) {
                if (attempt >= 2) {
                    throw e;
                }
                // another publication made the same slot at the same moment: update it instead
            }
        }
    }

    /** Withdraws a slot (every pool to 0): refused while anything in it is held or booked. */
    public Outcome withdraw(long slotId) {
        return tx.execute(s -> {
            Optional<SlotState> locked = lock(slotId);
            if (locked.isEmpty()) {
                return new Outcome.Conflict("no such slot", null);
            }
            SlotState st = locked.get();
            if (st.taken() > 0) {
                return new Outcome.Conflict("slot " + slotId + " has " + st.taken()
                        + " places booked or held: it stays (cancel its bookings first)", st);
            }
            jdbc.update("UPDATE quota_pool SET capacity = 0 WHERE slot_id = ?", slotId);
            return new Outcome.Done(slot(slotId).orElseThrow(), false);
        });
    }

    public Optional<SlotState> slot(long slotId) {
        return states(" WHERE sl.id = ?", slotId).stream().findFirst();
    }

    public Optional<SlotState> slotAt(long serviceId, LocalDateTime start) {
        return states(" WHERE sl.service_id = ? AND sl.starts_at = ?", serviceId, start).stream().findFirst();
    }

    /** The slots of these facilities' services starting in [from, to), by service and start. */
    public List<SlotState> slots(List<Long> facilityIds, Long serviceId, LocalDateTime from, LocalDateTime to) {
        if (facilityIds.isEmpty()) {
            return List.of();
        }
        StringBuilder where = new StringBuilder(" WHERE s.facility_id IN ("
                + String.join(",", facilityIds.stream().map(String::valueOf).toList()) + ")");
        List<Object> args = new ArrayList<>();
        if (serviceId != null) {
            where.append(" AND sl.service_id = ?");
            args.add(serviceId);
        }
        if (from != null) {
            where.append(" AND sl.starts_at >= ?");
            args.add(from);
        }
        if (to != null) {
            where.append(" AND sl.starts_at < ?");
            args.add(to);
        }
        return states(where.toString(), args.toArray());
    }

    private Outcome publishInTx(long serviceId, LocalDateTime start, LocalDateTime end, Map<Pool, Integer> capacity) {
        Map<String, Object> svc = jdbc.query("""
                SELECT s.facility_id, f.kind FROM service s JOIN facility f ON f.id = s.facility_id WHERE s.id = ?""",
                rs -> rs.next() ? Map.<String, Object>of("facility", rs.getLong(1), "kind", rs.getString(2)) : null,
                serviceId);
        if (svc == null) {
            return new Outcome.Conflict("no such service", null);
        }
        if (capacity.getOrDefault(Pool.COMMUNITY, 0) > 0
                && !FacilityKind.DISTRICT_HOSPITAL.name().equals(svc.get("kind"))) {
            return new Outcome.Conflict("COMMUNITY quota is kept only at district hospitals", null);
        }
        Long slotId = jdbc.query("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?",
                rs -> rs.next() ? rs.getLong(1) : null, serviceId, start);
        if (slotId == null) {
            return create(serviceId, start, end, capacity);
        }
        SlotState st = lock(slotId).orElseThrow();
        if (!st.endsAt().equals(end)) {
            if (st.taken() > 0) {
                return new Outcome.Conflict("slot " + slotId + " has " + st.taken()
                        + " places booked or held: its end stays " + st.endsAt(), st);
            }
            Optional<String> overlap = overlap(serviceId, start, end, slotId);
            if (overlap.isPresent()) {
                return new Outcome.Conflict(overlap.get(), st);
            }
            jdbc.update("UPDATE slot SET ends_at = ? WHERE id = ?", end, slotId);
        }
        List<String> why = new ArrayList<>();
        for (var e : capacity.entrySet()) {
            PoolState p = st.pools().get(e.getKey());
            if (p != null && e.getValue() < p.taken()) {
                why.add("pool " + e.getKey() + " has " + p.booked() + " booked and " + p.held() + " held: capacity "
                        + e.getValue() + " is below them");
            }
        }
        if (!why.isEmpty()) {
            throw new ConflictException(String.join("; ", why), st);
        }
        for (var e : capacity.entrySet()) {
            PoolState p = st.pools().get(e.getKey());
            if (p == null) {
                insertPool(slotId, e.getKey(), e.getValue(), start, end);
            } else if (p.capacity() != e.getValue()) {
                jdbc.update("UPDATE quota_pool SET capacity = ? WHERE slot_id = ? AND pool = ?", e.getValue(), slotId,
                        e.getKey().name());
            }
        }
        return new Outcome.Done(slot(slotId).orElseThrow(), false);
    }

    private Outcome create(long serviceId, LocalDateTime start, LocalDateTime end, Map<Pool, Integer> capacity) {
        Optional<String> overlap = overlap(serviceId, start, end, null);
        if (overlap.isPresent()) {
            return new Outcome.Conflict(overlap.get(), null);
        }
        Period period = start.getHour() < 12 ? Period.MORNING : start.getHour() < 18 ? Period.AFTERNOON : Period.EVENING;
        jdbc.update("""
                INSERT INTO clinic_session (service_id, session_date, period, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE starts_at = LEAST(starts_at, VALUES(starts_at)),
                  ends_at = GREATEST(ends_at, VALUES(ends_at))""", serviceId, start.toLocalDate(), period.name(), start,
                end);
        long sessionId = jdbc.queryForObject(
                "SELECT id FROM clinic_session WHERE service_id = ? AND session_date = ? AND period = ?", Long.class,
                serviceId, start.toLocalDate(), period.name());
        jdbc.update("INSERT INTO slot (session_id, service_id, slot_date, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
                sessionId, serviceId, start.toLocalDate(), start, end);
        long slotId = jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class,
                serviceId, start);
        for (Pool p : Pool.values()) {
            insertPool(slotId, p, capacity.getOrDefault(p, 0), start, end);
        }
        return new Outcome.Done(slot(slotId).orElseThrow(), true);
    }

    private void insertPool(long slotId, Pool pool, int capacity, LocalDateTime start, LocalDateTime end) {
        // as QuotaPools.addSession: ONSITE is the desk's for the day; the phone pools wait for their release
        LocalDateTime opens = pool == Pool.ONSITE ? start.toLocalDate().atStartOfDay() : QuotaPools.NOT_RELEASED;
        LocalDateTime closes = pool == Pool.ONSITE ? end : start;
        jdbc.update("INSERT INTO quota_pool (slot_id, pool, capacity, opens_at, closes_at) VALUES (?, ?, ?, ?, ?)",
                slotId, pool.name(), capacity, opens, closes);
    }

    private Optional<String> overlap(long serviceId, LocalDateTime start, LocalDateTime end, Long except) {
        List<LocalDateTime> other = jdbc.queryForList("""
                SELECT starts_at FROM slot WHERE service_id = ? AND starts_at < ? AND ends_at > ? AND id <> ?
                ORDER BY starts_at LIMIT 1""", LocalDateTime.class, serviceId, end, start, except == null ? -1 : except);
        return other.isEmpty() ? Optional.empty()
                : Optional.of("overlaps the slot of this schedule starting " + other.get(0));
    }

    /** The slot with its pool rows locked (id order, as QuotaPools.moveUnused takes them). */
    private Optional<SlotState> lock(long slotId) {
        jdbc.queryForList("SELECT id FROM quota_pool WHERE slot_id = ? ORDER BY id FOR UPDATE", Long.class, slotId);
        return slot(slotId);
    }

    private List<SlotState> states(String where, Object... args) {
        List<SlotState> out = new ArrayList<>();
        jdbc.query("""
                SELECT sl.id, sl.service_id, s.facility_id, sl.starts_at, sl.ends_at, q.pool, q.capacity, q.held, q.booked
                FROM slot sl JOIN service s ON s.id = sl.service_id LEFT JOIN quota_pool q ON q.slot_id = sl.id"""
                + where + " ORDER BY sl.service_id, sl.starts_at, sl.id, q.pool", rs -> {
                    long id = rs.getLong(1);
                    SlotState last = out.isEmpty() ? null : out.get(out.size() - 1);
                    if (last == null || last.slotId() != id) {
                        last = new SlotState(id, rs.getLong(2), rs.getLong(3), rs.getObject(4, LocalDateTime.class),
                                rs.getObject(5, LocalDateTime.class), new EnumMap<>(Pool.class));
                        out.add(last);
                    }
                    if (rs.getString(6) != null) {
                        last.pools().put(Pool.valueOf(rs.getString(6)),
                                new PoolState(rs.getInt(7), rs.getInt(8), rs.getInt(9)));
                    }
                }, args);
        return out;
    }

    /** Rolls the publication's transaction back and answers the conflict. */
    private static final class ConflictException extends RuntimeException {
        final Outcome.Conflict conflict;

        ConflictException(String why, SlotState current) {
            super(why, null, false, false);
            this.conflict = new Outcome.Conflict(why, current);
        }
    }
}
