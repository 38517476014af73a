package org.hotline.sms;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingService;
import org.hotline.booking.Waitlist;
import org.hotline.booking.CancelOutcome;
import org.hotline.booking.Channel;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.SessionCancellations;

/**
 * Replies from phones. {@code 取消 123456} or {@code QX123456} cancels through the booking core, which
 * lets only a phone tied to that booking do it; the cancellation SMS it queues (to the patient and
 * every family phone, so to the replier too) is the answer. A refusal is answered with why; anything
 * else gets a short help text (at most {@value #HELP_PER_DAY} a day per number, so two robots cannot
 * keep each other busy).
 */
@Component
public class SmsReplies {

    private static final Logger log = LoggerFactory.getLogger(SmsReplies.class);
    static final int HELP_PER_DAY = 5;
    private static final Pattern CANCEL = Pattern.compile("^(?:取消(?:预约)?|QX)[:：,，]?(\\d{6})$");
    /** 停诊: "1" takes the offered slice; "1" and the code (or 改约 and the code) when a phone has several offers. */
    private static final Pattern MOVE = Pattern.compile("^(?:1|改约)[:：,，]?(\\d{6})?$");
    /** "No more calls from the hotline" (reminders and call-backs by telephone); SMS keep coming. */
    private static final Pattern NO_CALLS = Pattern.compile("^(?:不再来电|不要来电|退订电话|TDDH)$");

    /**
     * Published (in the reply's handling) when a reply asks for no more calls: the outbound module hears it. The
     * whole number: the listener needs it to stop dialling it; never log it whole.
     */
    public record NoMoreCalls(String from) {
    }
    /** A waitlist offer taken: 确认123456 (the code of the offer SMS). */
    private static final Pattern CONFIRM = Pattern.compile("^(?:确认|候补|QR)[:：,，]?(\\d{6})$");

    /** What a reply asks for. */
    public sealed interface Command {
        record Cancel(String code) implements Command {
        }

        /** Take the slice a 停诊 SMS offered; {@code code} (the cancelled booking's) may be null. */
        record AcceptOffer(String code) implements Command {
        }

        record NoCalls() implements Command {
        }

        record ConfirmWaitlist(String code) implements Command {
        }

        record Unknown() implements Command {
        }
    }

    private final BookingService booking;
    private final SessionCancellations cancellations;
    private final SmsOutbox outbox;
    private final SmsTemplates templates;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final org.springframework.context.ApplicationEventPublisher events;

    private final Waitlist waitlist;

    SmsReplies(BookingService booking, SessionCancellations cancellations, SmsOutbox outbox, SmsTemplates templates,
            JdbcTemplate jdbc, Clock clock, org.springframework.context.ApplicationEventPublisher events,
            Waitlist waitlist) {
        this.events = events;
        this.waitlist = waitlist;
        this.booking = booking;
        this.cancellations = cancellations;
        this.outbox = outbox;
        this.templates = templates;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Full-width digits and letters as ASCII, spaces and a trailing full stop dropped, letters upper case. */
    public static Command parse(String text) {
        if (text == null) {
            return new Command.Unknown();
        }
        StringBuilder sb = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c >= '\uFF01' && c <= '\uFF5E') {
                c = (char) (c - 0xFEE0);
            }
            if (Character.isWhitespace(c) || c == '\u3000' || c == '。' || c == '.' || c == '!' || c == '！') {
                continue;
            }
            sb.append(Character.toUpperCase(c));
        }
        Matcher m = CANCEL.matcher(sb);
        if (m.matches()) {
            return new Command.Cancel(m.group(1));
        }
        Matcher move = MOVE.matcher(sb);
        if (move.matches() && (move.group(1) != null || sb.toString().equals("1"))) {
            return new Command.AcceptOffer(move.group(1));
        }
        if (NO_CALLS.matcher(sb).matches()) {
            return new Command.NoCalls();
        }
        Matcher c = CONFIRM.matcher(sb);
        return c.matches() ? new Command.ConfirmWaitlist(c.group(1)) : new Command.Unknown();
    }

    void handle(String from, String text) {
        String masked = PhoneNumber.mask(from);
        Command cmd = parse(text);
        if (cmd instanceof Command.ConfirmWaitlist c) {
            // only the phone the offer went to, while it lasts, once; the booking's confirmation SMS is the answer
            BookingOutcome out = waitlist.confirmByReply(from, c.code());
            if (out instanceof BookingOutcome.Refused r) {
                log.info("SMS reply from {}: waitlist {} refused ({})", masked, Booking.maskCode(c.code()), r.reason());
                outbox.enqueue(null, SmsKind.REPLY, from, templates.waitlistRefused(c.code(), r.reason()), null);
            } else {
                log.info("SMS reply from {}: waitlist {} booked", masked, Booking.maskCode(c.code()));
            }
            return;
        }
        if (cmd instanceof Command.Cancel c) {
            CancelOutcome out = booking.cancel(c.code(), Channel.SMS_REPLY, from, "sms:" + masked);
            if (out instanceof CancelOutcome.Refused r) {
                log.info("SMS reply from {}: cancel {} refused ({})", masked, Booking.maskCode(c.code()), r.reason());
                outbox.enqueue(null, SmsKind.REPLY, from, templates.replyRefused(c.code(), r.reason()), null);
            } else {
                log.info("SMS reply from {}: cancelled {}", masked, Booking.maskCode(c.code()));
            }
            return;
        }
        if (cmd instanceof Command.AcceptOffer a && acceptOffer(from, masked, a)) {
            return;
        }
        if (cmd instanceof Command.NoCalls) {
            log.info("SMS reply from {}: no more calls from the hotline", masked);
            events.publishEvent(new NoMoreCalls(from));
            return;
        }
        Integer today = jdbc.queryForObject(
                "SELECT COUNT(*) FROM sms_message WHERE phone = ? AND kind = 'REPLY' AND created_at >= ?",
                Integer.class, from, LocalDateTime.now(clock).minusDays(1));
        log.info("SMS reply from {} not understood: {}", masked, LogMask.text(Optional.ofNullable(text).orElse("")));
        if (today < HELP_PER_DAY) {
            outbox.enqueue(null, SmsKind.REPLY, from, templates.help(), null);
        }
    }

    /**
     * "1": the booking core moves the booking a 停诊 cancelled into the slice offered, only for a phone the offer
     * went to. Moved: the new booking's confirmation (to every phone of it) is the answer. False when this phone
     * has no open offer (the reply is then answered as any text not understood, so a stranger learns nothing).
     */
    private boolean acceptOffer(String from, String masked, Command.AcceptOffer a) {
        SessionCancellations.OfferOutcome out = cancellations.acceptOffer(from, a.code());
        String answer = null;
        if (out instanceof SessionCancellations.OfferOutcome.Renewed r) {
            answer = templates.offerRenewed(r.cancelled(), r.offer());
        } else if (out instanceof SessionCancellations.OfferOutcome.NoneLeft) {
            answer = templates.offerNoneLeft();
        } else if (out instanceof SessionCancellations.OfferOutcome.Refused r) {
            answer = templates.offerRefused(r.reason());
        } else if (out instanceof SessionCancellations.OfferOutcome.Ambiguous) {
            answer = templates.offerWhich();
        }
        log.info("SMS reply from {}: move to the 停诊 offer: {}", masked, out.getClass().getSimpleName());
        if (out instanceof SessionCancellations.OfferOutcome.NotFound) {
            return false;
        }
        if (answer != null) {
            outbox.enqueue(null, SmsKind.REPLY, from, answer, null);
        }
        return true;
    }
}
