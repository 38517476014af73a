package org.hotline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Channel;
import org.hotline.booking.Facility;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.Pool;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.SlotOffer;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** The demo data is what the embedded default promises: the policy's shares, and "1" always leads somewhere. */
@IntegrationTest
class DemoDataTest {

    @Autowired Catalogue catalogue;
    @Autowired JdbcTemplate jdbc;
    @Autowired TestClock clock;
    @Autowired DemoData demo;

    @Test
    void hasTheFacilitiesVaccinesAndTwoWeeksOfSessionsThePolicyNeeds() {
        assertThat(catalogue.facilitiesOfKind(FacilityKind.DISTRICT_HOSPITAL)).hasSizeGreaterThanOrEqualTo(2);
        assertThat(catalogue.facilitiesOfKind(FacilityKind.COMMUNITY_CENTRE)).hasSizeGreaterThanOrEqualTo(2);
        assertThat(catalogue.facilitiesOfKind(FacilityKind.VACCINATION_CLINIC)).hasSizeGreaterThanOrEqualTo(1);
        assertThat(catalogue.vaccines()).hasSizeGreaterThanOrEqualTo(3).anyMatch(v -> v.doses() == 2);
        LocalDate today = LocalDate.now(clock);
        Integer days = jdbc.queryForObject("""
                SELECT COUNT(DISTINCT session_date) FROM clinic_session cs JOIN service s ON s.id = cs.service_id
                JOIN facility f ON f.id = s.facility_id WHERE f.code = 'CY1' AND session_date >= ?""", Integer.class,
                today);
        assertThat(days).isGreaterThanOrEqualTo(14);
    }

    @Test
    void everySlotKeepsAnOnsiteReserveAndDistrictHospitalsReserveAtLeastFortyPercentForCommunity() {
        Integer withoutOnsite = jdbc.queryForObject("""
                SELECT COUNT(*) FROM slot sl JOIN service s ON s.id = sl.service_id JOIN facility f ON f.id = s.facility_id
                WHERE f.code IN ('CY1','HD1','WJ','SJ','CYV')
                  AND NOT EXISTS (SELECT 1 FROM quota_pool q WHERE q.slot_id = sl.id AND q.pool = 'ONSITE' AND q.capacity > 0)""",
                Integer.class);
        assertThat(withoutOnsite).isZero();
        List<Double> shares = jdbc.queryForList("""
                SELECT SUM(CASE WHEN q.pool = 'COMMUNITY' THEN q.capacity ELSE 0 END)
                       / SUM(CASE WHEN q.pool <> 'ONSITE' THEN q.capacity ELSE 0 END)
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                JOIN facility f ON f.id = s.facility_id WHERE f.kind = 'DISTRICT_HOSPITAL' AND f.code IN ('CY1','HD1')
                GROUP BY f.id""", Double.class);
        assertThat(shares).hasSize(2).allSatisfy(s -> assertThat(s).isGreaterThanOrEqualTo(0.40));
    }

    @Test
    void pressingOneAtEveryListReachesAFreePublicSlotWithinSevenDays() {
        for (ServiceKind kind : ServiceKind.values()) {
            Facility first = catalogue.bookableFacilities(kind, Channel.PHONE_MENU).get(0);
            assertThat(first).isEqualTo(catalogue.facilities(kind).get(0));
            BookableService service = catalogue.bookableServices(first.id(), kind, Channel.PHONE_MENU).get(0);
            assertThat(service).isEqualTo(catalogue.services(first.id(), kind).get(0));
            LocalDate date = catalogue.dates(service.id(), Channel.PHONE_MENU).get(0);
            assertThat(date).isBetween(LocalDate.now(clock), LocalDate.now(clock).plusDays(7));
            SlotOffer slot = catalogue.slots(service.id(), date, Channel.PHONE_MENU).get(0);
            assertThat(slot.pool()).isEqualTo(Pool.PUBLIC);
            assertThat(slot.free()).isPositive();
        }
    }

    @Test
    void listsComeInAStableOrder() {
        assertThat(catalogue.facilities(ServiceKind.OUTPATIENT)).extracting(Facility::code).startsWith("CY1", "HD1");
        assertThat(catalogue.facilities(ServiceKind.OUTPATIENT)).isEqualTo(catalogue.facilities(ServiceKind.OUTPATIENT));
        long cy1 = catalogue.facilities(ServiceKind.OUTPATIENT).get(0).id();
        assertThat(catalogue.services(cy1, ServiceKind.OUTPATIENT)).extracting(BookableService::name)
                .containsExactly("内科", "心内科", "眼科", "骨科");
    }

    @Test
    void toppingUpTwiceAddsNothingTheSecondTime() {
        LocalDate from = LocalDate.now(clock).plusDays(30);
        assertThat(demo.topUpSessions(from, 1)).isPositive();
        assertThat(demo.topUpSessions(from, 1)).isZero();
    }
}
