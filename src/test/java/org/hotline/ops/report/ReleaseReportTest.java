package org.hotline.ops.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.Pool;
import org.hotline.release.QuotaRelease;
import org.hotline.release.ReleasePolicies;
import org.hotline.release.ReleasePolicy;
import org.hotline.release.ReleaseScope;
import org.hotline.release.ScheduleGenerator;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * Release timeliness, pool moves and the 14-days-ahead check on quota that the release module generated,
 * opened and moved with its own jobs on a moving TestClock: one opening run twelve minutes late, one day's
 * openings not run until the next morning, one planned move never run. Expected figures come from plain
 * SQL over release_audit and release_step, never from the report code.
 */
@ReportWebTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReleaseReportTest {

    static final LocalDate FIRST_CLINIC_DAY = LocalDate.of(2035, 1, 15);
    static final int CLINIC_DAYS = 10;
    static final LocalDate LAST_CLINIC_DAY = FIRST_CLINIC_DAY.plusDays(CLINIC_DAYS - 1);
    /** The day the 08:00 opening ran twelve minutes late. */
    static final LocalDate LATE_DAY = LocalDate.of(2035, 1, 5);
    /** The day nobody ran the openings until 08:00 the next morning. */
    static final LocalDate MISSED_DAY = LocalDate.of(2035, 1, 6);
    /** The report is read at this moment: the last clinic day's 07:00 move to ONSITE was never run. */
    static final LocalDateTime READ_AT = LAST_CLINIC_DAY.atTime(7, 30);

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ScheduleGenerator generator;
    @Autowired ReleasePolicies policies;
    @Autowired QuotaRelease release;
    @Autowired SupervisionReports reports;
    @Autowired ReleaseReports releaseReports;
    @Autowired PolicyChecks policy;

    long hospital;
    long centre;
    ReleaseScope scope;
    final ReportRange clinicDays = new ReportRange(FIRST_CLINIC_DAY, LAST_CLINIC_DAY, null);

    @BeforeAll
    void seed() {
        hospital = fx.facility("DISTRICT_HOSPITAL");
        centre = fx.facility("COMMUNITY_CENTRE");
        long service = fx.outpatientService(hospital);
        scope = ReleaseScope.facilities(hospital);
        clock.set(LocalDate.of(2034, 12, 30).atTime(9, 0));
        for (DayOfWeek d : DayOfWeek.values()) {
            generator.saveTemplate(new ScheduleGenerator.WeeklyTemplate(service, d, "MORNING", LocalTime.of(9, 0),
                    LocalTime.of(10, 0), 30, 2, 4, 6));
        }
        // community 14 days ahead at 08:00, public 7 days ahead at 08:00, unused community to public the day
        // before at 18:00, phone booking closes 2 h before, unused phone places to ONSITE at 07:00 on the day
        policies.save(hospital, null, new ReleasePolicy(7, LocalTime.of(8, 0), 14, LocalTime.of(8, 0), 1,
                LocalTime.of(18, 0), Duration.ofHours(2), LocalTime.of(7, 0)));
        assertThat(generator.generate(FIRST_CLINIC_DAY, CLINIC_DAYS, scope)).isPositive();
        int n = 0;
        // every day up to the eve of the last clinic day; on the last one nothing has run by READ_AT
        for (LocalDate day = FIRST_CLINIC_DAY.minusDays(14); day.isBefore(LAST_CLINIC_DAY); day = day.plusDays(1)) {
            clock.set(day.atTime(7, 0, 20));
            release.moveDue(scope);
            if (!day.equals(MISSED_DAY)) {
                clock.set(day.equals(LATE_DAY) ? day.atTime(8, 12) : day.atTime(8, 0, 15));
                release.openDue(scope);
            }
            // bookings after the openings: community doctors on community quota, callers on public
            clock.set(day.atTime(10, 0));
            List<Map<String, Object>> open = jdbc.queryForList("""
                    SELECT q.slot_id, q.pool FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id
                    JOIN service s ON s.id = sl.service_id
                    WHERE s.facility_id = ? AND q.opens_at <= ? AND q.closes_at > ? AND q.pool <> 'ONSITE'
                      AND q.held + q.booked < q.capacity
                    ORDER BY q.slot_id, q.pool""", hospital, clock.now(), clock.now());
            for (Map<String, Object> pool : open) {
                if (n++ % 7 == 0) {
                    long slot = ((Number) pool.get("slot_id")).longValue();
                    Channel ch = "COMMUNITY".equals(pool.get("pool")) ? Channel.COMMUNITY_DOCTOR : Channel.PHONE_MENU;
                    BookingOutcome out = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(66),
                            Fixtures.mobile(), List.of(), Fixtures.mobile(), ch, "release-report",
                            ch == Channel.COMMUNITY_DOCTOR ? centre : null));
                    assertThat(out).isInstanceOf(BookingOutcome.Booked.class);
                }
            }
            clock.set(day.atTime(18, 0, 30));
            release.moveDue(scope);
        }
        clock.set(READ_AT);
    }

    @AfterAll
    void resetClock() {
        clock.reset();
    }

    @Test
    void everyReleaseIsReportedWithItsPlannedAndActualTimeAndLateOnesAreFlagged() {
        // the truth: release_audit grouped by planned time, action and pool (follow-ups left out)
        Map<String, String> expected = new TreeMap<>();
        for (Map<String, Object> r : jdbc.queryForList("""
                SELECT planned_at, action, pool, COUNT(*) AS audits, SUM(pools) AS pools, SUM(places) AS places,
                       TIMESTAMPDIFF(SECOND, planned_at, MAX(done_at)) AS delay
                FROM release_audit WHERE facility_id = ? AND follow_up = FALSE
                GROUP BY planned_at, action, pool""", hospital)) {
            long delay = ((Number) r.get("delay")).longValue();
            expected.put(r.get("planned_at").toString().replace(' ', 'T').replaceAll(":00(\\.0)?$", "") + " "
                    + r.get("action") + " " + r.get("pool"),
                    "DONE pools=" + r.get("pools") + " places=" + r.get("places") + " late=" + (delay > 60));
        }
        for (Map<String, Object> r : jdbc.queryForList("""
                SELECT planned_at, action, pool, status, COUNT(*) AS n FROM release_step
                WHERE facility_id = ? AND (status = 'SKIPPED' OR (status = 'PLANNED' AND planned_at < ?))
                GROUP BY planned_at, action, pool, status""", hospital, READ_AT.minusMinutes(1))) {
            expected.put(r.get("planned_at").toString().replace(' ', 'T').replaceAll(":00(\\.0)?$", "") + " "
                    + r.get("action") + " " + r.get("pool"),
                    ("SKIPPED".equals(r.get("status")) ? "SKIPPED" : "MISSED") + " pools=" + r.get("n")
                            + " places=0 late=true");
        }
        Map<String, String> actual = new TreeMap<>();
        for (ReleaseReports.ReleaseRun r : releaseReports.releases(
                new ReportRange(FIRST_CLINIC_DAY.minusDays(14), LAST_CLINIC_DAY, hospital))) {
            actual.put(r.plannedAt().toString() + " " + r.action() + " " + r.pool(),
                    r.state() + " pools=" + r.pools() + " places=" + r.places() + " late=" + r.late());
        }
        assertThat(actual).isEqualTo(expected);
        // what the seed did on purpose, in the report's words
        assertThat(actual).containsEntry(LATE_DAY + "T08:00 OPEN COMMUNITY",
                "DONE pools=2 places=8 late=true");
        assertThat(actual.get(MISSED_DAY + "T08:00 OPEN COMMUNITY")).endsWith("late=true");
        assertThat(actual.get(LAST_CLINIC_DAY + "T07:00 MOVE_TO_ONSITE PUBLIC")).startsWith("MISSED");
        assertThat(actual.values().stream().filter(v -> v.endsWith("late=false")).count()).isGreaterThan(20);
    }

    @Test
    void poolUseCountsTheMovesAndTheOfferedQuotaIsWhatTheRosterSaid() {
        int movedToPublic = 0;
        int movedToOnsite = 0;
        for (FacilityDay d : reports.facilityDays(new ReportRange(FIRST_CLINIC_DAY, LAST_CLINIC_DAY, hospital))) {
            if (d.day().isBefore(FIRST_CLINIC_DAY)) {
                continue;
            }
            for (Pool p : Pool.values()) {
                Map<String, Object> t = jdbc.queryForMap("""
                        SELECT SUM(q.capacity) AS capacity, SUM(q.booked) AS booked,
                          (SELECT COALESCE(SUM(st.places), 0) FROM release_step st WHERE st.facility_id = ?
                             AND st.slot_date = ? AND st.pool = ? AND st.action <> 'OPEN' AND st.status = 'DONE') AS out_,
                          (SELECT COALESCE(SUM(st.places), 0) FROM release_step st WHERE st.facility_id = ?
                             AND st.slot_date = ? AND st.target_pool = ? AND st.status = 'DONE') AS in_
                        FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                        WHERE s.facility_id = ? AND sl.slot_date = ? AND q.pool = ?""", hospital, d.day(), p.name(),
                        hospital, d.day(), p.name(), hospital, d.day(), p.name());
                PoolUse u = d.use(p);
                assertThat(u.capacity()).isEqualTo(((Number) t.get("capacity")).intValue());
                assertThat(u.booked()).isEqualTo(((Number) t.get("booked")).intValue());
                assertThat(u.movedOut()).as("%s %s out", d.day(), p).isEqualTo(((Number) t.get("out_")).intValue());
                assertThat(u.movedIn()).as("%s %s in", d.day(), p).isEqualTo(((Number) t.get("in_")).intValue());
                // the roster: 2 slots of 2 ONSITE, 4 COMMUNITY, 6 PUBLIC
                int roster = switch (p) {
                    case ONSITE -> 4;
                    case COMMUNITY -> 8;
                    case PUBLIC -> 12;
                };
                assertThat(u.offered()).as("%s %s offered", d.day(), p).isEqualTo(roster);
            }
            movedToPublic += d.use(Pool.COMMUNITY).movedOut();
            movedToOnsite += d.use(Pool.ONSITE).movedIn();
        }
        assertThat(movedToPublic).as("unused community places moved to PUBLIC").isPositive();
        assertThat(movedToOnsite).as("unused phone places moved to ONSITE").isPositive();
    }

    @Test
    void communityShareIsJudgedOnTheQuotaAsOfferedAndDaysAheadOnTheAudit() {
        List<PolicyCheck> checks = policy.check(clinicDays);
        PolicyCheck share = checks.get(0);
        assertThat(share.id()).isEqualTo(PolicyChecks.COMMUNITY_SHARE);
        String name = jdbc.queryForObject("SELECT name FROM facility WHERE id = ?", String.class, hospital);
        List<String> row = share.evidence().stream().filter(r -> r.get(0).equals(name)).findFirst().orElseThrow();
        // 4 of 10 bookable places per slot: exactly 40 % as offered, though moves left less in COMMUNITY
        assertThat(row.get(4)).isEqualTo("40.0%");
        assertThat(row.get(6)).isEqualTo("0");

        PolicyCheck ahead = checks.get(1);
        assertThat(ahead.id()).isEqualTo(PolicyChecks.COMMUNITY_DAYS_AHEAD);
        List<String> aheadRow = ahead.evidence().stream().filter(r -> r.get(0).equals(name)).findFirst()
                .orElseThrow();
        // truth: community pools whose OPEN step ran fewer than 14 days before their day (the missed day's two)
        int shortPools = jdbc.queryForObject("""
                SELECT COUNT(*) FROM release_step WHERE facility_id = ? AND action = 'OPEN' AND pool = 'COMMUNITY'
                  AND status = 'DONE' AND DATEDIFF(slot_date, DATE(done_at)) < 14
                  AND slot_date BETWEEN ? AND ?""", Integer.class, hospital, FIRST_CLINIC_DAY, LAST_CLINIC_DAY);
        assertThat(shortPools).isEqualTo(2);
        assertThat(aheadRow.get(1)).isEqualTo(String.valueOf(CLINIC_DAYS * 2));
        assertThat(aheadRow.get(3)).isEqualTo("13 天");
        assertThat(aheadRow.get(4)).isEqualTo("2");
        assertThat(ahead.verdict()).isEqualTo(PolicyCheck.Verdict.NO);

        // the clinic days whose community quota opened on time: yes
        LocalDate missedClinicDay = MISSED_DAY.plusDays(14);
        PolicyCheck before = policy.check(new ReportRange(FIRST_CLINIC_DAY, missedClinicDay.minusDays(1), null)).get(1);
        PolicyCheck after = policy.check(new ReportRange(missedClinicDay.plusDays(1), LAST_CLINIC_DAY, null)).get(1);
        assertThat(before.verdict()).isEqualTo(PolicyCheck.Verdict.YES);
        assertThat(after.verdict()).isEqualTo(PolicyCheck.Verdict.YES);
    }
}
