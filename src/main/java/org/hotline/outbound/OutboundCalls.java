package org.hotline.outbound;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.PhoneNumber;
import org.hotline.handoff.CallbackAttempts;

/**
 * The outbound calls' API: queue a call ({@link #request}), a number's opt-out ({@link #optOut}) and voice
 * preference, and what each try came to ({@link #finish}). Other modules (session cancellations, waiting-list
 * offers) queue their calls here; nodes claim and place them ({@link OutboundScheduler}).
 *
 * <p>Rules kept here and in the scheduler, for every purpose alike: a number that opted out is never dialled
 * (its queued calls end at once); no call starts in the quiet hours; at most {@code per-number-per-day} calls to
 * a number a day; {@code max-attempts} tries with a doubling wait between them.
 */
@Component
public class OutboundCalls {

    private static final Logger log = LoggerFactory.getLogger(OutboundCalls.class);
    /** Who the console's call-back list shows for the gateway's own tries. */
    static final String CALLBACK_USER = "自动回拨";

    private final OutboundStore store;
    private final OutboundProperties props;
    private final Clock clock;
    private final CallbackAttempts callbackAttempts;
    private final TransactionTemplate tx;

    public OutboundCalls(OutboundStore store, OutboundProperties props, Clock clock, CallbackAttempts callbackAttempts,
            TransactionTemplate tx) {
        this.store = store;
        this.props = props;
        this.clock = clock;
        this.callbackAttempts = callbackAttempts;
        this.tx = tx;
    }

    public OutboundProperties properties() {
        return props;
    }

    /**
     * Queues a call to {@code number} for {@code purpose} about {@code ref} (a booking id, a call-back request id),
     * to be placed from {@code due} (moved past quiet hours) and never after {@code notAfter}. Once per purpose and
     * ref. Empty when the number cannot be called: not a number, or it opted out.
     */
    public Optional<Long> request(Purpose purpose, String ref, String number, LocalDateTime due, LocalDateTime notAfter) {
        String n = PhoneNumber.normalise(number);
        if (n == null || !n.matches("[0-9]{5,20}")) {
            return Optional.empty();
        }
        if (store.optedOut(n)) {
            log.info("No {} call to {}: the number opted out", purpose, PhoneNumber.mask(n));
            return Optional.empty();
        }
        LocalDateTime now = LocalDateTime.now(clock);
        long id = store.insert(purpose, ref, n, PhoneNumber.mask(n), props.maxAttempts(),
                props.callableFrom(due.isBefore(now) ? now : due), notAfter, now);
        return Optional.of(id);
    }

    /** Whether a call for this purpose and ref was ever queued (placed or not). */
    public boolean queued(Purpose purpose, String ref) {
        return store.find(purpose, ref).isPresent();
    }

    /** Queues a call due now (within the rules), to be placed within {@code within}. */
    public Optional<Long> request(Purpose purpose, String ref, String number, Duration within) {
        LocalDateTime now = LocalDateTime.now(clock);
        return request(purpose, ref, number, now, now.plus(within));
    }

    /**
     * This number wants no calls from the hotline: recorded once (the first way it said so is kept) and every call
     * to it not yet placed ends as OPTED_OUT. {@code via}: KEY (during a call), SMS (a reply), CONSOLE.
     */
    public void optOut(String number, String via, String by) {
        String n = PhoneNumber.normalise(number);
        if (n == null || n.isEmpty()) {
            return;
        }
        int ended = store.optOut(n, via, by, LocalDateTime.now(clock));
        log.info("{} opted out of calls via {} by {}; {} queued calls ended", PhoneNumber.mask(n), via, by, ended);
    }

    public boolean optedOut(String number) {
        String n = PhoneNumber.normalise(number);
        return n != null && store.optedOut(n);
    }

    /** The owner of this number wants reminders by telephone (also when it is a mobile). */
    public void preferVoice(String number, boolean voice) {
        String n = PhoneNumber.normalise(number);
        if (n != null && !n.isEmpty()) {
            store.preferVoice(n, voice, LocalDateTime.now(clock));
        }
    }

    /**
     * What one try came to. Reached (answered and responded, hung up after answering, opted out) → the call is
     * done; otherwise tried again after retry-after × 2^(tries-1), past quiet hours, until max-attempts, then given
     * up. A call-back's try is also recorded with its request (handoff's {@code callback_attempt}, which the
     * console shows) and decides the request's status: reached → DONE, last try → GAVE_UP.
     */
    public void finish(OutboundStore.OutboundCall c, Outcome outcome, String keys, String channelId) {
        LocalDateTime now = LocalDateTime.now(clock);
        tx.executeWithoutResult(s -> {
            store.endAttempt(c, outcome, keys, channelId, now);
            boolean last = c.attempts() >= c.maxAttempts();
            boolean held;
            if (outcome == Outcome.OPTED_OUT) {
                held = store.close(c, "OPTED_OUT", outcome, now);
            } else if (outcome.reached()) {
                held = store.close(c, "DONE", outcome, now);
            } else if (last) {
                held = store.close(c, "GAVE_UP", outcome, now);
            } else {
                Duration wait = props.retryAfter().multipliedBy(1L << Math.min(10, Math.max(0, c.attempts() - 1)));
                held = store.retry(c, outcome, props.callableFrom(now.plus(wait)), now);
            }
            if (held && c.purpose() == Purpose.CALLBACK) {
                recordCallbackTry(c, outcome, last, now);
            }
        });
        log.info("{} call {} to {}: try {} of {} {}", c.purpose(), c.id(), c.numberMasked(), c.attempts(),
                c.maxAttempts(), outcome);
    }

    private void recordCallbackTry(OutboundStore.OutboundCall c, Outcome outcome, boolean last, LocalDateTime now) {
        long requestId = Long.parseLong(c.ref());
        String status = callbackAttempts.lockStatus(requestId);
        if (!"OPEN".equals(status)) {
            return; // an agent closed it meanwhile
        }
        String consoleOutcome = switch (outcome) {
            case ANSWERED, OPTED_OUT -> "REACHED";
            case BUSY -> "BUSY";
            case SILENCE -> "SILENCE";
            default -> "NO_ANSWER";
        };
        String note = switch (outcome) {
            case ANSWERED -> "自动回拨接通，已转人工排队（优先）";
            case HUNG_UP -> "接通后对方挂断";
            case OPTED_OUT -> "对方按键表示不再接听来电";
            case FAILED -> "未能拨出（线路故障或拥塞）";
            default -> null;
        };
        callbackAttempts.add(requestId, now, CALLBACK_USER, consoleOutcome, note);
        if (outcome == Outcome.ANSWERED || outcome == Outcome.OPTED_OUT) {
            callbackAttempts.setStatus(requestId, "DONE");
        } else if (outcome == Outcome.HUNG_UP || last) {
            // answered and hung up on us, or the last try: a person decides what next from the console
            if (last) {
                callbackAttempts.setStatus(requestId, "GAVE_UP");
            }
        }
    }
}
