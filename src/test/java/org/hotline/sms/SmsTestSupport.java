package org.hotline.sms;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.testsupport.Fixtures;

/** Small helpers the SMS tests share: book with phones, wait for a condition, read statuses. */
final class SmsTestSupport {

    private SmsTestSupport() {
    }

    static void await(String what, Duration max, BooleanSupplier done) {
        long end = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + max.toSeconds() + " s waiting for: " + what);
            }
            PerlSmsc.sleep(50);
        }
    }

    /** A slot three days ahead (so cancelling is allowed) with {@code places} public places. */
    static long slot(Fixtures fx, long serviceId, int places, int dayOffset) {
        LocalDateTime start = LocalDateTime.now(org.hotline.TimeConfig.ZONE).plusDays(3 + dayOffset).withHour(9)
                .withMinute(0).withSecond(0).withNano(0);
        return fx.slot(serviceId, start, 0, 0, places);
    }

    static Booking book(BookingService booking, long slot, String sms, List<String> family) {
        BookingOutcome out = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(72), sms, family,
                null, Channel.PHONE_MENU, "sms-test", null));
        if (out instanceof BookingOutcome.Booked b) {
            return b.booking();
        }
        throw new AssertionError("booking refused: " + out);
    }

    static long count(JdbcTemplate jdbc, String sql, Object... args) {
        Long n = jdbc.queryForObject(sql, Long.class, args);
        return n == null ? 0 : n;
    }

    static String status(JdbcTemplate jdbc, long messageId) {
        return jdbc.queryForObject("SELECT status FROM sms_message WHERE id = ?", String.class, messageId);
    }

    static List<String> statusesTo(JdbcTemplate jdbc, String phone) {
        return jdbc.queryForList("SELECT status FROM sms_message WHERE phone = ? ORDER BY id", String.class, phone);
    }

    static String dump(JdbcTemplate jdbc, String phone) {
        return jdbc.queryForList("SELECT m.id, m.status, m.parts, m.attempts, m.last_error, p.part_no, p.smsc_id, p.status AS part_status "
                + "FROM sms_message m LEFT JOIN sms_part p ON p.message_id = m.id WHERE m.phone = ?", phone).toString()
                + " waiting=" + jdbc.queryForList("SELECT * FROM sms_receipt_waiting");
    }

    static boolean allDelivered(JdbcTemplate jdbc, String phone, int expected) {
        List<String> s = statusesTo(jdbc, phone);
        return s.size() == expected && s.stream().allMatch("DELIVERED"::equals);
    }
}
