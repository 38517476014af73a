package org.hotline.ivr;

/**
 * An answered call the gateway placed itself (a reminder, a call-back): the adapter that carries it (FastAGI from
 * Asterisk's outbound context, or the direct SIP adapter's own INVITE) hands it here with the opaque token the
 * call was placed with. The outbound module provides the bean; without one such calls are hung up.
 */
public interface OutboundAnswer {

    /**
     * Runs the call the token names until it ends; never throws for a hang-up. A token that names no call this
     * gateway is placing now (unknown, already used, or a guess) gets no prompt at all: the call is hung up.
     */
    void answer(CallChannel call, String token);
}
