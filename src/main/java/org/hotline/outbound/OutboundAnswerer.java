package org.hotline.outbound;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingService;
import org.hotline.booking.SessionCancellations;
import org.hotline.booking.Waitlist;
import org.hotline.handoff.CallbackRequest;
import org.hotline.handoff.TransferLog;
import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallResult;
import org.hotline.ivr.CallerHungUp;
import org.hotline.ivr.FlowEngine;
import org.hotline.ivr.OutboundAnswer;

/**
 * Runs an answered outbound call, on whichever node Asterisk (or the SIP adapter) hands it to: the token names the
 * call (a 128-bit random value written when a node claimed it; an unknown, used or guessed token gets no prompt,
 * only a hang-up). A reminder runs {@code ivr-flows/reminder.yaml} with its booking; a call-back hears
 * "这里是预约热线，给您回电话" and goes to the agents' queue first in line with its transfer (the agent's screen
 * shows why the person called). The try's outcome is recorded when the call ends.
 */
@Component
public class OutboundAnswerer implements OutboundAnswer {

    private static final Logger log = LoggerFactory.getLogger(OutboundAnswerer.class);

    private final OutboundStore store;
    private final OutboundCalls calls;
    private final FlowEngine engine;
    private final BookingService booking;
    private final TransferLog transfers;
    private final Clock clock;
    private final SessionCancellations cancellations;
    private final Waitlist waitlist;

    public OutboundAnswerer(OutboundStore store, OutboundCalls calls, FlowEngine engine, BookingService booking,
            TransferLog transfers, Clock clock, SessionCancellations cancellations, Waitlist waitlist) {
        this.store = store;
        this.calls = calls;
        this.engine = engine;
        this.booking = booking;
        this.transfers = transfers;
        this.clock = clock;
        this.cancellations = cancellations;
        this.waitlist = waitlist;
    }

    @Override
    public void answer(CallChannel call, String token) {
        Optional<OutboundStore.OutboundCall> found = store.byToken(token);
        if (found.isEmpty() || !store.answered(found.get(), call.callId(), LocalDateTime.now(clock))) {
            log.warn("outbound call with an unknown or used token: hung up without a prompt");
            hangUpQuietly(call);
            return;
        }
        OutboundStore.OutboundCall c = found.get();
        OutboundChannel ch = new OutboundChannel(call, c.number());
        AtomicBoolean optedOut = new AtomicBoolean();
        Outcome outcome;
        try {
            outcome = switch (c.purpose()) {
                case CALLBACK -> callBack(c, ch);
                case SESSION_CANCELLED -> sessionCancelled(c, ch, optedOut);
                case WAITLIST_OFFER -> waitlistOffer(c, ch, optedOut);
                default -> reminder(c, ch, optedOut);
            };
        } catch (CallerHungUp e) {
            outcome = ch.silence() ? Outcome.SILENCE : Outcome.HUNG_UP;
        } catch (RuntimeException e) {
            log.error("outbound call {} failed: {}", c.id(), e.toString(), e);
            outcome = Outcome.FAILED;
        }
        if (optedOut.get()) {
            outcome = Outcome.OPTED_OUT;
        }
        calls.finish(c, outcome, ch.keys(), call.callId());
    }

    private Outcome reminder(OutboundStore.OutboundCall c, OutboundChannel ch, AtomicBoolean optedOut) {
        Optional<Booking> b = booking.findById(Long.parseLong(c.ref()));
        if (b.isEmpty() || b.get().status() != Booking.BookingStatus.ACTIVE) {
            // cancelled between dialling and answering: say nothing about it, end politely
            ch.play(List.of("outbound_goodbye"));
            ch.hangUp();
            return Outcome.ANSWERED;
        }
        CallResult r = engine.runOutbound(ch, new FlowEngine.OutboundStart("reminder", b.get(), () -> {
            optedOut.set(true);
            calls.optOut(c.number(), "KEY", "phone:" + c.numberMasked());
        }));
        if (ch.silence()) {
            return Outcome.SILENCE;
        }
        return r.end() == CallResult.End.HUNG_UP ? Outcome.HUNG_UP : Outcome.ANSWERED;
    }

    /** 停诊: the cancelled booking, the place offered instead; 1 moves to it (the SMS reply's move). */
    private Outcome sessionCancelled(OutboundStore.OutboundCall c, OutboundChannel ch, AtomicBoolean optedOut) {
        long bookingId = Long.parseLong(c.ref());
        Optional<Booking> b = booking.findById(bookingId);
        var offer = cancellations.openOffer(bookingId);
        if (b.isEmpty() || offer.isEmpty()) {
            // taken by an SMS reply (or withdrawn) between dialling and answering: nothing to offer
            ch.play(List.of("outbound_goodbye"));
            ch.hangUp();
            return Outcome.ANSWERED;
        }
        CallResult r = engine.runOutbound(ch, FlowEngine.OutboundStart.offering("session_cancelled", b.get(),
                optOut(c, optedOut), offer.get(), () -> cancellations.acceptOfferOf(bookingId,
                        c.number()) instanceof SessionCancellations.OfferOutcome.Moved ? "taken" : "gone", null));
        return ended(ch, r);
    }

    /** A waiting list's place, held for them: 1 books it, 2 gives it to the next one waiting. */
    private Outcome waitlistOffer(OutboundStore.OutboundCall c, OutboundChannel ch, AtomicBoolean optedOut) {
        long entryId = Long.parseLong(c.ref());
        Optional<Waitlist.Offer> offer = waitlist.offer(entryId);
        if (offer.isEmpty()) {
            ch.play(List.of("outbound_goodbye"));
            ch.hangUp();
            return Outcome.ANSWERED;
        }
        CallResult r = engine.runOutbound(ch, FlowEngine.OutboundStart.offering("waitlist_offer", null,
                optOut(c, optedOut), offer.get().place(),
                () -> waitlist.confirmOffer(entryId) instanceof BookingOutcome.Booked ? "taken" : "gone",
                () -> waitlist.decline(entryId)));
        return ended(ch, r);
    }

    private Runnable optOut(OutboundStore.OutboundCall c, AtomicBoolean optedOut) {
        return () -> {
            optedOut.set(true);
            calls.optOut(c.number(), "KEY", "phone:" + c.numberMasked());
        };
    }

    private static Outcome ended(OutboundChannel ch, CallResult r) {
        if (ch.silence()) {
            return Outcome.SILENCE;
        }
        return r.end() == CallResult.End.HUNG_UP ? Outcome.HUNG_UP : Outcome.ANSWERED;
    }

    private Outcome callBack(OutboundStore.OutboundCall c, OutboundChannel ch) {
        Optional<CallbackRequest> r = transfers.callback(Long.parseLong(c.ref()));
        ch.play(List.of("callback_hello"));
        String transferId = r.map(CallbackRequest::transferId).orElse("");
        ch.transferToAgent(transferId == null ? "" : transferId, calls.properties().callbackPriority());
        log.info("call-back {} answered: to the agents' queue first in line, transfer {}", c.ref(), transferId);
        return Outcome.ANSWERED;
    }

    private static void hangUpQuietly(CallChannel call) {
        try {
            call.hangUp();
        } catch (RuntimeException e) {
            // already gone
        }
    }
}
