package org.hotline.ivr.sip;

import java.time.Duration;

/**
 * What a {@link SipCall} needs from the SIP side, and no more: requests in its own dialog (our BYE, the
 * REFER to a person), its RTP port closed, and its place under the call limit given back.
 */
interface CallSignalling {

    /** Ends the call from our side: BYE when connected (or answered), 503 to the INVITE while ringing. */
    void bye(SipCall call, String reason);

    /** Sends the REFER that hands the caller to a person; the outcome arrives through the call's refer methods. */
    void refer(SipCall call, String transferId, int priority);

    /** How long a transfer may take before the call gives up on it ({@code hotline.sip.transfer-timeout}). */
    Duration transferTimeout();

    /** The caller sent no RTP for too long: hang up (not on the media thread that noticed). */
    void silenceTimedOut(SipCall call);

    /** Gives the call's RTP port back. */
    void closeMedia(SipCall call);

    /** The call no longer needs its place under the call limit, nor its entry among the calls. */
    void released(SipCall call);
}
