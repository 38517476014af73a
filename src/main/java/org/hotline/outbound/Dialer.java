package org.hotline.outbound;

import java.util.Map;

/**
 * Places one call and waits until it is answered or failed. Over Asterisk ({@code AmiDialer}: Originate into the
 * outbound context, whose answered call comes back over FastAGI) or the direct SIP adapter. An answered call is
 * then run by whichever gateway node Asterisk hands it to, found by its token.
 */
public interface Dialer {

    /** What came of placing the call: answered (then {@code failure} is null), or how it failed. */
    record Result(Outcome failure, String channelId, String detail) {
        public boolean answered() {
            return failure == null;
        }
    }

    /** "AMI" or "SIP", as the attempt records it. */
    String via();

    /** Whether it can place calls now (an AMI link is up, the SIP adapter runs). */
    boolean ready();

    /**
     * @param digits    the number to dial, digits only
     * @param variables what the answered call needs: HOTLINE_OUTBOUND_TOKEN, HOTLINE_PURPOSE
     */
    Result dial(String digits, Map<String, String> variables);
}
