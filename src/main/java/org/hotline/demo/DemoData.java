package org.hotline.demo;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.MonthDay;
import java.util.List;

import org.quartz.Scheduler;
import org.quartz.SchedulerException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.CatalogueAdmin;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.QuotaPools;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.VaccineSchedule;
import org.hotline.booking.VaccineSchedule.Dose;
import org.hotline.booking.VaccineSchedule.Schedule;
import org.hotline.release.JobRuns;
import org.hotline.release.QuotaRelease;
import org.hotline.release.ReleasePolicies;
import org.hotline.release.ReleasePolicy;
import org.hotline.release.ReleaseScope;
import org.hotline.release.ScheduleGenerator;
import org.hotline.release.ScheduleGenerator.WeeklyTemplate;

/**
 * Loads demo facilities on the embedded default (never in production): their weekly templates and
 * release policies, then has the release module generate the coming weeks and open what is due, so
 * the service is bookable at once. Idempotent: a restart only adds the days that are missing. A fresh
 * demo's releases that fell due before its first start are carried out as of their planned times (see
 * {@link #releasedOnTime()}), so its history is the one the product writes when it runs on time.
 *
 * <p>Quota per slot follows the policy: an ONSITE reserve at every facility, and at district
 * hospitals half of the bookable quota in COMMUNITY (policy minimum 40 %), opened 14 days ahead;
 * PUBLIC opens 7 days ahead at 08:00; booking closes at the cancellation cut-off before the slot.
 * The community centres give unused phone quota to walk-ins at 07:30 on the day.
 */
@Component
@Order(10)
@ConditionalOnProperty(name = "hotline.demo-data.enabled", havingValue = "true")
public class DemoData implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(DemoData.class);

    private final JdbcTemplate jdbc;
    private final CatalogueAdmin catalogue;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final ScheduleGenerator generator;
    private final ReleasePolicies policies;
    private final QuotaRelease release;
    private final PlatformTransactionManager txManager;
    private final ObjectProvider<Scheduler> scheduler;
    private final VaccineSchedule schedules;

    /** The node name of the release runs a fresh demo writes for its past (release_job_run.node). */
    public static final String HISTORY_NODE = "demo-history";

    public DemoData(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, ScheduleGenerator generator,
            ReleasePolicies policies, QuotaRelease release, PlatformTransactionManager txManager,
            ObjectProvider<Scheduler> scheduler, CatalogueAdmin catalogue, VaccineSchedule schedules) {
        this.schedules = schedules;
        this.jdbc = jdbc;
        this.catalogue = catalogue;
        this.tx = tx;
        this.clock = clock;
        this.generator = generator;
        this.policies = policies;
        this.release = release;
        this.txManager = txManager;
        this.scheduler = scheduler;
    }

    @Override
    public void run(ApplicationArguments args) {
        boolean fresh = Boolean.TRUE.equals(tx.execute(s -> {
            if (catalogue.facilityCount() == 0) {
                loadCatalogue();
                return true;
            }
            return false;
        }));
        int added;
        int history = 0;
        if (fresh) {
            // the release jobs must not catch up on the new sessions at the real time meanwhile: that would
            // be the late history this avoids
            boolean paused = pauseScheduler();
            try {
                added = generator.generateAhead(LocalDate.now(clock), ReleaseScope.ALL);
                history = releasedOnTime();
            } finally {
                if (paused) {
                    resumeScheduler();
                }
            }
        } else {
            added = generator.generateAhead(LocalDate.now(clock), ReleaseScope.ALL);
        }
        // the release job would open these within a minute; the demo should be bookable right away
        int opened = release.openDue(ReleaseScope.ALL);
        log.info("Demo data ready: {} facilities, {} slots added, {} past release times run as on time, {} pools opened",
                catalogue.facilityCount(), added, history, opened);
    }

    /**
     * A fresh demo's sessions of the coming days had release steps due before now (community quota opens
     * 14 days ahead): runs them as the release jobs would have, each at its planned time, so that the
     * audit, the reports and the policy check tell what the product does on time instead of showing them
     * days late. The runs are logged as node {@value #HISTORY_NODE}.
     *
     * @return planned times run
     */
    private int releasedOnTime() {
        LocalDateTime now = LocalDateTime.now(clock);
        List<LocalDateTime> due = release.plannedTimesDue(now);
        for (LocalDateTime at : due) {
            Clock then = Clock.fixed(at.atZone(clock.getZone()).toInstant(), clock.getZone());
            new QuotaRelease(jdbc, txManager, new JobRuns(jdbc, then), new QuotaPools(jdbc)).releaseDue(ReleaseScope.ALL, HISTORY_NODE);
        }
        return due.size();
    }

    private boolean pauseScheduler() {
        Scheduler s = scheduler.getIfAvailable();
        try {
            if (s != null && s.isStarted() && !s.isInStandbyMode()) {
                s.standby();
                return true;
            }
        } catch (SchedulerException e) {
            log.warn("Demo data: release scheduler not paused: {}", e.getMessage());
        }
        return false;
    }

    private void resumeScheduler() {
        try {
            scheduler.getObject().start();
        } catch (SchedulerException e) {
            log.error("Demo data: release scheduler not resumed: {}", e.getMessage(), e);
        }
    }

    private void loadCatalogue() {
        // schedules as the vaccines have them (docs/booking.md, "Vaccine schedules")
        // flu: one dose each season, September to April
        schedules.define(vaccine("FLU", "流感疫苗", 1, 0, 3, 150, "请带身份证"), new Schedule(1, 0, 3, 150,
                MonthDay.of(9, 1), MonthDay.of(4, 30), null, List.of()));
        // 23-valent pneumococcal: one dose, re-vaccination after 5 years
        schedules.define(vaccine("PPV23", "二十三价肺炎疫苗", 1, 0, 2, 150, "请带身份证和接种本"), new Schedule(1, 0, 2, 150,
                null, null, 5 * 365 + 1, List.of()));
        // recombinant zoster: from 50, the second dose 2 to 6 months after the first
        schedules.define(vaccine("HZV", "带状疱疹疫苗", 2, 60, 50, 150, "请带身份证和接种本"), new Schedule(2, 60, 50, 150,
                null, null, null, List.of(new Dose(2, 60, 180, null, null))));
        // COVID-19: one dose, again at least 6 months after the last one (the elders' yearly booster)
        schedules.define(vaccine("COVID", "新冠病毒疫苗", 1, 0, 18, 150, "请带身份证和接种本"), new Schedule(1, 0, 18, 150,
                null, null, 180, List.of()));

        ReleasePolicy standard = policies.defaults();
        long h1 = facility("CY1", "朝阳区第一人民医院", "DISTRICT_HOSPITAL", "朝阳区", "朝阳路一号", 1);
        policies.save(h1, null, standard);
        everyDay(service(h1, "NK", "OUTPATIENT", "内科", null, null, 1), 2, 4, 4);
        everyDay(service(h1, "XNK", "OUTPATIENT", "心内科", "张建国", null, 2), 2, 4, 4);
        everyDay(service(h1, "YK", "OUTPATIENT", "眼科", null, null, 3), 2, 4, 4);
        everyDay(service(h1, "GK", "OUTPATIENT", "骨科", null, null, 4), 2, 4, 4);
        long h2 = facility("HD1", "海淀区中心医院", "DISTRICT_HOSPITAL", "海淀区", "中关村南大街二号", 2);
        policies.save(h2, null, standard);
        everyDay(service(h2, "NK", "OUTPATIENT", "内科", null, null, 1), 2, 4, 4);
        everyDay(service(h2, "LNK", "OUTPATIENT", "老年病科", null, null, 2), 2, 4, 4);
        everyDay(service(h2, "PFK", "OUTPATIENT", "皮肤科", null, null, 3), 2, 4, 4);
        ReleasePolicy walkInsOnTheDay = new ReleasePolicy(standard.publicDaysAhead(), standard.publicOpensAt(),
                standard.communityDaysAhead(), standard.communityOpensAt(), standard.communityToPublicDaysBefore(),
                standard.communityToPublicAt(), standard.closeBefore(), LocalTime.of(7, 30));
        long c1 = facility("WJ", "望京社区卫生服务中心", "COMMUNITY_CENTRE", "朝阳区", "望京西路三号", 3);
        policies.save(c1, null, walkInsOnTheDay);
        everyDay(service(c1, "QK", "OUTPATIENT", "全科", null, null, 1), 2, 0, 4);
        long c2 = facility("SJ", "双井社区卫生服务中心", "COMMUNITY_CENTRE", "朝阳区", "双井桥南四号", 4);
        policies.save(c2, null, walkInsOnTheDay);
        everyDay(service(c2, "QK", "OUTPATIENT", "全科", null, null, 1), 2, 0, 4);
        everyDay(service(c2, "ZYK", "OUTPATIENT", "中医科", null, null, 2), 2, 0, 4);
        long v1 = facility("CYV", "朝阳区预防接种门诊", "VACCINATION_CLINIC", "朝阳区", "朝阳北路五号", 5);
        policies.save(v1, null, new ReleasePolicy(7, LocalTime.of(8, 0), 0, LocalTime.of(8, 0), 0,
                LocalTime.of(8, 0), Duration.ofHours(2), null));
        // the vaccination clinic is closed on Sundays
        exceptSunday(service(v1, "FLU", "VACCINE", "流感疫苗", null, "FLU", 1), 2, 0, 8);
        exceptSunday(service(v1, "PPV23", "VACCINE", "二十三价肺炎疫苗", null, "PPV23", 2), 2, 0, 8);
        exceptSunday(service(v1, "HZV", "VACCINE", "带状疱疹疫苗", null, "HZV", 3), 2, 0, 8);
        exceptSunday(service(v1, "COVID", "VACCINE", "新冠病毒疫苗", null, "COVID", 4), 2, 0, 8);
    }

    /** Adds the sessions, slots and pools missing between {@code from} and {@code from + days}. */
    public int topUpSessions(LocalDate from, int days) {
        return generator.generate(from, days, ReleaseScope.ALL);
    }

    private void everyDay(long serviceId, int onsite, int community, int pub) {
        for (DayOfWeek d : DayOfWeek.values()) {
            sessions(serviceId, d, onsite, community, pub);
        }
    }

    private void exceptSunday(long serviceId, int onsite, int community, int pub) {
        for (DayOfWeek d : DayOfWeek.values()) {
            if (d != DayOfWeek.SUNDAY) {
                sessions(serviceId, d, onsite, community, pub);
            }
        }
    }

    private void sessions(long serviceId, DayOfWeek d, int onsite, int community, int pub) {
        generator.saveTemplate(new WeeklyTemplate(serviceId, d, "MORNING", LocalTime.of(8, 0), LocalTime.of(12, 0), 30,
                onsite, community, pub));
        generator.saveTemplate(new WeeklyTemplate(serviceId, d, "AFTERNOON", LocalTime.of(14, 0), LocalTime.of(17, 0),
                30, onsite, community, pub));
    }
    private long vaccine(String code, String name, int doses, int interval, int minAge, int maxAge, String bring) {
        return catalogue.addVaccine(code, name, doses, interval, minAge, maxAge, bring);
    }

    private long facility(String code, String name, String kind, String district, String address, int order) {
        return catalogue.addFacility(code, name, FacilityKind.valueOf(kind), district, address, order);
    }

    private long service(long facilityId, String code, String kind, String name, String doctor, String vaccineCode,
            int order) {
        return catalogue.addService(facilityId, code, ServiceKind.valueOf(kind), name, doctor, vaccineCode, order);
    }
}
