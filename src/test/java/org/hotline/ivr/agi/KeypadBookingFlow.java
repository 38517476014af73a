package org.hotline.ivr.agi;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.HoldOutcome;
import org.hotline.booking.PhoneNumber;
import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallHandler;
import org.hotline.ivr.CallerHungUp;

/**
 * A small stand-in for the flow engine, for the adapter's own tests and benchmark: menu → hold →
 * resident ID → read back → confirm → goodbye, booking through the real {@link BookingService}, and
 * releasing the hold at once when the caller hangs up, as the engine must.
 */
public final class KeypadBookingFlow implements CallHandler {

    /** How each call ended, by call id. */
    public final Map<String, String> outcomes = new ConcurrentHashMap<>();

    private final BookingService booking;
    private final LongSupplier slot;
    private final Duration timeout;

    public KeypadBookingFlow(BookingService booking, LongSupplier slot, Duration timeout) {
        this.booking = booking;
        this.slot = slot;
        this.timeout = timeout;
    }

    @Override
    public void answer(CallChannel call) {
        Long holdId = null;
        try {
            String choice = ask(call, List.of("welcome", "main_menu"), 1);
            if (!choice.equals("1")) {
                call.transferToAgent("T-" + call.callId(), 0);
                outcomes.put(call.callId(), "transfer");
                return;
            }
            HoldOutcome held = booking.hold(slot.getAsLong(), org.hotline.booking.Channel.PHONE_MENU);
            if (held instanceof HoldOutcome.Refused r) {
                call.play(List.of("full"));
                call.hangUp();
                outcomes.put(call.callId(), "refused " + r.reason());
                return;
            }
            holdId = ((HoldOutcome.Held) held).holdId();
            String id = ask(call, List.of("ask_id"), 18);
            String confirm = ask(call, List.of("read_back", "confirm_menu"), 1);
            if (!confirm.equals("1")) {
                booking.release(holdId);
                holdId = null;
                call.hangUp();
                outcomes.put(call.callId(), "declined");
                return;
            }
            String sms = PhoneNumber.isMobile(call.callerNumber()) ? PhoneNumber.normalise(call.callerNumber()) : null;
            BookingOutcome out = booking.confirm(BookingRequest.phone(holdId, id, sms, call.callerNumber(),
                    call.callId()));
            holdId = null;
            if (out instanceof BookingOutcome.Booked b) {
                call.play(List.of("booked", "goodbye"));
                call.hangUp();
                outcomes.put(call.callId(), "booked " + b.booking().code());
            } else {
                call.play(List.of("refused", "goodbye"));
                call.hangUp();
                outcomes.put(call.callId(), "refused " + ((BookingOutcome.Refused) out).reason());
            }
        } catch (CallerHungUp e) {
            outcomes.put(call.callId(), "hung up");
        } finally {
            if (holdId != null) {
                booking.release(holdId);
            }
        }
    }

    /** Three tries, as the hotline's menus give elders. */
    private String ask(CallChannel call, List<String> prompts, int keys) {
        for (int i = 0; i < 3; i++) {
            String k = call.collect(prompts, keys, timeout);
            if (!k.isEmpty()) {
                return k;
            }
        }
        return "0";
    }
}
