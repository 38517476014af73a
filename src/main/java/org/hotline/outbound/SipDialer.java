package org.hotline.outbound;

import java.util.Map;

import org.hotline.ivr.DirectSipCalls;
import org.hotline.ivr.OutboundAnswer;

/**
 * Places calls without Asterisk: the direct SIP adapter INVITEs {@code hotline.sip.outbound-uri} (with the number's
 * digits for {@code {number}}), and runs the answered call on this node through the same {@link OutboundAnswer}
 * (the token) as a call Asterisk hands over FastAGI. The INVITE's final response says how an unanswered call ended:
 * 486/600 busy, ring timeout (CANCEL, 487), 408 or 480 no answer, anything else failed.
 */
public final class SipDialer implements Dialer {

    private final DirectSipCalls sip;
    private final String uri;
    private final OutboundAnswer answer;
    private final OutboundProperties props;

    public SipDialer(DirectSipCalls sip, String uri, OutboundAnswer answer, OutboundProperties props) {
        this.sip = sip;
        this.uri = uri;
        this.answer = answer;
        this.props = props;
    }

    @Override
    public String via() {
        return "SIP";
    }

    @Override
    public boolean ready() {
        return sip.ready();
    }

    @Override
    public Result dial(String digits, Map<String, String> variables) {
        DirectSipCalls.Placed p = sip.place(uri, digits, props.callerId(), props.ringTimeout(),
                variables.get("HOTLINE_OUTBOUND_TOKEN"), answer);
        Outcome failure = switch (p.status()) {
            case ANSWERED -> null;
            case BUSY -> Outcome.BUSY;
            case NO_ANSWER -> Outcome.NO_ANSWER;
            case FAILED -> Outcome.FAILED;
        };
        return new Result(failure, p.callId(), p.detail());
    }
}
