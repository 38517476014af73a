package org.hotline.ivr.sip;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.sip.Dialog;
import javax.sip.header.CallIdHeader;
import javax.sip.message.Request;

/**
 * The calls in progress by SIP Call-ID, the places they hold under {@code hotline.sip.max-calls}, and how
 * many INVITEs ended each way (for metrics and tests).
 */
final class CallRegistry {

    private final SipProperties props;
    private final Map<String, SipCall> calls = new ConcurrentHashMap<>();
    private final AtomicInteger inUse = new AtomicInteger();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

    CallRegistry(SipProperties props) {
        this.props = props;
    }

    /** The call this request belongs to (by its Call-ID), or null. */
    SipCall of(Request req) {
        return calls.get(callIdOf(req));
    }

    SipCall get(String sipCallId) {
        return calls.get(sipCallId);
    }

    /** The call of this dialog (by its Call-ID), or null. */
    SipCall of(Dialog d) {
        return d == null ? null : calls.get(d.getCallId().getCallId());
    }

    void add(SipCall call) {
        calls.put(call.sipCallId(), call);
    }

    void remove(SipCall call) {
        calls.remove(call.sipCallId(), call);
    }

    Collection<SipCall> all() {
        return calls.values();
    }

    /** Takes a place under the call limit; false when all are taken. */
    boolean takePlace() {
        while (true) {
            int n = inUse.get();
            if (n >= props.maxCalls()) {
                return false;
            }
            if (inUse.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a place taken for a call that never came to be. */
    void giveBackPlace() {
        inUse.decrementAndGet();
    }

    /** The call is done with its place and its entry. */
    void released(SipCall call) {
        inUse.decrementAndGet();
        calls.remove(call.sipCallId(), call);
    }

    /** Calls holding a place under the call limit (ringing, talking, or their flow still finishing). */
    int activeCalls() {
        return inUse.get();
    }

    void count(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    Map<String, Long> outcomes() {
        Map<String, Long> m = new java.util.TreeMap<>();
        outcomes.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    static String callIdOf(Request req) {
        return ((CallIdHeader) req.getHeader(CallIdHeader.NAME)).getCallId();
    }
}
