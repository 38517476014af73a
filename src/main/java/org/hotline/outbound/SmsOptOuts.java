package org.hotline.outbound;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import org.hotline.booking.PhoneNumber;
import org.hotline.sms.SmsReplies;

/** An SMS reply "不再来电" / "退订电话" / "TDDH": the number gets no more calls from the hotline. */
@Component
public class SmsOptOuts {

    private final OutboundCalls calls;

    public SmsOptOuts(OutboundCalls calls) {
        this.calls = calls;
    }

    @EventListener
    public void on(SmsReplies.NoMoreCalls e) {
        calls.optOut(e.from(), "SMS", "sms:" + PhoneNumber.mask(e.from()));
    }
}
