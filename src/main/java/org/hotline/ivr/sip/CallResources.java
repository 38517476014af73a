package org.hotline.ivr.sip;

import java.util.concurrent.ScheduledExecutorService;

import org.hotline.ivr.CallMeters;

/**
 * What the request handlers ({@link InviteAdmission}, {@link InDialogRequests}) need from the running endpoint,
 * and no more: whether it runs, its RTP ports, its timer thread, its call meters, and a thread for a call's flow.
 * {@link SipEndpoint} provides it; neither handler sees the endpoint itself (its lifecycle, health read-outs).
 */
interface CallResources {

    /** False before start and once stopping: new INVITEs are refused. */
    boolean running();

    /** The RTP ports (null before start). */
    RtpMedia media();

    /** One thread for delayed and off-thread work (answer delay, a BYE for RTP silence). */
    ScheduledExecutorService timers();

    CallMeters meters();

    /** Where a call writes the caller's recordings (complaints); null: calls cannot record. */
    default java.nio.file.Path recordings() {
        return null;
    }

    /** Runs the call's flow on a thread of its own; hangs up when no thread can be had. */
    void startFlow(SipCall call);
}
