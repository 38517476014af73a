package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingEvents;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.testsupport.Fixtures;

/** The outbox commits and rolls back with the booking change that caused it. */
@PerlSmscContext
class SmsOutboxTest {

    @Autowired BookingService booking;
    @Autowired TransactionTemplate tx;
    @Autowired ApplicationEventPublisher events;
    @Autowired SmsTemplates templates;
    @Autowired Fixtures fx;
    @Autowired JdbcTemplate jdbc;

    PerlSmsc smsc = PerlSmscContext.Shared.smsc();
    long dept;

    @BeforeEach
    void setUp() {
        smsc.control(Map.of());
        dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
    }

    long rowsTo(String phone) {
        return SmsTestSupport.count(jdbc, "SELECT COUNT(*) FROM sms_message WHERE phone = ?", phone);
    }

    @Test
    void aRolledBackBookingSendsNothingAndACommittedOneAlwaysSends() {
        long slot = SmsTestSupport.slot(fx, dept, 5, 2);
        String rolledBack = Fixtures.mobile();
        String rolledBackFamily = Fixtures.mobile();
        String committed = Fixtures.mobile();

        tx.executeWithoutResult(st -> {
            SmsTestSupport.book(booking, slot, rolledBack, List.of(rolledBackFamily));
            // inside the booking's transaction the rows are there (same transaction, not after commit)...
            assertThat(rowsTo(rolledBack)).isEqualTo(1);
            assertThat(rowsTo(rolledBackFamily)).isEqualTo(1);
            st.setRollbackOnly();
        });
        // ...and gone with it
        assertThat(rowsTo(rolledBack)).isZero();
        assertThat(rowsTo(rolledBackFamily)).isZero();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(5, 0, 0);

        Booking b = tx.execute(st -> SmsTestSupport.book(booking, slot, committed, List.of()));
        await("committed confirmation delivered", Duration.ofSeconds(20),
                () -> SmsTestSupport.allDelivered(jdbc, committed, 1));
        assertThat(smsc.textsTo(committed)).containsExactly(templates.confirmation(b, templates.placeOf(b)));
        // the rolled-back one never reached the SMSC (it was queued before the committed one)
        assertThat(smsc.submitsTo(rolledBack)).isEmpty();
        assertThat(smsc.submitsTo(rolledBackFamily)).isEmpty();
    }

    @Test
    void aFailureLaterInTheBookingsTransactionTakesTheBookingAndItsSmsWithIt() {
        long slot = SmsTestSupport.slot(fx, dept, 5, 2);
        String phone = Fixtures.mobile();
        jdbc.update("INSERT INTO sms_message (kind, phone, phone_masked, body, parts, status, next_attempt_at, "
                + "dedupe_key, created_at) VALUES ('REPLY', '0', '0', 'x', 1, 'CANCELLED', NOW(), ?, NOW())",
                "block-" + phone);
        // the booking (with its SMS rows) and a later write that fails share one transaction: nothing half done
        try {
            tx.executeWithoutResult(st -> {
                SmsTestSupport.book(booking, slot, phone, List.of());
                jdbc.update("INSERT INTO sms_message (kind, phone, phone_masked, body, parts, status, "
                        + "next_attempt_at, dedupe_key, created_at) VALUES ('REPLY', '0', '0', 'x', 1, 'PENDING', "
                        + "NOW(), ?, NOW())", "block-" + phone);
            });
        } catch (org.springframework.dao.DuplicateKeyException expected) {
            // the second write failed
        }
        assertThat(rowsTo(phone)).isZero();
        assertThat(booking.findByPhone(phone)).isEmpty();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(5, 0, 0);
    }

    @Test
    void reminderDueQueuesTheReminderForPatientAndFamilyOnce() {
        String patient = Fixtures.mobile();
        String family = Fixtures.mobile();
        Booking b = SmsTestSupport.book(booking, SmsTestSupport.slot(fx, dept, 5, 2), patient, List.of(family));
        tx.executeWithoutResult(st -> events.publishEvent(new BookingEvents.ReminderDue(b)));
        tx.executeWithoutResult(st -> events.publishEvent(new BookingEvents.ReminderDue(b))); // a repeat is ignored
        await("reminders delivered", Duration.ofSeconds(20),
                () -> SmsTestSupport.allDelivered(jdbc, patient, 2) && SmsTestSupport.allDelivered(jdbc, family, 2));
        SmsTemplates.Place place = templates.placeOf(b);
        assertThat(smsc.textsTo(patient)).contains(templates.reminder(b, place, false));
        assertThat(smsc.textsTo(family)).contains(templates.reminder(b, place, true));
        assertThat(templates.reminder(b, place, true)).contains(b.patientMasked(), "明天", b.code());
    }

    @Test
    void aVaccineBookingSchedulesTheNextDoseNoticeAndCancellingDropsIt() {
        long clinic = fx.facility("VACCINATION_CLINIC");
        long vaccine = fx.vaccine(2, 28, 0, 120);
        long service = fx.vaccineService(clinic, vaccine);
        String patient = Fixtures.mobile();
        Booking b = SmsTestSupport.book(booking, SmsTestSupport.slot(fx, service, 5, 2), patient, List.of());
        assertThat(b.nextDoseFrom()).isEqualTo(b.date().plusDays(28));
        Map<String, Object> next = jdbc.queryForMap(
                "SELECT status, next_attempt_at, body FROM sms_message WHERE booking_id = ? AND kind = 'NEXT_DOSE'", b.id());
        assertThat(next.get("status")).isEqualTo("PENDING");
        assertThat(next.get("next_attempt_at").toString()).startsWith(b.nextDoseFrom().toString());
        assertThat((String) next.get("body")).isEqualTo(templates.nextDose(b, false)).contains("第2剂");
        assertThat(templates.confirmation(b, templates.placeOf(b))).contains("第1剂", "第2剂最早");

        booking.cancel(b.code(), Channel.AGENT, null, "agent-1");
        assertThat(jdbc.queryForObject("SELECT status FROM sms_message WHERE booking_id = ? AND kind = 'NEXT_DOSE'",
                String.class, b.id())).isEqualTo("CANCELLED");
    }
}
