package org.hotline.release;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Facility;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.QuotaPools;
import org.hotline.release.BureauRules.Breach;
import org.hotline.release.ScheduleGenerator.WeeklyTemplate;

/**
 * Weekly rosters and release policies as the console edits them: checked against the bureau's rules where they
 * are set ({@link BureauRules}; an ADMIN may store a breach with a reason, recorded in {@code policy_override}),
 * and carried into the calendar at once. A roster change regenerates the service's future sessions through
 * {@link QuotaPools#reshapeSession}: a slot with bookings is never deleted nor shrunk below them.
 */
@Component
public class RosterAdmin {

    /** A stored roster line. */
    public record RosterLine(long serviceId, DayOfWeek day, String period, LocalTime starts, LocalTime ends,
            int slotMinutes, int onsite, int community, int pub) {
    }

    /** The answer to a change: stored (with the rules overridden, if any) or refused naming the rules. */
    public record Outcome(boolean stored, List<Breach> breaches, boolean overridden, Regenerated regenerated) {
        static Outcome refused(List<Breach> b) {
            return new Outcome(false, b, false, null);
        }
    }

    /** What a regeneration did to the future calendar of a service. */
    public record Regenerated(int sessionsAdded, int sessionsChanged, int sessionsRetired, int slotsAdded,
            int slotsRetired, int slotsKeptForBookings) {
    }

    /** A breach stored by an ADMIN with a reason. */
    public record Override(long id, long facilityId, Long serviceId, String subject, String rules, String detail,
            String reason, String username, LocalDateTime at, String facilityName, String serviceName) {
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final Catalogue catalogue;
    private final QuotaPools quotaPools;
    private final ScheduleGenerator generator;
    private final ReleasePolicies policies;
    private final ReleasePlan plan;
    private final ReleaseProperties props;
    private final BureauRules rules;
    private final Closures closures;

    public RosterAdmin(JdbcTemplate jdbc, PlatformTransactionManager txManager, Clock clock, Catalogue catalogue,
            QuotaPools quotaPools, ScheduleGenerator generator, ReleasePolicies policies, ReleasePlan plan,
            ReleaseProperties props, BureauRules rules, Closures closures) {
        this.jdbc = jdbc;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.clock = clock;
        this.catalogue = catalogue;
        this.quotaPools = quotaPools;
        this.generator = generator;
        this.policies = policies;
        this.plan = plan;
        this.props = props;
        this.rules = rules;
        this.closures = closures;
    }

    public List<RosterLine> lines(long serviceId) {
        return jdbc.query("""
                SELECT * FROM schedule_template WHERE service_id = ? ORDER BY day_of_week, starts_at""",
                (rs, i) -> new RosterLine(rs.getLong("service_id"), DayOfWeek.of(rs.getInt("day_of_week")),
                        rs.getString("period"), rs.getTime("starts_at").toLocalTime(),
                        rs.getTime("ends_at").toLocalTime(), rs.getInt("slot_minutes"), rs.getInt("onsite"),
                        rs.getInt("community"), rs.getInt("public_quota")), serviceId);
    }

    /** The rules this roster line would break at its facility. */
    public List<Breach> check(WeeklyTemplate t) {
        return rules.roster(facilityOf(t.serviceId()).kind(), t.onsite(), t.community(), t.pub());
    }

    /**
     * Stores a roster line and regenerates the service's future calendar. Refused when it breaks a bureau rule,
     * unless {@code overrideReason} is given and {@code mayOverride} (an ADMIN): then stored, and the override
     * recorded with who and why.
     */
    public Outcome save(WeeklyTemplate t, String overrideReason, String by, boolean mayOverride) {
        return save(t, overrideReason, by, mayOverride, o -> { });
    }

    /**
     * As {@link #save(WeeklyTemplate, String, String, boolean)}; {@code inTransaction} runs in the transaction that
     * stores the line (the console's audit row), with the outcome (regeneration not yet known).
     */
    public Outcome save(WeeklyTemplate t, String overrideReason, String by, boolean mayOverride,
            java.util.function.Consumer<Outcome> inTransaction) {
        Facility f = facilityOf(t.serviceId());
        List<Breach> breaches = rules.roster(f.kind(), t.onsite(), t.community(), t.pub());
        boolean override = !breaches.isEmpty();
        if (override && (!mayOverride || overrideReason == null || overrideReason.isBlank())) {
            return Outcome.refused(breaches);
        }
        tx.executeWithoutResult(s -> {
            generator.saveTemplate(t);
            if (override) {
                recordOverride(f.id(), t.serviceId(), "ROSTER", breaches, describe(t), overrideReason, by);
            }
            inTransaction.accept(new Outcome(true, breaches, override, null));
        });
        return new Outcome(true, breaches, override, regenerate(t.serviceId()));
    }

    /**
     * Stores roster lines in the caller's transaction (a bulk import, already checked with {@link #check} and allowed
     * by the caller), recording an override with {@code overrideReason} for each line that breaks a rule. The caller
     * then {@link #regenerate}s each service once, after its commit.
     */
    public void storeChecked(List<WeeklyTemplate> lines, String overrideReason, String by) {
        for (WeeklyTemplate t : lines) {
            List<Breach> breaches = check(t);
            if (!breaches.isEmpty()) {
                if (overrideReason == null || overrideReason.isBlank()) {
                    throw new IllegalStateException("roster line breaks " + breaches + " without an override");
                }
                recordOverride(facilityOf(t.serviceId()).id(), t.serviceId(), "ROSTER", breaches, describe(t),
                        overrideReason, by);
            }
            generator.saveTemplate(t);
        }
    }

    /** Removes a roster line; the future sessions it made keep their booked places and close to new bookings. */
    public Regenerated delete(long serviceId, DayOfWeek day, String period, Runnable inTransaction) {
        tx.executeWithoutResult(s -> {
            jdbc.update("DELETE FROM schedule_template WHERE service_id = ? AND day_of_week = ? AND period = ?",
                    serviceId, day.getValue(), period);
            inTransaction.run();
        });
        return regenerate(serviceId);
    }

    /**
     * Brings the service's future calendar (now to {@code horizon-days} ahead) to its roster: sessions of a line are
     * reshaped or added (closed days are skipped), future sessions that no line makes any more are retired. One
     * transaction per session, so a booking waits at most for one session's rows. Idempotent.
     */
    public Regenerated regenerate(long serviceId) {
        return regenerate(serviceId, false);
    }

    /**
     * @param oneTransaction the whole service in one transaction (a bulk import of a service nobody books yet: far
     *                       fewer commits); otherwise one per session, so a booking waits for one session at most
     */
    public Regenerated regenerate(long serviceId, boolean oneTransaction) {
        if (oneTransaction) {
            return JobRuns.retried(() -> tx.execute(st -> regenerateNow(serviceId)));
        }
        return regenerateNow(serviceId);
    }

    private Regenerated regenerateNow(long serviceId) {
        LocalDateTime now = LocalDateTime.now(clock);
        Facility f = facilityOf(serviceId);
        boolean district = f.kind() == FacilityKind.DISTRICT_HOSPITAL;
        ReleasePolicy p = policies.effective(serviceId);
        List<RosterLine> lines = lines(serviceId);
        int added = 0;
        int changed = 0;
        int retired = 0;
        int slotsAdded = 0;
        int slotsRetired = 0;
        int kept = 0;
        Set<String> made = new java.util.HashSet<>();
        LocalDate today = now.toLocalDate();
        for (int d = 0; d < props.horizonDays(); d++) {
            LocalDate date = today.plusDays(d);
            for (RosterLine l : lines) {
                if (l.day() != date.getDayOfWeek() || !date.atTime(l.starts()).isAfter(now)
                        || closures.closed(f.id(), serviceId, date, l.period())) {
                    continue;
                }
                made.add(date + "/" + l.period());
                int community = district ? l.community() : 0;
                int pub = district ? l.pub() : l.pub() + l.community();
                QuotaPools.Reshaped r = JobRuns.retried(() -> tx.execute(st -> {
                    QuotaPools.Reshaped x = quotaPools.reshapeSession(serviceId, date, l.period(),
                            date.atTime(l.starts()), date.atTime(l.ends()), l.slotMinutes(), l.onsite(), community,
                            pub, p::closes, now);
                    if (x.sessionId() != 0) {
                        plan.write(quotaPools.ofSession(x.sessionId()), p);
                    }
                    return x;
                }));
                if (r.created()) {
                    added++;
                } else {
                    changed++;
                }
                slotsAdded += r.created() ? r.added() : r.added();
                slotsRetired += r.retired();
                kept += r.keptForBookings();
            }
        }
        for (QuotaPools.SessionTaken s : quotaPools.sessionsAfter(serviceId, now)) {
            if (!made.contains(s.date() + "/" + s.period())
                    && !s.date().isAfter(today.plusDays(props.horizonDays() - 1))
                    && !closures.closed(f.id(), serviceId, s.date(), s.period())) {
                int taken = JobRuns.retried(() -> tx.execute(st -> quotaPools.retireSession(s.id(), now)));
                retired++;
                if (taken > 0) {
                    kept++;
                }
            }
        }
        return new Regenerated(added, changed, retired, slotsAdded, slotsRetired, kept);
    }

    /** The release policy stored for exactly this facility (service null) or service, or the effective one. */
    public ReleasePolicy policy(long facilityId, Long serviceId) {
        return policies.stored(facilityId, serviceId).orElseGet(() -> serviceId == null ? policies.defaults()
                : policies.effective(serviceId));
    }

    /** Whether the facility has a policy row of its own (else it follows the defaults). */
    public boolean storedPolicy(long facilityId) {
        return policies.stored(facilityId, null).isPresent();
    }

    /** The rules this policy would break at the facility. */
    public List<Breach> check(long facilityId, ReleasePolicy p) {
        return rules.policy(facility(facilityId).kind(), p);
    }

    /**
     * Stores a facility's (or one service's) release policy and re-plans the releases not yet carried out. Refused,
     * or stored with a recorded override, as {@link #save}.
     */
    public Outcome savePolicy(long facilityId, Long serviceId, ReleasePolicy p, String overrideReason, String by,
            boolean mayOverride) {
        return savePolicy(facilityId, serviceId, p, overrideReason, by, mayOverride, o -> { });
    }

    public Outcome savePolicy(long facilityId, Long serviceId, ReleasePolicy p, String overrideReason, String by,
            boolean mayOverride, java.util.function.Consumer<Outcome> inTransaction) {
        Facility f = facility(facilityId);
        if (serviceId != null && catalogue.service(serviceId).map(BookableService::facilityId).orElse(-1L) != facilityId) {
            throw new IllegalArgumentException("service of another facility");
        }
        List<Breach> breaches = rules.policy(f.kind(), p);
        boolean override = !breaches.isEmpty();
        if (override && (!mayOverride || overrideReason == null || overrideReason.isBlank())) {
            return Outcome.refused(breaches);
        }
        tx.executeWithoutResult(s -> {
            policies.save(facilityId, serviceId, p);
            if (override) {
                recordOverride(facilityId, serviceId, "POLICY", breaches, describe(p), overrideReason, by);
            }
            inTransaction.accept(new Outcome(true, breaches, override, null));
        });
        plan.replan(facilityId);
        return new Outcome(true, breaches, override, null);
    }

    public List<Override> overrides(Long facilityId) {
        return jdbc.query("SELECT * FROM policy_override" + (facilityId == null ? "" : " WHERE facility_id = ?")
                + " ORDER BY at DESC, id DESC LIMIT 500", (rs, i) -> {
                    long f = rs.getLong("facility_id");
                    Long svc = rs.getObject("service_id", Long.class);
                    return new Override(rs.getLong("id"), f, svc, rs.getString("subject"), rs.getString("rules"),
                            rs.getString("detail"), rs.getString("reason"), rs.getString("username"),
                            rs.getObject("at", LocalDateTime.class),
                            catalogue.facility(f).map(Facility::name).orElse(String.valueOf(f)),
                            svc == null ? "" : catalogue.service(svc).map(BookableService::name).orElse(String.valueOf(svc)));
                }, facilityId == null ? new Object[0] : new Object[] {facilityId});
    }

    private void recordOverride(long facilityId, Long serviceId, String subject, List<Breach> breaches, String detail,
            String reason, String by) {
        List<String> names = new ArrayList<>();
        for (Breach b : breaches) {
            names.add(b.rule().name());
        }
        jdbc.update("""
                INSERT INTO policy_override (facility_id, service_id, subject, rules, detail, reason, username, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""", facilityId, serviceId, subject, String.join(",", names),
                cut(detail), cut(reason.strip()), by, LocalDateTime.now(clock));
    }

    static String describe(WeeklyTemplate t) {
        return "周" + t.day().getValue() + " " + t.period() + " " + t.starts() + "–" + t.ends() + " 每 " + t.slotMinutes()
                + " 分钟：现场 " + t.onsite() + "，社区 " + t.community() + "，普通 " + t.pub();
    }

    static String describe(ReleasePolicy p) {
        return "普通号提前 " + p.publicDaysAhead() + " 天 " + p.publicOpensAt() + "，社区号提前 " + p.communityDaysAhead()
                + " 天 " + p.communityOpensAt() + "，停约提前 " + p.closeBefore().toMinutes() + " 分钟";
    }

    private static String cut(String s) {
        return s.length() > 500 ? s.substring(0, 500) : s;
    }

    private Facility facilityOf(long serviceId) {
        BookableService s = catalogue.service(serviceId).orElseThrow(() -> new IllegalArgumentException("no service"));
        return facility(s.facilityId());
    }

    private Facility facility(long facilityId) {
        return catalogue.facility(facilityId).orElseThrow(() -> new IllegalArgumentException("no facility"));
    }
}
