package org.hotline.ivr;

import java.time.Duration;

/**
 * The direct SIP adapter placing a call itself (a UAC INVITE), for a site without Asterisk: the outbound module's
 * dialer when {@code hotline.sip.outbound-uri} is set. An answered call runs {@link OutboundAnswer} with the token,
 * on the adapter's own call thread, exactly as a call Asterisk hands over FastAGI.
 */
public interface DirectSipCalls {

    /** How the INVITE ended: ANSWERED (the flow runs), BUSY (486/600), NO_ANSWER (ring timeout, 408/480/487), FAILED. */
    enum Status { ANSWERED, BUSY, NO_ANSWER, FAILED }

    record Placed(Status status, String callId, String detail) {
    }

    /** The request-URI pattern ({@code hotline.sip.outbound-uri}, {@code {number}} replaced); blank: not set. */
    String outboundUri();

    /** The endpoint runs and can place a call now. */
    boolean ready();

    /**
     * INVITEs {@code uri} (with {@code {number}} replaced by {@code digits}), waits up to {@code ringTimeout} for an
     * answer (then CANCEL), and on 200 OK ACKs and runs {@code answer} with {@code token} on a call thread.
     */
    Placed place(String uri, String digits, String callerId, Duration ringTimeout, String token, OutboundAnswer answer);
}
