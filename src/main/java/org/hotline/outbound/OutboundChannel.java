package org.hotline.outbound;

import java.time.Duration;
import java.util.List;

import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallerHungUp;

/**
 * An answered outbound call as the flow engine sees it: the "caller" is the person we dialled (verified: we
 * chose the number), and it notices silence: when two questions in a row get no key and no key came before,
 * it is most likely an answering machine, so the call ends there (no "a person?" offer, no transfer of a
 * voicemail to an agent) and the try counts as {@link Outcome#SILENCE}.
 */
final class OutboundChannel implements CallChannel {

    private final CallChannel call;
    private final String number;
    private final StringBuilder keys = new StringBuilder();
    private int silentQuestions;
    private boolean silence;
    private boolean transferred;

    OutboundChannel(CallChannel call, String number) {
        this.call = call;
        this.number = number;
    }

    @Override
    public String callId() {
        return call.callId();
    }

    @Override
    public String callerNumber() {
        return number;
    }

    @Override
    public boolean callerVerified() {
        return true;
    }

    @Override
    public char play(List<String> promptIds) {
        char k = call.play(promptIds);
        if (k != '\0') {
            key(String.valueOf(k));
        }
        return k;
    }

    @Override
    public String collect(List<String> promptIds, int maxKeys, Duration timeout) {
        String k = call.collect(promptIds, maxKeys, timeout);
        if (!k.isEmpty()) {
            key(k);
            return k;
        }
        if (keys.isEmpty() && ++silentQuestions >= 2) {
            silence = true;
            call.hangUp();
            throw new CallerHungUp(call.callId());
        }
        return k;
    }

    private void key(String k) {
        silentQuestions = 0;
        // menu keys only are kept (the reminder flow asks for no digits of an ID); capped
        if (keys.length() < 32) {
            keys.append(k, 0, Math.min(k.length(), 32 - keys.length()));
        }
    }

    @Override
    public void transferToAgent(String transferId, int priority) {
        transferred = true;
        call.transferToAgent(transferId, priority);
    }

    @Override
    public void hangUp() {
        call.hangUp();
    }

    String keys() {
        return keys.toString();
    }

    boolean silence() {
        return silence;
    }

    boolean transferred() {
        return transferred;
    }
}
