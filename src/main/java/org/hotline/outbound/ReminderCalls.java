package org.hotline.outbound;

import java.time.LocalDateTime;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingEvents;
import org.hotline.booking.PhoneNumber;

/**
 * The day-before reminder by telephone: when the release module's reminder job says a booking's reminder is due
 * (in its transaction, next to the SMS), a call is queued for a booking made from a landline (the SMS cannot
 * reach it) or to a number whose owner asked for voice reminders. The call may be placed until two hours before
 * the booking.
 */
@Component
public class ReminderCalls {

    private final OutboundCalls calls;
    private final OutboundStore store;

    public ReminderCalls(OutboundCalls calls, OutboundStore store) {
        this.calls = calls;
        this.store = store;
    }

    @EventListener
    public void on(BookingEvents.ReminderDue e) {
        if (!calls.properties().voiceReminders()) {
            return;
        }
        String number = voiceNumber(e.booking());
        if (number == null) {
            return;
        }
        LocalDateTime notAfter = e.booking().startsAt().minusHours(2);
        calls.request(Purpose.REMINDER, String.valueOf(e.booking().id()), number, LocalDateTime.MIN.plusYears(1),
                notAfter);
    }

    /** The number to call about this booking, or null when an SMS is enough. */
    String voiceNumber(Booking b) {
        String calling = PhoneNumber.normalise(b.callingNumber());
        String sms = PhoneNumber.normalise(b.smsPhone());
        if (sms != null && !sms.isEmpty() && store.prefersVoice(sms)) {
            return sms;
        }
        if (calling != null && !calling.isEmpty() && (store.prefersVoice(calling) || !PhoneNumber.isMobile(calling))) {
            return calling;
        }
        return null;
    }
}
