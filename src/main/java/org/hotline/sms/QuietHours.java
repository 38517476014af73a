package org.hotline.sms;

import java.time.LocalDateTime;
import java.time.LocalTime;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code hotline.sms.quiet-hours.*}: no SMS that is not an answer to the caller ({@link SmsKind#keepsQuietHours()}:
 * reminders, next-dose notices) goes out between {@code start} and {@code end}, local time of the injected
 * clock (Asia/Shanghai). Such a message queued or falling due meanwhile (a reminder run catching up after
 * an outage, a retry) waits until {@code end}. Equal times switch it off.
 *
 * @param start first quiet minute (default 21:00)
 * @param end   first minute messages go out again (default 08:00); before {@code start} means the quiet
 *              hours span midnight
 */
@ConfigurationProperties("hotline.sms.quiet-hours")
public record QuietHours(LocalTime start, LocalTime end) {

    public QuietHours {
        start = start == null ? LocalTime.of(21, 0) : start;
        end = end == null ? LocalTime.of(8, 0) : end;
    }

    /** Off: every message goes out whenever it is due. */
    public static final QuietHours NONE = new QuietHours(LocalTime.MIDNIGHT, LocalTime.MIDNIGHT);

    public boolean quietAt(LocalTime t) {
        if (start.equals(end)) {
            return false;
        }
        return start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
    }

    /** {@code at}, or the end of the quiet hours it falls in. */
    public LocalDateTime sendableFrom(LocalDateTime at) {
        if (!quietAt(at.toLocalTime())) {
            return at;
        }
        LocalDateTime sameDay = at.toLocalDate().atTime(end);
        return sameDay.isAfter(at) ? sameDay : sameDay.plusDays(1);
    }
}
