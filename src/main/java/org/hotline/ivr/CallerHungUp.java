package org.hotline.ivr;

/** The caller has gone. Thrown by every {@link CallChannel} method once the call is over. */
public class CallerHungUp extends RuntimeException {

    public CallerHungUp(String callId) {
        super("caller hung up: " + callId, null, false, false);
    }
}
