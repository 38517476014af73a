package org.hotline.outbound;

import java.time.Duration;
import java.util.Map;

import org.asteriskjava.manager.action.OriginateAction;

import org.hotline.outbound.ami.AmiLink;
import org.hotline.outbound.ami.AmiLinks;

/**
 * Places calls with Asterisk's {@code Originate} (Async): the channel is the trunk dial string with the number,
 * and once the callee answers Asterisk runs {@code [hotline-outbound]} (sip-config/extensions.conf), which hands
 * the call to a gateway node over FastAGI with {@code outbound,<token>}. OriginateResponse's Reason (channel.h
 * AST_CONTROL_*) says how an unanswered call ended.
 */
public final class AmiDialer implements Dialer {

    private final AmiLinks links;
    private final OutboundProperties props;

    public AmiDialer(AmiLinks links, OutboundProperties props) {
        this.links = links;
        this.props = props;
    }

    @Override
    public String via() {
        return "AMI";
    }

    @Override
    public boolean ready() {
        return links.anyConnected().isPresent();
    }

    @Override
    public Result dial(String digits, Map<String, String> variables) {
        if (!digits.matches("[0-9]{5,20}")) {
            throw new IllegalArgumentException("not a number to dial");
        }
        OriginateAction o = new OriginateAction();
        o.setChannel(props.trunk().replace("{number}", digits));
        o.setContext(props.context());
        o.setExten("s");
        o.setPriority(1);
        o.setTimeout(props.ringTimeout().toMillis());
        o.setCallerId("\"12320\" <" + props.callerId() + ">");
        o.setVariables(variables);
        AmiLink.OriginateResult r = links.originate(o, props.ringTimeout().plus(Duration.ofSeconds(20)));
        if (r.success() && r.reason() == AmiLink.OriginateResult.ANSWERED) {
            return new Result(null, r.uniqueId(), "answered");
        }
        Outcome failure = switch (r.reason()) {
            case AmiLink.OriginateResult.BUSY -> Outcome.BUSY;
            case AmiLink.OriginateResult.RINGING, AmiLink.OriginateResult.HANGUP -> Outcome.NO_ANSWER;
            default -> Outcome.FAILED;
        };
        return new Result(failure, r.uniqueId(), r.error() == null ? "reason " + r.reason() : r.error());
    }
}
