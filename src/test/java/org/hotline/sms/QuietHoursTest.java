package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.TestPropertySource;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.release.ReleaseScope;
import org.hotline.release.Reminders;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Quiet hours (21:00–08:00 here, as by default) across an outage: reminders the reminder run catches up
 * at night, and a next-dose notice that fell due while the gateway was down, are not sent at night; the
 * notice goes out at 08:00, a reminder held into its visit day is dropped (its text says 明天), and a
 * reminder caught up before the quiet hours goes out at once. The real dispatcher and embedded SMSC, on a
 * moving {@link TestClock}.
 */
@IntegrationTest
@TestPropertySource(properties = {"hotline.sms.quiet-hours.start=21:00", "hotline.sms.quiet-hours.end=08:00"})
class QuietHoursTest {

    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired BookingService booking;
    @Autowired Reminders reminders;
    @Autowired SmsOutbox outbox;
    @Autowired JdbcTemplate jdbc;

    @AfterEach
    void reset() {
        clock.reset();
    }

    String row(String phone, String kind) {
        return jdbc.queryForObject("SELECT status, next_attempt_at FROM sms_message WHERE phone = ? AND kind = ?",
                (rs, i) -> rs.getString(1) + " " + rs.getObject(2, LocalDateTime.class), phone, kind);
    }

    String status(String phone, String kind) {
        return jdbc.queryForObject("SELECT status FROM sms_message WHERE phone = ? AND kind = ?", String.class, phone, kind);
    }

    @Test
    void remindersAndNoticesDueDuringAnOutageDoNotGoOutAtNight() {
        // a morning of its own, well ahead, so no other test's messages are due with ours
        LocalDate today = LocalDate.now(clock).plusDays(40 + System.nanoTime() % 200);
        LocalDate visit = today.plusDays(2);
        clock.set(today.atTime(12, 0));
        long facility = fx.facility("DISTRICT_HOSPITAL");
        long dept = fx.outpatientService(facility);
        String patient = Fixtures.mobile();
        Booking b = SmsTestSupport.book(booking, fx.slot(dept, visit.atTime(9, 0), 0, 0, 3), patient, List.of());
        await("the confirmation sent", Duration.ofSeconds(20),
                () -> "DELIVERED".equals(status(patient, "CONFIRMATION")));

        // a next-dose notice due at 09:00 the day before the visit
        String vaccinated = Fixtures.mobile();
        LocalDate eve = visit.minusDays(1);
        clock.set(eve.atTime(8, 59));
        outbox.enqueue(null, SmsKind.NEXT_DOSE, vaccinated, "第2剂从今天起可以预约", eve.atTime(9, 0));
        assertThat(row(vaccinated, "NEXT_DOSE")).isEqualTo("PENDING " + eve.atTime(9, 0));

        // the gateway is down from 08:59 until 22:30: nothing ran at 09:00 nor at the reminder time (18:00)
        clock.set(eve.atTime(22, 30));
        assertThat(reminders.remindDue(ReleaseScope.facilities(facility))).isEqualTo(1);
        assertThat(row(patient, "REMINDER")).as("queued for the end of the quiet hours")
                .isEqualTo("PENDING " + visit.atTime(8, 0));
        outbox.wakeDispatchers();
        await("the overdue notice held", Duration.ofSeconds(20),
                () -> row(vaccinated, "NEXT_DOSE").equals("PENDING " + visit.atTime(8, 0)));
        clock.set(eve.atTime(23, 59));
        outbox.wakeDispatchers();
        sleep(1500);
        clock.set(visit.atTime(7, 59));
        outbox.wakeDispatchers();
        sleep(1500);
        assertThat(status(vaccinated, "NEXT_DOSE")).isEqualTo("PENDING");
        assertThat(status(patient, "REMINDER")).isEqualTo("PENDING");

        // 08:00: the notice goes out; the reminder would say 明天 on the visit day itself: dropped
        clock.set(visit.atTime(8, 0));
        outbox.wakeDispatchers();
        await("the notice delivered and the stale reminder dropped", Duration.ofSeconds(20),
                () -> "DELIVERED".equals(status(vaccinated, "NEXT_DOSE"))
                        && "CANCELLED".equals(status(patient, "REMINDER")));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sms_part p JOIN sms_message m ON m.id = p.message_id"
                + " WHERE m.phone = ? AND m.kind = 'REMINDER'", Integer.class, patient)).isZero();
        assertThat(b.date()).isEqualTo(visit);
    }

    @Test
    void aReminderCaughtUpBeforeTheQuietHoursGoesOutAtOnce() {
        LocalDate today = LocalDate.now(clock).plusDays(300 + System.nanoTime() % 200);
        LocalDate visit = today.plusDays(2);
        clock.set(today.atTime(12, 0));
        long facility = fx.facility("DISTRICT_HOSPITAL");
        String patient = Fixtures.mobile();
        SmsTestSupport.book(booking, fx.slot(fx.outpatientService(facility), visit.atTime(9, 0), 0, 0, 3), patient,
                List.of());
        // down over 18:00, back at 20:30
        clock.set(visit.minusDays(1).atTime(20, 30));
        assertThat(reminders.remindDue(ReleaseScope.facilities(facility))).isEqualTo(1);
        await("the reminder delivered", Duration.ofSeconds(20), () -> "DELIVERED".equals(status(patient, "REMINDER")));
    }

    @Test
    void theQuietHoursSpanMidnightAndEqualTimesSwitchThemOff() {
        QuietHours q = new QuietHours(LocalTime.of(21, 0), LocalTime.of(8, 0));
        assertThat(q.quietAt(LocalTime.of(20, 59))).isFalse();
        assertThat(q.quietAt(LocalTime.of(21, 0))).isTrue();
        assertThat(q.quietAt(LocalTime.of(3, 0))).isTrue();
        assertThat(q.quietAt(LocalTime.of(8, 0))).isFalse();
        LocalDateTime late = LocalDateTime.of(2031, 3, 1, 23, 0);
        assertThat(q.sendableFrom(late)).isEqualTo(LocalDateTime.of(2031, 3, 2, 8, 0));
        assertThat(q.sendableFrom(late.plusHours(4))).isEqualTo(LocalDateTime.of(2031, 3, 2, 8, 0));
        assertThat(q.sendableFrom(late.minusHours(3))).isEqualTo(late.minusHours(3));
        assertThat(QuietHours.NONE.quietAt(LocalTime.of(3, 0))).isFalse();
        QuietHours lunch = new QuietHours(LocalTime.of(12, 0), LocalTime.of(13, 30));
        assertThat(lunch.sendableFrom(LocalDateTime.of(2031, 3, 1, 12, 10))).isEqualTo(LocalDateTime.of(2031, 3, 1, 13, 30));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
