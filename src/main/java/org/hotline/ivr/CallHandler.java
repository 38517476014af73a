package org.hotline.ivr;

/** What an adapter calls when a call arrives: runs the hotline's flows on it until the call ends. */
public interface CallHandler {

    /** Returns when the call is over (goodbye, transfer or hang-up); never throws for a hang-up. */
    void answer(CallChannel call);
}
