package org.hotline.release;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.CatalogueAdmin;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.QuotaPools;

/**
 * Creates sessions, slots and pools for the coming days from weekly templates (department rosters,
 * vaccine clinic sessions), and plans each pool's release from its policy. Idempotent: a session that
 * exists is left as it is, so the nightly job only adds the days that are missing.
 */
@Component
public class ScheduleGenerator {

    /**
     * One roster line: every {@code day} the service holds a session from {@code starts} to {@code ends},
     * cut into slots of {@code slotMinutes}, each with these quotas. COMMUNITY quota is a district
     * hospital's reserve; anywhere else it goes to PUBLIC.
     */
    public record WeeklyTemplate(long serviceId, DayOfWeek day, String period, LocalTime starts, LocalTime ends,
            int slotMinutes, int onsite, int community, int pub, LocalDate validFrom, LocalDate validUntil) {
        public WeeklyTemplate {
            if (!ends.isAfter(starts) || slotMinutes <= 0 || onsite < 0 || community < 0 || pub < 0) {
                throw new IllegalArgumentException("template needs a session that ends after it starts and quotas >= 0");
            }
        }

        public WeeklyTemplate(long serviceId, DayOfWeek day, String period, LocalTime starts, LocalTime ends,
                int slotMinutes, int onsite, int community, int pub) {
            this(serviceId, day, period, starts, ends, slotMinutes, onsite, community, pub, null, null);
        }

        boolean appliesOn(LocalDate date) {
            return date.getDayOfWeek() == day && (validFrom == null || !date.isBefore(validFrom))
                    && (validUntil == null || !date.isAfter(validUntil));
        }
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ReleasePolicies policies;
    private final ReleasePlan plan;
    private final ReleaseProperties props;
    private final QuotaPools quotaPools;
    private final CatalogueAdmin catalogue;
    private final Closures closures;

    public ScheduleGenerator(JdbcTemplate jdbc, PlatformTransactionManager txManager, ReleasePolicies policies, ReleasePlan plan,
            ReleaseProperties props, QuotaPools quotaPools, CatalogueAdmin catalogue, Closures closures) {
        this.quotaPools = quotaPools;
        this.catalogue = catalogue;
        this.closures = closures;
        this.jdbc = jdbc;
        this.tx = ReleaseTransactions.readCommitted(txManager);
        this.policies = policies;
        this.plan = plan;
        this.props = props;
    }

    /** Stores (or replaces) a roster line; days already generated keep their sessions. */
    public void saveTemplate(WeeklyTemplate t) {
        jdbc.update("""
                INSERT INTO schedule_template (service_id, day_of_week, period, starts_at, ends_at, slot_minutes,
                  onsite, community, public_quota, valid_from, valid_until)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE starts_at = VALUES(starts_at), ends_at = VALUES(ends_at),
                  slot_minutes = VALUES(slot_minutes), onsite = VALUES(onsite), community = VALUES(community),
                  public_quota = VALUES(public_quota), valid_from = VALUES(valid_from), valid_until = VALUES(valid_until)""",
                t.serviceId(), t.day().getValue(), t.period(), t.starts(), t.ends(), t.slotMinutes(), t.onsite(),
                t.community(), t.pub(), t.validFrom(), t.validUntil());
    }

    /** Keeps {@code hotline.release.horizon-days} days from {@code today} generated. */
    public int generateAhead(LocalDate today, ReleaseScope scope) {
        return generate(today, props.horizonDays(), scope);
    }

    /**
     * Adds the sessions, slots and pools the templates call for between {@code from} and
     * {@code from + days - 1} that do not exist yet.
     *
     * @return slots added
     */
    public int generate(LocalDate from, int days, ReleaseScope scope) {
        record Row(WeeklyTemplate t, long facilityId, boolean districtHospital) {
        }
        // where each service belongs is the booking core's: its catalogue says, for the facilities in scope
        Map<Long, CatalogueAdmin.ServiceHome> homes = catalogue.serviceHomes(scope.facilityIds());
        List<Row> templates = new ArrayList<>();
        jdbc.query("SELECT t.* FROM schedule_template t ORDER BY t.service_id, t.day_of_week, t.starts_at", rs -> {
            CatalogueAdmin.ServiceHome home = homes.get(rs.getLong("service_id"));
            if (home != null) {
                templates.add(new Row(new WeeklyTemplate(rs.getLong("service_id"), DayOfWeek.of(rs.getInt("day_of_week")),
                        rs.getString("period"), rs.getTime("starts_at").toLocalTime(),
                        rs.getTime("ends_at").toLocalTime(), rs.getInt("slot_minutes"), rs.getInt("onsite"),
                        rs.getInt("community"), rs.getInt("public_quota"), rs.getObject("valid_from", LocalDate.class),
                        rs.getObject("valid_until", LocalDate.class)), home.facilityId(),
                        home.facilityKind() == FacilityKind.DISTRICT_HOSPITAL));
            }
        });
        // one transaction per service for the whole range: few commits, and a service's days appear together
        Map<Long, List<Row>> byService = new java.util.LinkedHashMap<>();
        for (Row r : templates) {
            byService.computeIfAbsent(r.t().serviceId(), k -> new ArrayList<>()).add(r);
        }
        int added = 0;
        // holidays and closures (the console's): no session is generated for a closed day or period
        java.util.Set<String> closed = closures.closedBetween(from, from.plusDays(Math.max(0, days - 1)));
        for (var e : byService.entrySet()) {
            ReleasePolicy p = policies.effective(e.getKey());
            added += JobRuns.retried(() -> tx.execute(st -> {
                int n = 0;
                for (int d = 0; d < days; d++) {
                    LocalDate date = from.plusDays(d);
                    for (Row r : e.getValue()) {
                        if (r.t().appliesOn(date) && !Closures.closedIn(closed, r.facilityId(), e.getKey(), date,
                                r.t().period())) {
                            n += session(r.t(), r.districtHospital(), date, p);
                        }
                    }
                }
                return n;
            }));
        }
        return added;
    }

    private int session(WeeklyTemplate t, boolean districtHospital, LocalDate date, ReleasePolicy p) {
        int community = districtHospital ? t.community() : 0;
        int pub = districtHospital ? t.pub() : t.pub() + t.community();
        QuotaPools.NewSession session = quotaPools.addSession(t.serviceId(), date, t.period(), date.atTime(t.starts()),
                date.atTime(t.ends()), t.slotMinutes(), t.onsite(), community, pub, p::closes);
        if (session == null) {
            return 0;
        }
        plan.write(quotaPools.ofSession(session.id()), p);
        return session.slots();
    }
}
