package org.hotline.cluster;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.List;
import java.util.function.IntFunction;

import org.hotline.ivr.MandarinSpeech;
import org.hotline.ivr.agi.AsteriskCall;

/**
 * One caller booking by keypad, through Asterisk's dialplan fallback over the gateways: AGI to one
 * gateway; a refused connection (AGISTATUS=FAILURE) or a call dropped without {@code HOTLINE_NEXT} set
 * goes to the next gateway, which starts the menu afresh (sip-config/extensions.conf, docs/deploy.md).
 * The caller listens to the real menu and presses the keys of its hospital, department, date and time
 * as it hears them listed, keys its ID (taking {@code idKeying} to do so: the time between the hold and
 * the confirmation), and says yes. Handed to a person (after a database fault), it declines the call-back
 * offered outside agent hours or for a long queue. What it ends with is only what it heard on the line.
 */
final class HotlineCaller {

    /** What the caller wants, as the menu says it. */
    record Wish(String hospitalPrompt, String departmentPrompt, LocalDate date, LocalTime time) {
    }

    /** How the call ended for the caller, and whether a gateway dropped it on the way. */
    record Result(String heard, int gateway, int attempts, boolean cutOff) {
    }

    private final Wish wish;
    private final String callerNumber;
    private final String residentId;
    private final Duration idKeying;
    private final IntFunction<String> uniqueId;
    /** Per gateway: how many callers are keying their ID right now, with a place held for them there. */
    private final java.util.concurrent.atomic.AtomicIntegerArray holding;

    HotlineCaller(Wish wish, String callerNumber, String residentId, Duration idKeying, IntFunction<String> uniqueId,
            java.util.concurrent.atomic.AtomicIntegerArray holding) {
        this.wish = wish;
        this.callerNumber = callerNumber;
        this.residentId = residentId;
        this.idKeying = idKeying;
        this.uniqueId = uniqueId;
        this.holding = holding;
    }

    /** Dials in: gateway {@code first} first, then round the others, at most every gateway once. */
    Result call(List<GatewayProcess> gateways, int first) {
        boolean cutOff = false;
        String last = "failed no gateway answered";
        for (int attempt = 0; attempt < gateways.size(); attempt++) {
            int g = (first + attempt) % gateways.size();
            Attempt a = new Attempt(g);
            AsteriskCall.Transcript t = AsteriskCall.to(gateways.get(g).agiPort()).callerId(callerNumber)
                    .uniqueId(uniqueId.apply(attempt)).readTimeout(Duration.ofSeconds(90)).answers(a::answer).run();
            if (!t.connected) {
                last = "failed no gateway answered: " + t.error;
                continue; // AGISTATUS=FAILURE: the next node, the caller hears no gap
            }
            String next = t.variable("HOTLINE_NEXT");
            if (next == null && !t.callerHungUp && !t.serverHungUp) {
                // the gateway went away mid-call: the dialplan finds HOTLINE_NEXT empty and tries the next node
                cutOff = true;
                last = "failed cut off, no gateway left";
                continue;
            }
            return new Result(a.heard(t), g, attempt + 1, cutOff);
        }
        return new Result(last, -1, gateways.size(), cutOff);
    }

    /** One AGI session: the caller's answers to the questions it hears. */
    final class Attempt {
        private final int gateway;

        Attempt(int gateway) {
            this.gateway = gateway;
        }

        String refusal;
        String gaveUp;
        boolean toPerson;
        List<String> unexpected;

        String answer(AsteriskCall.Question q) {
            List<String> p = q.prompts();
            for (String s : p) {
                if (s.startsWith("refusal_")) {
                    refusal = s.substring("refusal_".length()).toUpperCase(java.util.Locale.ROOT);
                    return AsteriskCall.HANG_UP; // told no: the caller hangs up
                }
            }
            if (q.heard("callback_offer_outside") || q.heard("callback_long_wait")) {
                // sent to a person (after a fault) outside agent hours or with a long queue: 2, no call-back
                toPerson = true;
                return "2";
            }
            if (q.heard("alt_intro") || q.heard("wait_offer") || q.heard("full_everywhere")) {
                // the time wished for is full: the menu offers the nearest free time or the waitlist (issue 16; with
                // nothing free at any hospital, full_everywhere offers the waitlist);
                // this caller wanted that time only
                gaveUp = "no places";
                return AsteriskCall.HANG_UP;
            }
            if (q.heard("no_places") || q.heard("way_on")) {
                gaveUp = "no places";
                return AsteriskCall.HANG_UP;
            }
            if (q.heard("returning_again")) {
                return "2"; // not the same again: the main menu
            }
            if (q.heard("main_menu")) {
                return "1";
            }
            if (q.heard("choose_hospital")) {
                return keyOf(p, List.of(wish.hospitalPrompt()));
            }
            if (q.heard("choose_department")) {
                return keyOf(p, List.of(wish.departmentPrompt()));
            }
            if (q.heard("choose_date")) {
                return keyOf(p, MandarinSpeech.date(wish.date()));
            }
            if (q.heard("choose_slot")) {
                return keyOf(p, MandarinSpeech.time(wish.time()));
            }
            if (q.heard("whose_booking")) {
                return "1";
            }
            if (q.heard("ask_own_id")) {
                holding.incrementAndGet(gateway);
                try {
                    sleep(idKeying); // an elder keys 18 digits slowly; the place is held meanwhile
                } finally {
                    holding.decrementAndGet(gateway);
                }
                return residentId.replace('X', '*');
            }
            if (q.heard("sms_to_this_phone")) {
                return "1";
            }
            if (q.heard("confirm_booking")) {
                return "1";
            }
            unexpected = p;
            return AsteriskCall.HANG_UP;
        }

        /** The key the menu said for this entry ("…, 请按 N"); the caller hangs up when it is not offered. */
        private String keyOf(List<String> heard, List<String> entry) {
            for (int i = 0; i + entry.size() < heard.size(); i++) {
                if (heard.subList(i, i + entry.size()).equals(entry) && heard.get(i + entry.size()).equals("press_key")) {
                    for (int k = 1; k <= 9; k++) {
                        List<String> key = MandarinSpeech.key(k);
                        int from = i + entry.size() + 1;
                        if (from + key.size() <= heard.size() && heard.subList(from, from + key.size()).equals(key)) {
                            return Integer.toString(k);
                        }
                    }
                }
            }
            gaveUp = "no places";
            return AsteriskCall.HANG_UP;
        }

        /** "booked CODE" (the code as read back), "refused REASON", "no places", "agent", or "failed …". */
        String heard(AsteriskCall.Transcript t) {
            List<String> ids = t.sounds.stream().map(s -> s.substring(s.lastIndexOf('/') + 1)).toList();
            String code = t.heardCode();
            if (!code.isEmpty()) {
                return "booked " + code;
            }
            if (refusal != null) {
                return "refused " + refusal;
            }
            if (gaveUp != null) {
                return gaveUp;
            }
            if (toPerson || "AGENT".equals(t.variable("HOTLINE_NEXT"))) {
                return "agent (transferred: " + lastPrompts(ids) + ")";
            }
            if (unexpected != null) {
                return "failed unexpected question " + unexpected;
            }
            return "failed " + (t.error == null ? lastPrompts(ids) : t.error);
        }

        private static String lastPrompts(List<String> ids) {
            return String.join(",", ids.subList(Math.max(0, ids.size() - 4), ids.size()));
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
