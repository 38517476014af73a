package org.hotline.release;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.testsupport.Fixtures;

/** A facility of the test's own with one service, a roster and a policy, released only within its own scope. */
class ReleaseFixture {

    final JdbcTemplate jdbc;
    final Fixtures fx;
    final ScheduleGenerator generator;
    final ReleasePolicies policies;
    final long facility;
    final long service;
    final ReleaseScope scope;

    ReleaseFixture(JdbcTemplate jdbc, Fixtures fx, ScheduleGenerator generator, ReleasePolicies policies,
            String kind) {
        this.jdbc = jdbc;
        this.fx = fx;
        this.generator = generator;
        this.policies = policies;
        this.facility = fx.facility(kind);
        this.service = fx.outpatientService(facility);
        this.scope = ReleaseScope.facilities(facility);
    }

    /** A morning session 08:00–{@code until} every day of the week, 30-minute slots with these quotas. */
    ReleaseFixture everyMorning(LocalTime until, int onsite, int community, int pub) {
        for (DayOfWeek d : DayOfWeek.values()) {
            generator.saveTemplate(new ScheduleGenerator.WeeklyTemplate(service, d, "MORNING", LocalTime.of(8, 0),
                    until, 30, onsite, community, pub));
        }
        return this;
    }

    ReleaseFixture policy(ReleasePolicy p) {
        policies.save(facility, null, p);
        return this;
    }

    ReleasePolicy withOnsiteAt(LocalTime at) {
        ReleasePolicy d = policies.defaults();
        return new ReleasePolicy(d.publicDaysAhead(), d.publicOpensAt(), d.communityDaysAhead(), d.communityOpensAt(),
                d.communityToPublicDaysBefore(), d.communityToPublicAt(), d.closeBefore(), at);
    }

    int generate(LocalDate from, int days) {
        return generator.generate(from, days, scope);
    }

    long slot(LocalDateTime start) {
        return jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class, service,
                start);
    }

    /** capacity, held, booked, and whether open (opens_at ≤ now < closes_at) at {@code now}. */
    Map<String, Object> pool(long slot, String pool) {
        return local(jdbc.queryForMap("SELECT * FROM quota_pool WHERE slot_id = ? AND pool = ?", slot, pool));
    }

    /** Dates and times as java.time, whatever the driver hands out. */
    static Map<String, Object> local(Map<String, Object> row) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        row.forEach((k, v) -> out.put(k, v instanceof java.sql.Timestamp t ? t.toLocalDateTime()
                : v instanceof java.sql.Date d ? d.toLocalDate() : v));
        return out;
    }

    int capacity(long slot, String pool) {
        return fx.counts(slot, pool)[0];
    }

    List<Map<String, Object>> audit() {
        return jdbc.queryForList("SELECT * FROM release_audit WHERE facility_id = ? ORDER BY id", facility).stream()
                .map(ReleaseFixture::local).toList();
    }

    static BookingOutcome book(BookingService booking, long slot, Channel channel, Long referringFacility) {
        return booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(70), Fixtures.mobile(), List.of(),
                channel == Channel.PHONE_MENU ? Fixtures.mobile() : null, channel, "release-test", referringFacility));
    }
}
