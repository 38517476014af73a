package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** Every booking rule gives its own typed reason, on the real database. */
@IntegrationTest
class BookingRulesTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired org.springframework.transaction.support.TransactionTemplate tx;

    long hospital;
    long dept;
    LocalDateTime day2;

    @BeforeEach
    void setUp() {
        clock.set(LocalDateTime.of(2030, 3, 4, 10, 0)); // a Monday, well ahead of real time
        hospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        day2 = LocalDateTime.of(2030, 3, 6, 9, 0);
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    BookingOutcome bookPhone(long slot, String id, String sms, String caller) {
        return booking.book(slot, null, new BookingRequest(0, id, sms, List.of(), caller, Channel.PHONE_MENU, "t", null));
    }

    Refusal refusal(BookingOutcome o) {
        assertThat(o).isInstanceOf(BookingOutcome.Refused.class);
        return ((BookingOutcome.Refused) o).reason();
    }

    Refusal refusal(HoldOutcome o) {
        assertThat(o).isInstanceOf(HoldOutcome.Refused.class);
        return ((HoldOutcome.Refused) o).reason();
    }

    @Test
    void confirmedBookingHasASixDigitCodeAndIsFoundByIdPhoneAndCode() {
        long slot = fx.slot(dept, day2, 1, 0, 3);
        String id = Fixtures.residentIdAged(70);
        String sms = Fixtures.mobile();
        String family = Fixtures.mobile();
        BookingOutcome out = booking.book(slot, null,
                new BookingRequest(0, id, sms, List.of(family), "01065529988", Channel.PHONE_MENU, "call-1", null));
        Booking b = ((BookingOutcome.Booked) out).booking();
        assertThat(b.code()).matches("[1-9]\\d{5}");
        assertThat(b.pool()).isEqualTo(Pool.PUBLIC);
        assertThat(b.patientMasked()).isEqualTo(ResidentId.mask(id)).doesNotContain(id.substring(6, 14));
        assertThat(b.familyPhones()).containsExactly(family);
        assertThat(booking.findActiveByCode(b.code())).map(Booking::id).contains(b.id());
        assertThat(booking.findByResidentId(id)).extracting(Booking::id).containsExactly(b.id());
        assertThat(booking.findByPhone(sms)).extracting(Booking::id).containsExactly(b.id());
        assertThat(booking.findByPhone(family)).extracting(Booking::id).containsExactly(b.id());
        assertThat(booking.findByPhone("010-65529988")).extracting(Booking::id).contains(b.id());
        // the whole ID is stored nowhere
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE patient_masked = ? OR patient_hash = ?",
                Integer.class, id, id)).isZero();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(3, 0, 1);
    }

    @Test
    void malformedIdAndWrongCheckDigitAreRefusedAndTheHoldIsKept() {
        long slot = fx.slot(dept, day2, 0, 0, 2);
        HoldOutcome.Held h = (HoldOutcome.Held) booking.hold(slot, Channel.PHONE_MENU);
        String good = Fixtures.residentIdAged(50);
        String wrongCheck = good.substring(0, 17) + (good.charAt(17) == '1' ? '2' : '1');
        assertThat(refusal(booking.confirm(BookingRequest.phone(h.holdId(), "12345", null, null, "c"))))
                .isEqualTo(Refusal.ID_INVALID);
        assertThat(refusal(booking.confirm(BookingRequest.phone(h.holdId(), wrongCheck, null, null, "c"))))
                .isEqualTo(Refusal.ID_CHECK_DIGIT);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(2, 1, 0);
        assertThat(booking.confirm(BookingRequest.phone(h.holdId(), good, null, null, "c")))
                .isInstanceOf(BookingOutcome.Booked.class);
    }

    @Test
    void landlineIsRefusedAsSmsNumber() {
        long slot = fx.slot(dept, day2, 0, 0, 2);
        assertThat(refusal(bookPhone(slot, Fixtures.residentIdAged(50), "01065529988", null)))
                .isEqualTo(Refusal.PHONE_NOT_MOBILE);
        assertThat(refusal(booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(50),
                Fixtures.mobile(), List.of("12345678"), null, Channel.AGENT, "a", null))))
                .isEqualTo(Refusal.PHONE_NOT_MOBILE);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(2, 0, 0);
    }

    @Test
    void pastSlotIsRefused() {
        long slot = fx.slot(dept, clock.now().minusHours(1), 0, 0, 2, clock.now().minusDays(3),
                clock.now().plusDays(1));
        assertThat(refusal(booking.hold(slot, Channel.PHONE_MENU))).isEqualTo(Refusal.SLOT_PAST);
    }

    @Test
    void closedPoolIsRefusedBeforeItOpensAndAfterItCloses() {
        LocalDateTime opens = clock.now().plusHours(1);
        long slot = fx.slot(dept, day2, 0, 0, 2, opens, day2.minusHours(2));
        assertThat(refusal(booking.hold(slot, Channel.PHONE_MENU))).isEqualTo(Refusal.POOL_CLOSED);
        clock.set(opens.minusSeconds(1));
        assertThat(refusal(booking.hold(slot, Channel.PHONE_MENU))).isEqualTo(Refusal.POOL_CLOSED);
        clock.set(opens);
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Held.class);
        clock.set(day2.minusHours(2));
        assertThat(refusal(booking.hold(slot, Channel.PHONE_MENU))).isEqualTo(Refusal.POOL_CLOSED);
    }

    @Test
    void onsitePoolIsNeverBookableByPhoneOrAgentOrDoctor() {
        long slot = fx.slot(dept, day2, 5, 0, 0);
        for (Channel c : Channel.values()) {
            if (c == Channel.HOSPITAL) {
                continue; // the hospital's own window (a HIS over FHIR): what ONSITE is for (docs/his.md)
            }
            assertThat(refusal(booking.hold(slot, Pool.ONSITE, c))).isEqualTo(Refusal.POOL_NOT_FOR_CHANNEL);
        }
        // with only ONSITE places left, the phone gets FULL, not a walk-in place
        assertThat(refusal(booking.hold(slot, Channel.PHONE_MENU))).isEqualTo(Refusal.FULL);
        assertThat(fx.counts(slot, "ONSITE")).containsExactly(5, 0, 0);
    }

    @Test
    void communityPoolIsOnlyForCommunityDoctorsWithAReferringCentre() {
        long slot = fx.slot(dept, day2, 0, 3, 0);
        assertThat(refusal(booking.hold(slot, Pool.COMMUNITY, Channel.PHONE_MENU)))
                .isEqualTo(Refusal.POOL_NOT_FOR_CHANNEL);
        assertThat(refusal(booking.hold(slot, Pool.COMMUNITY, Channel.AGENT))).isEqualTo(Refusal.POOL_NOT_FOR_CHANNEL);
        assertThat(refusal(booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(60),
                Fixtures.mobile(), List.of(), null, Channel.COMMUNITY_DOCTOR, "dr", null))))
                .isEqualTo(Refusal.REFERRAL_REQUIRED);
        assertThat(refusal(booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(60),
                Fixtures.mobile(), List.of(), null, Channel.COMMUNITY_DOCTOR, "dr", hospital))))
                .isEqualTo(Refusal.REFERRAL_REQUIRED);
        long centre = fx.facility("COMMUNITY_CENTRE");
        BookingOutcome ok = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(60),
                Fixtures.mobile(), List.of(), null, Channel.COMMUNITY_DOCTOR, "dr", centre));
        assertThat(((BookingOutcome.Booked) ok).booking().pool()).isEqualTo(Pool.COMMUNITY);
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(3, 0, 1);
    }

    @Test
    void onePatientOneBookingPerServicePerDay() {
        long a = fx.slot(dept, day2, 0, 0, 3);
        long b = fx.slot(dept, day2.plusHours(1), 0, 0, 3);
        String id = Fixtures.residentIdAged(66);
        assertThat(bookPhone(a, id, null, null)).isInstanceOf(BookingOutcome.Booked.class);
        assertThat(refusal(bookPhone(b, id, null, null))).isEqualTo(Refusal.DUPLICATE_SAME_DAY);
        assertThat(booking.checkPatient(dept, day2.toLocalDate(), id, Channel.PHONE_MENU))
                .map(BookingOutcome.Refused::reason).contains(Refusal.DUPLICATE_SAME_DAY);
        assertThat(fx.counts(b, "PUBLIC")).containsExactly(3, 0, 0);
        // another department the same day is fine
        long other = fx.outpatientService(hospital);
        long c = fx.slot(other, day2, 0, 0, 3);
        assertThat(bookPhone(c, id, null, null)).isInstanceOf(BookingOutcome.Booked.class);
    }

    @Test
    void atMostFiveActiveBookingsPerPatient() {
        String id = Fixtures.residentIdAged(71);
        for (int d = 1; d <= 5; d++) {
            long s = fx.slot(dept, day2.plusDays(d), 0, 0, 2);
            assertThat(bookPhone(s, id, null, null)).isInstanceOf(BookingOutcome.Booked.class);
        }
        long sixth = fx.slot(dept, day2.plusDays(6), 0, 0, 2);
        assertThat(refusal(bookPhone(sixth, id, null, null))).isEqualTo(Refusal.TOO_MANY_FOR_PATIENT);
        assertThat(fx.counts(sixth, "PUBLIC")).containsExactly(2, 0, 0);
    }

    @Test
    void atMostFiveBookingsADayFromOneCallingNumber() {
        String caller = Fixtures.mobile();
        for (int i = 0; i < 5; i++) {
            long s = fx.slot(dept, day2.plusMinutes(30L * i), 0, 0, 2);
            assertThat(bookPhone(s, Fixtures.residentIdAged(60 + i), null, caller))
                    .isInstanceOf(BookingOutcome.Booked.class);
        }
        long s = fx.slot(dept, day2.plusHours(4), 0, 0, 2);
        assertThat(refusal(bookPhone(s, Fixtures.residentIdAged(40), null, caller)))
                .isEqualTo(Refusal.TOO_MANY_FOR_CALLER);
        // the next day the number may book again
        clock.set(clock.now().plusDays(1));
        long t = fx.slot(dept, day2.plusDays(3), 0, 0, 2);
        assertThat(bookPhone(t, Fixtures.residentIdAged(41), null, caller)).isInstanceOf(BookingOutcome.Booked.class);
    }

    @Test
    void callerLimitHoldsUnderConcurrency() throws Exception {
        String caller = Fixtures.mobile();
        long s = fx.slot(dept, day2.plusDays(2), 0, 0, 40);
        java.util.concurrent.atomic.AtomicInteger booked = new java.util.concurrent.atomic.AtomicInteger();
        QuotaRaceTest.runConcurrently(30, i -> {
            if (bookPhone(s, Fixtures.residentIdAged(30 + i), null, caller) instanceof BookingOutcome.Booked) {
                booked.incrementAndGet();
            }
        });
        assertThat(booked.get()).isEqualTo(5);
        assertThat(fx.counts(s, "PUBLIC")).containsExactly(40, 0, 5);
    }

    @Test
    void vaccineAgeRangeAndDoseIntervalAndDoseCount() {
        long clinic = fx.facility("VACCINATION_CLINIC");
        long vaccine = fx.vaccine(2, 30, 50, 120);
        long svc = fx.vaccineService(clinic, vaccine);
        long first = fx.slot(svc, day2, 0, 0, 5);
        // too young
        assertThat(refusal(bookPhone(first, Fixtures.residentIdAged(30), null, null)))
                .isEqualTo(Refusal.AGE_OUT_OF_RANGE);
        String id = Fixtures.residentIdAged(65);
        Booking dose1 = ((BookingOutcome.Booked) bookPhone(first, id, null, null)).booking();
        assertThat(dose1.doseNumber()).isEqualTo(1);
        assertThat(dose1.nextDoseFrom()).isEqualTo(day2.toLocalDate().plusDays(30));
        // second dose too soon: the earliest allowed date comes with the refusal
        long tooSoon = fx.slot(svc, day2.plusDays(10), 0, 0, 5);
        BookingOutcome.Refused r = (BookingOutcome.Refused) bookPhone(tooSoon, id, null, null);
        assertThat(r.reason()).isEqualTo(Refusal.DOSE_TOO_SOON);
        assertThat(r.earliestDate()).isEqualTo(day2.toLocalDate().plusDays(30));
        long inTime = fx.slot(svc, day2.plusDays(30), 0, 0, 5);
        Booking dose2 = ((BookingOutcome.Booked) bookPhone(inTime, id, null, null)).booking();
        assertThat(dose2.doseNumber()).isEqualTo(2);
        assertThat(dose2.nextDoseFrom()).isNull();
        long third = fx.slot(svc, day2.plusDays(70), 0, 0, 5);
        assertThat(refusal(bookPhone(third, id, null, null))).isEqualTo(Refusal.ALL_DOSES_DONE);
    }

    @Test
    void cancelReturnsThePlaceToItsPoolUntilTheCutoff() {
        long slot = fx.slot(dept, day2, 0, 0, 1);
        Booking b = ((BookingOutcome.Booked) bookPhone(slot, Fixtures.residentIdAged(75), null, null)).booking();
        assertThat(refusal(bookPhone(slot, Fixtures.residentIdAged(76), null, null))).isEqualTo(Refusal.FULL);
        assertThat(booking.cancel(b.code(), Channel.PHONE_MENU, null, "c")).isInstanceOf(CancelOutcome.Cancelled.class);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 0);
        assertThat(((CancelOutcome.Refused) booking.cancel(b.id(), Channel.AGENT, null, "a")).reason())
                .isEqualTo(Refusal.NOT_ACTIVE);
        Booking again = ((BookingOutcome.Booked) bookPhone(slot, Fixtures.residentIdAged(77), null, null)).booking();
        clock.set(day2.minusHours(2).plusMinutes(1)); // inside the 2 h cut-off
        assertThat(((CancelOutcome.Refused) booking.cancel(again.code(), Channel.PHONE_MENU, null, "c")).reason())
                .isEqualTo(Refusal.CANCEL_TOO_LATE);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 1);
    }

    @Test
    void smsReplyMayCancelOnlyFromAPhoneTiedToTheBooking() {
        long slot = fx.slot(dept, day2, 0, 0, 2);
        String patientPhone = Fixtures.mobile();
        String family = Fixtures.mobile();
        Booking b = ((BookingOutcome.Booked) booking.book(slot, null, new BookingRequest(0,
                Fixtures.residentIdAged(80), patientPhone, List.of(family), null, Channel.PHONE_MENU, "c", null)))
                .booking();
        assertThat(((CancelOutcome.Refused) booking.cancel(b.code(), Channel.SMS_REPLY, Fixtures.mobile(), "sms"))
                .reason()).isEqualTo(Refusal.NOT_ALLOWED);
        assertThat(booking.cancel(b.code(), Channel.SMS_REPLY, family, "sms")).isInstanceOf(CancelOutcome.Cancelled.class);
    }

    @Test
    void oneRuleTiesAPhoneToABookingForTheMenuAndForSmsReplies() {
        long slot = fx.slot(dept, day2, 0, 0, 2);
        String patientPhone = Fixtures.mobile();
        String family = Fixtures.mobile();
        String caller = Fixtures.mobile();
        String id = Fixtures.residentIdAged(79);
        Booking b = ((BookingOutcome.Booked) booking.book(slot, null, new BookingRequest(0, id, patientPhone,
                List.of(family), "+86 " + caller, Channel.PHONE_MENU, "c", null))).booking();
        String stranger = Fixtures.mobile();
        for (String tied : List.of(patientPhone, family, caller, "+86" + caller)) {
            assertThat(booking.isTiedTo(b.id(), tied)).as(tied).isTrue();
            assertThat(booking.findActiveByCodeTiedTo(b.code(), tied)).as(tied).isPresent();
            assertThat(booking.findByResidentIdTiedTo(id, tied)).as(tied).hasSize(1);
        }
        assertThat(booking.isTiedTo(b.id(), stranger)).isFalse();
        assertThat(booking.isTiedTo(b.id(), "")).isFalse();
        assertThat(booking.isTiedTo(b.id(), null)).isFalse();
        assertThat(booking.findActiveByCodeTiedTo(b.code(), stranger)).isEmpty();
        assertThat(booking.findByResidentIdTiedTo(id, stranger)).isEmpty();
        // the number it was booked from may cancel by SMS too, as it may by phone
        assertThat(booking.cancel(b.code(), Channel.SMS_REPLY, caller, "sms")).isInstanceOf(CancelOutcome.Cancelled.class);
    }

    @Test
    void anExpiredHoldCannotBeConfirmedAndItsPlaceComesBack() {
        long slot = fx.slot(dept, day2, 0, 0, 1);
        HoldOutcome.Held h = (HoldOutcome.Held) booking.hold(slot, Channel.PHONE_MENU);
        assertThat(refusal(booking.hold(slot, Channel.PHONE_MENU))).isEqualTo(Refusal.FULL);
        clock.set(clock.now().plusMinutes(5).plusSeconds(1));
        assertThat(refusal(booking.confirm(BookingRequest.phone(h.holdId(), Fixtures.residentIdAged(50), null, null,
                "c")))).isEqualTo(Refusal.HOLD_EXPIRED);
        assertThat(booking.expireHolds()).isGreaterThanOrEqualTo(1);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 0);
        assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Held.class);
    }

    @Test
    void releasingAHoldGivesThePlaceBackAtOnceAndOnlyOnce() {
        long slot = fx.slot(dept, day2, 0, 0, 1);
        HoldOutcome.Held h = (HoldOutcome.Held) booking.hold(slot, Channel.PHONE_MENU);
        assertThat(booking.release(h.holdId())).isTrue();
        assertThat(booking.release(h.holdId())).isFalse();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 0);
    }

    @Test
    void aHoldTakenInsideARolledBackTransactionLeavesNothingBehind() {
        long slot = fx.slot(dept, day2, 0, 0, 1);
        Integer holdsBefore = jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ?", Integer.class, slot);
        tx.executeWithoutResult(status -> {
            assertThat(booking.hold(slot, Channel.PHONE_MENU)).isInstanceOf(HoldOutcome.Held.class);
            status.setRollbackOnly();
        });
        // take_hold joined the caller's transaction instead of committing on its own
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 0);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ?", Integer.class, slot))
                .isEqualTo(holdsBefore);
    }

    @Test
    void blockedPatientIsRefusedOnThePhoneButAnAgentMayStillBook() {
        String id = Fixtures.residentIdAged(82);
        long s1 = fx.slot(dept, day2, 0, 0, 2);
        long s2 = fx.slot(dept, day2.plusDays(1), 0, 0, 2);
        assertThat(bookPhone(s1, id, null, null)).isInstanceOf(BookingOutcome.Booked.class);
        jdbc.update("UPDATE patient SET phone_blocked_until = ? WHERE id_hash = ?", LocalDate.of(2030, 4, 1),
                booking.hashOf(ResidentId.of(id).value()));
        assertThat(refusal(bookPhone(s2, id, null, null))).isEqualTo(Refusal.PATIENT_BLOCKED);
        assertThat(booking.book(s2, null, new BookingRequest(0, id, null, List.of(), null, Channel.AGENT, "a", null)))
                .isInstanceOf(BookingOutcome.Booked.class);
    }
}
