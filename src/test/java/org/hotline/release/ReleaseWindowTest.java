package org.hotline.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Channel;
import org.hotline.booking.HoldOutcome;
import org.hotline.booking.Pool;
import org.hotline.booking.Refusal;
import org.hotline.booking.SlotOffer;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** Release windows on a controllable clock: opening on the second, exact moves, idempotent jobs, ONSITE never by phone. */
@IntegrationTest
class ReleaseWindowTest {

    @Autowired JdbcTemplate jdbc;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired ScheduleGenerator generator;
    @Autowired ReleasePolicies policies;
    @Autowired ReleasePlan plan;
    @Autowired QuotaRelease release;
    @Autowired NoShowRule noShows;
    @Autowired Reminders reminders;
    @Autowired BookingService booking;
    @Autowired Catalogue catalogue;

    /** A date far enough ahead that the whole release cycle (14 days before) is still in the future. */
    final LocalDate day = LocalDate.now().plusDays(40);

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    ReleaseFixture district() {
        return new ReleaseFixture(jdbc, fx, generator, policies, "DISTRICT_HOSPITAL");
    }

    @Test
    void thePublicPoolIsClosedToACallerAt075959AndOpenAt080000() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(10, 0), 2, 0, 4);
        clock.set(day.minusDays(20).atTime(9, 0));
        assertThat(f.generate(day, 1)).isEqualTo(4);
        long slot = f.slot(day.atTime(9, 0));

        clock.set(day.minusDays(7).atTime(7, 59, 59));
        release.openDue(f.scope);
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isEqualTo(new HoldOutcome.Refused(Refusal.POOL_CLOSED));
        assertThat(catalogue.slots(f.service, day, Channel.PHONE_MENU)).isEmpty();

        clock.set(day.minusDays(7).atTime(8, 0, 0));
        assertThat(release.openDue(f.scope)).isEqualTo(4);
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Held.class);
        assertThat(catalogue.slots(f.service, day, Channel.PHONE_MENU)).extracting(SlotOffer::pool)
                .containsOnly(Pool.PUBLIC).hasSize(4);
        assertThat(f.pool(slot, "PUBLIC").get("opens_at")).isEqualTo(day.minusDays(7).atTime(8, 0));

        List<Map<String, Object>> audit = f.audit();
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0)).containsEntry("action", "OPEN").containsEntry("pool", "PUBLIC")
                .containsEntry("planned_at", day.minusDays(7).atTime(8, 0))
                .containsEntry("done_at", day.minusDays(7).atTime(8, 0)).containsEntry("pools", 4)
                .containsEntry("places", 16).containsEntry("slot_date", day);
    }

    @Test
    void aLateOpeningIsOpenFromWhenItRanAndTheAuditShowsBothTimes() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(9, 0), 2, 0, 4);
        clock.set(day.minusDays(20).atTime(9, 0));
        f.generate(day, 1);
        clock.set(day.minusDays(7).atTime(8, 42, 17));
        assertThat(release.openDue(f.scope)).isEqualTo(2);
        long slot = f.slot(day.atTime(8, 0));
        assertThat(f.pool(slot, "PUBLIC").get("opens_at")).isEqualTo(day.minusDays(7).atTime(8, 42, 17));
        assertThat(f.audit()).singleElement().satisfies(a -> {
            assertThat(a.get("planned_at")).isEqualTo(day.minusDays(7).atTime(8, 0));
            assertThat(a.get("done_at")).isEqualTo(day.minusDays(7).atTime(8, 42, 17));
        });
    }

    @Test
    void communityOpensFourteenDaysAheadOnlyForReferralsAndMovesExactlyTheUnbookedPlacesTheDayBefore() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(8, 30), 2, 6, 4);
        long centre = fx.facility("COMMUNITY_CENTRE");
        clock.set(day.minusDays(20).atTime(9, 0));
        f.generate(day, 1);
        long slot = f.slot(day.atTime(8, 0));

        clock.set(day.minusDays(14).atTime(8, 0));
        assertThat(release.openDue(f.scope)).isEqualTo(1);
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isEqualTo(new HoldOutcome.Refused(Refusal.POOL_CLOSED));
        assertThat(ReleaseFixture.book(booking, slot, Channel.COMMUNITY_DOCTOR, centre))
                .isInstanceOf(BookingOutcome.Booked.class);
        assertThat(ReleaseFixture.book(booking, slot, Channel.COMMUNITY_DOCTOR, centre))
                .isInstanceOf(BookingOutcome.Booked.class);
        HoldOutcome.Held held = (HoldOutcome.Held) booking.hold(slot, Channel.COMMUNITY_DOCTOR);
        assertThat(held.pool()).isEqualTo(Pool.COMMUNITY);
        clock.set(day.minusDays(7).atTime(8, 0));
        release.openDue(f.scope);
        assertThat(ReleaseFixture.book(booking, slot, Channel.PHONE_MENU, null)).isInstanceOf(BookingOutcome.Booked.class);
        HoldOutcome.Held heldHold = (HoldOutcome.Held) booking.hold(slot, Channel.COMMUNITY_DOCTOR);
        assertThat(heldHold.pool()).isEqualTo(Pool.COMMUNITY);
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(6, 2, 2); // 2 booked, 2 held, 2 free
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(4, 0, 1);

        clock.set(day.minusDays(1).atTime(11, 59, 59));
        assertThat(release.moveDue(f.scope)).isZero();
        clock.set(day.minusDays(1).atTime(12, 0));
        assertThat(release.moveDue(f.scope)).isEqualTo(2);
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(4, 2, 2); // nothing booked or held moved
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(6, 0, 1);
        assertThat(fx.counts(slot, "ONSITE")).containsExactly(2, 0, 0);
        // the reserve is given back: community doctors now book from PUBLIC
        assertThat(booking.hold(slot, Pool.COMMUNITY, Channel.COMMUNITY_DOCTOR))
                .isEqualTo(new HoldOutcome.Refused(Refusal.POOL_CLOSED));
        assertThat(release.moveDue(f.scope)).isZero();

        // a held place that comes back after the move follows it; a confirmed one stays booked
        booking.release(held.holdId());
        clock.set(day.minusDays(1).atTime(12, 1));
        assertThat(release.moveDue(f.scope)).isEqualTo(1);
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(3, 1, 2);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(7, 0, 1);
        assertThat(release.moveDue(f.scope)).isZero();

        List<Map<String, Object>> moves = f.audit().stream().filter(a -> !"OPEN".equals(a.get("action"))).toList();
        assertThat(moves).hasSize(2);
        assertThat(moves.get(0)).containsEntry("action", "MOVE_TO_PUBLIC").containsEntry("pool", "COMMUNITY")
                .containsEntry("target_pool", "PUBLIC").containsEntry("places", 2).containsEntry("follow_up", false)
                .containsEntry("planned_at", day.minusDays(1).atTime(12, 0));
        assertThat(moves.get(1)).containsEntry("places", 1).containsEntry("follow_up", true);
    }

    @Test
    void afterAnOutageAcrossAnOpeningAndItsMoveTheMoveWaitsForTheOpening() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(8, 30), 2, 6, 4);
        clock.set(day.minusDays(20).atTime(9, 0));
        f.generate(day, 1);
        long slot = f.slot(day.atTime(8, 0));
        // every node was down from before the community opening (D-14) until after its move (D-1 12:00)
        clock.set(day.minusDays(1).atTime(12, 5));
        assertThat(release.moveDue(f.scope)).as("the move job ran first: it waits").isZero();
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(6, 0, 0);
        assertThat(release.openDue(f.scope)).isEqualTo(2); // COMMUNITY and PUBLIC, both late
        assertThat(release.moveDue(f.scope)).as("places moved").isEqualTo(6);
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(0, 0, 0);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(10, 0, 0);
        List<Map<String, Object>> audit = f.audit();
        assertThat(audit).filteredOn(a -> "OPEN".equals(a.get("action")) && "COMMUNITY".equals(a.get("pool")))
                .singleElement().satisfies(a -> assertThat(a.get("places")).isEqualTo(6));
        assertThat(audit).filteredOn(a -> "MOVE_TO_PUBLIC".equals(a.get("action"))).singleElement()
                .satisfies(a -> assertThat(a.get("places")).isEqualTo(6));
    }

    /** A job whose fire a dead node held: every node's own catch-up opens what is overdue by one watch period. */
    @Test
    void eachNodesCatchUpOpensWhatTheScheduledJobMissedOncePastItsGrace() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(10, 0), 2, 0, 4);
        clock.set(day.minusDays(20).atTime(9, 0));
        f.generate(day, 1);
        long slot = f.slot(day.atTime(9, 0));
        ReleaseCatchUp node = new ReleaseCatchUp(release, jdbc, clock, java.time.Duration.ofSeconds(10));
        clock.set(day.minusDays(7).atTime(8, 0, 9));
        assertThat(node.catchUpOverdue(f.scope)).as("9 s late: the scheduled job's turn").isZero();
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isEqualTo(new HoldOutcome.Refused(Refusal.POOL_CLOSED));
        clock.set(day.minusDays(7).atTime(8, 0, 11));
        assertThat(node.catchUpOverdue(f.scope)).as("the 4 pools opened").isEqualTo(4);
        assertThat(f.pool(slot, "PUBLIC").get("opens_at")).isEqualTo(day.minusDays(7).atTime(8, 0, 11));
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Held.class);
        assertThat(node.catchUpOverdue(f.scope)).as("done once").isZero();
        assertThat(f.audit()).hasSize(1);
    }

    @Test
    void aSecondRunOfEveryJobChangesNothing() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(10, 0), 2, 4, 4);
        f.policy(f.withOnsiteAt(LocalTime.of(7, 0)));
        long centre = fx.facility("COMMUNITY_CENTRE");
        clock.set(day.minusDays(15).atTime(1, 30));
        List<Runnable> jobs = List.of(
                () -> generator.generate(day.minusDays(1), 3, f.scope),
                () -> release.openDue(f.scope),
                () -> release.moveDue(f.scope),
                () -> booking.expireHolds(),
                () -> noShows.markNoShows(f.scope),
                () -> reminders.remindDue(f.scope));
        List<LocalDateTime> moments = List.of(day.minusDays(15).atTime(1, 30), day.minusDays(14).atTime(8, 0),
                day.minusDays(7).atTime(8, 0), day.minusDays(1).atTime(12, 0), day.minusDays(1).atTime(18, 0),
                day.atTime(7, 0), day.atTime(13, 0));
        for (LocalDateTime at : moments) {
            clock.set(at);
            for (Runnable job : jobs) {
                job.run();
                String before = snapshot(f);
                job.run();
                assertThat(snapshot(f)).as("second run at %s", at).isEqualTo(before);
            }
            if (at.equals(day.minusDays(7).atTime(8, 0))) {
                long slot = f.slot(day.atTime(9, 0));
                assertThat(ReleaseFixture.book(booking, slot, Channel.PHONE_MENU, null))
                        .isInstanceOf(BookingOutcome.Booked.class);
                assertThat(ReleaseFixture.book(booking, slot, Channel.COMMUNITY_DOCTOR, centre))
                        .isInstanceOf(BookingOutcome.Booked.class);
                booking.hold(slot, Channel.PHONE_MENU); // left to expire
            }
        }
        assertThat(f.audit()).extracting(a -> a.get("action")).contains("OPEN", "MOVE_TO_PUBLIC", "MOVE_TO_ONSITE");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE facility_id = ? AND status = 'NO_SHOW'",
                Integer.class, f.facility)).isEqualTo(2);
    }

    /** Everything a job may change for the fixture's facility, as text. */
    String snapshot(ReleaseFixture f) {
        return String.join("\n",
                jdbc.queryForList("""
                        SELECT CONCAT_WS(',', q.id, q.pool, q.capacity, q.held, q.booked, q.opens_at, q.closes_at)
                        FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id WHERE sl.service_id = ? ORDER BY q.id""",
                        String.class, f.service).toString(),
                jdbc.queryForList("""
                        SELECT CONCAT_WS(',', id, status, places, done_at) FROM release_step WHERE facility_id = ?
                        ORDER BY id""", String.class, f.facility).toString(),
                jdbc.queryForList("SELECT CONCAT_WS(',', id, status) FROM booking WHERE facility_id = ? ORDER BY id",
                        String.class, f.facility).toString(),
                jdbc.queryForList("SELECT CONCAT_WS(',', id, status) FROM hold WHERE slot_id IN "
                        + "(SELECT id FROM slot WHERE service_id = ?) ORDER BY id", String.class, f.service).toString(),
                String.valueOf(f.audit().size()),
                jdbc.queryForObject("SELECT COUNT(*) FROM clinic_session WHERE service_id = ?", Integer.class,
                        f.service).toString(),
                jdbc.queryForObject("""
                        SELECT COUNT(*) FROM booking_reminder r JOIN booking b ON b.id = r.booking_id
                        WHERE b.facility_id = ?""", Integer.class, f.facility).toString());
    }

    @Test
    void onsiteStaysClosedToEveryBookingChannelAtEveryMoment() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(9, 0), 3, 4, 4);
        f.policy(f.withOnsiteAt(LocalTime.of(7, 0)));
        long centre = fx.facility("COMMUNITY_CENTRE");
        clock.set(day.minusDays(16).atTime(0, 0));
        f.generate(day, 1);
        long slot = f.slot(day.atTime(8, 0));
        TreeSet<LocalDateTime> moments = new TreeSet<>();
        for (LocalDateTime t = day.minusDays(15).atTime(0, 0); t.isBefore(day.atTime(9, 0)); t = t.plusHours(5)) {
            moments.add(t);
        }
        for (LocalDateTime planned : jdbc.queryForList("SELECT planned_at FROM release_step WHERE slot_id = ?",
                LocalDateTime.class, slot)) {
            moments.add(planned.minusSeconds(1));
            moments.add(planned);
            moments.add(planned.plusMinutes(1));
        }
        moments.add(day.atTime(7, 59, 59));
        moments.add(day.atTime(8, 0));
        moments.add(day.atTime(8, 29));
        List<String> seen = new ArrayList<>();
        for (LocalDateTime at : moments) {
            clock.set(at);
            release.openDue(f.scope);
            release.moveDue(f.scope);
            for (Channel ch : Channel.values()) {
                if (ch == Channel.HOSPITAL) {
                    continue; // the hospital's own window (a HIS over FHIR) books ONSITE: docs/his.md
                }
                HoldOutcome out = booking.hold(slot, Pool.ONSITE, ch);
                assertThat(out).as("%s asks for ONSITE at %s", ch, at).isInstanceOf(HoldOutcome.Refused.class);
                if (catalogue.slots(f.service, day, ch).stream().anyMatch(o -> o.pool() == Pool.ONSITE)) {
                    seen.add(ch + "@" + at);
                }
            }
            // whatever is open, a phone caller or a doctor keeps getting places, never from ONSITE
            for (Channel ch : List.of(Channel.PHONE_MENU, Channel.COMMUNITY_DOCTOR)) {
                if (booking.hold(slot, ch) instanceof HoldOutcome.Held h) {
                    assertThat(h.pool()).isNotEqualTo(Pool.ONSITE);
                    booking.release(h.holdId());
                }
            }
        }
        assertThat(seen).isEmpty();
        assertThat(fx.counts(slot, "ONSITE")).containsExactly(3 + 4 + 4, 0, 0); // walk-ins got all unused phone quota
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM release_step WHERE slot_id = ? AND action = 'OPEN' AND pool = 'ONSITE'",
                Integer.class, slot)).isZero();
        assertThat(ReleaseFixture.book(booking, slot, Channel.COMMUNITY_DOCTOR, centre))
                .isInstanceOf(BookingOutcome.Refused.class);
    }

    @Test
    void anImportedPolicyFileReplansWhatHasNotOpenedYet() throws Exception {
        ReleaseFixture f = district().everyMorning(LocalTime.of(9, 0), 2, 4, 4);
        String code = jdbc.queryForObject("SELECT code FROM facility WHERE id = ?", String.class, f.facility);
        clock.set(day.minusDays(20).atTime(9, 0));
        f.generate(day, 1);
        long slot = f.slot(day.atTime(8, 0));
        String csv = """
                facility,service,public_days_ahead,public_opens_at,community_days_ahead,community_opens_at,community_to_public_days_before,community_to_public_at,close_before_minutes,phone_to_onsite_at
                %s,,5,15:30,10,,,,60,07:15
                """.formatted(code);
        assertThat(policies.importCsv(new StringReader(csv))).containsExactly(f.facility);
        assertThat(plan.replan(f.facility)).isEqualTo(2);
        assertThat(jdbc.queryForList("""
                SELECT CONCAT(action, ' ', pool, ' ', planned_at) FROM release_step WHERE slot_id = ? ORDER BY action, pool""",
                String.class, slot)).containsExactly(
                        "MOVE_TO_ONSITE COMMUNITY " + day + " 07:15:00",
                        "MOVE_TO_ONSITE PUBLIC " + day + " 07:15:00",
                        "MOVE_TO_PUBLIC COMMUNITY " + day.minusDays(1) + " 12:00:00",
                        "OPEN COMMUNITY " + day.minusDays(10) + " 08:00:00",
                        "OPEN PUBLIC " + day.minusDays(5) + " 15:30:00");
        assertThat(f.pool(slot, "PUBLIC").get("closes_at")).isEqualTo(day.atTime(7, 0));
        assertThat(policies.effective(f.service).closeBefore()).hasMinutes(60);

        String bad = "header\n%s,NOPE,5,15:30,10,,,,60,\n".formatted(code);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> policies.importCsv(new StringReader(bad)))
                .hasMessageContaining("line 1").hasMessageContaining("unknown service NOPE");
    }

    @Test
    void theDayBeforeReminderQueuesOneSmsPerBookingWithTheSmsModule() {
        ReleaseFixture f = district().everyMorning(LocalTime.of(9, 0), 2, 0, 4);
        clock.set(day.minusDays(7).atTime(8, 0));
        f.generate(day, 1);
        release.openDue(f.scope);
        long slot = f.slot(day.atTime(8, 0));
        BookingOutcome.Booked kept = (BookingOutcome.Booked) ReleaseFixture.book(booking, slot, Channel.PHONE_MENU, null);
        BookingOutcome.Booked cancelled = (BookingOutcome.Booked) ReleaseFixture.book(booking, slot, Channel.PHONE_MENU,
                null);
        booking.cancel(cancelled.booking().id(), Channel.AGENT, null, "test");

        clock.set(day.minusDays(1).atTime(17, 59, 59));
        assertThat(reminders.remindDue(f.scope)).isZero();
        clock.set(day.minusDays(1).atTime(18, 0));
        assertThat(reminders.remindDue(f.scope)).isEqualTo(1);
        assertThat(reminders.remindDue(f.scope)).isZero();
        assertThat(jdbc.queryForList("SELECT booking_id FROM sms_message WHERE kind = 'REMINDER' AND booking_id IN (?, ?)",
                Long.class, kept.booking().id(), cancelled.booking().id())).containsExactly(kept.booking().id());
    }

    @Test
    void aMissingScheduleIsGeneratedFromTheWeeklyRosterOnlyOnItsDays() {
        ReleaseFixture f = district();
        generator.saveTemplate(new ScheduleGenerator.WeeklyTemplate(f.service, java.time.DayOfWeek.TUESDAY, "AFTERNOON",
                LocalTime.of(14, 0), LocalTime.of(16, 0), 20, 1, 2, 3));
        clock.set(day.minusDays(20).atTime(1, 30));
        int added = f.generate(day, 7);
        assertThat(added).isEqualTo(6);
        assertThat(jdbc.queryForList("SELECT DISTINCT slot_date FROM slot WHERE service_id = ?", LocalDate.class,
                f.service)).singleElement().satisfies(d -> assertThat(d.getDayOfWeek()).isEqualTo(java.time.DayOfWeek.TUESDAY));
        assertThat(f.generate(day, 7)).isZero();
    }
}
