package org.hotline.outbound;

import java.time.Clock;
import java.time.LocalDateTime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import org.hotline.booking.BookingEvents;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.Waitlist;

/**
 * Calls that offer a place (issue 18), for the same people the day-before reminder calls (a booking made from a
 * landline, or a number whose owner asked for voice calls; {@link ReminderCalls#voiceNumber}), next to the SMS the
 * booking core's events already send:
 * <ul>
 * <li>停诊 ({@link BookingEvents.CancelledByHospital} with a place offered): {@code ivr-flows/session_cancelled.yaml},
 * placed until two hours before the offered time (at most a day on);</li>
 * <li>a waiting list's place ({@link BookingEvents.WaitlistOffered}): {@code ivr-flows/waitlist_offer.yaml}, placed
 * while the place is held.</li>
 * </ul>
 * Opt-outs, quiet hours and the daily cap apply as to every call ({@link OutboundCalls}). The events come inside the
 * booking core's transactions (the 停诊's cancellation of each booking, the waiting list's offer): a call that cannot
 * be queued is logged and never undoes them (the SMS still tells the person).
 */
@Component
public class OfferCalls {

    private static final Logger log = LoggerFactory.getLogger(OfferCalls.class);

    private final OutboundCalls calls;
    private final OutboundStore store;
    private final ReminderCalls reminders;
    private final Waitlist waitlist;
    private final Clock clock;

    public OfferCalls(OutboundCalls calls, OutboundStore store, ReminderCalls reminders, Waitlist waitlist,
            Clock clock) {
        this.calls = calls;
        this.store = store;
        this.reminders = reminders;
        this.waitlist = waitlist;
        this.clock = clock;
    }

    @EventListener
    public void on(BookingEvents.CancelledByHospital e) {
        if (!calls.properties().voiceReminders() || e.alternative() == null) {
            return; // nothing to offer: the SMS says so, and the console's worklist phones the elders
        }
        String number = reminders.voiceNumber(e.booking());
        if (number == null) {
            return;
        }
        LocalDateTime now = LocalDateTime.now(clock);
        LocalDateTime beforeOffer = e.alternative().offer().startsAt().minusHours(2);
        LocalDateTime notAfter = beforeOffer.isBefore(now.plusDays(1)) ? beforeOffer : now.plusDays(1);
        queue(Purpose.SESSION_CANCELLED, String.valueOf(e.booking().id()), number, now, notAfter);
    }

    @EventListener
    public void on(BookingEvents.WaitlistOffered e) {
        if (!calls.properties().voiceReminders()) {
            return;
        }
        String number = voiceNumber(e.phone(), waitlist.offer(e.entryId()).map(Waitlist.Offer::callingNumber)
                .orElse(null));
        if (number == null) {
            return;
        }
        queue(Purpose.WAITLIST_OFFER, String.valueOf(e.entryId()), number, LocalDateTime.now(clock), e.expiresAt());
    }

    private void queue(Purpose purpose, String ref, String number, LocalDateTime due, LocalDateTime notAfter) {
        try {
            calls.request(purpose, ref, number, due, notAfter);
        } catch (RuntimeException ex) {
            log.error("{} call about {} to {} not queued: {}", purpose, ref, PhoneNumber.mask(number), ex.toString());
        }
    }

    /** The SMS number if its owner asked for calls, else the calling number if it is a landline or asked. */
    String voiceNumber(String smsPhone, String callingNumber) {
        String sms = PhoneNumber.normalise(smsPhone);
        String calling = PhoneNumber.normalise(callingNumber);
        if (sms != null && !sms.isEmpty() && store.prefersVoice(sms)) {
            return sms;
        }
        if (calling != null && !calling.isEmpty() && (store.prefersVoice(calling) || !PhoneNumber.isMobile(calling))) {
            return calling;
        }
        return null;
    }
}
