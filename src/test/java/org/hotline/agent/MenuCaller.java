package org.hotline.agent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallerHungUp;

/** A caller in the voice menu for the console's tests: keys one answer per question, then hangs up. */
class MenuCaller implements CallChannel {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private final String callId = "console-test-" + SEQ.incrementAndGet();
    private final String number;
    private final Deque<String> keys;
    String transferId;
    private boolean gone;

    MenuCaller(String number, String... keys) {
        this.number = number;
        this.keys = new ArrayDeque<>(List.of(keys));
    }

    @Override
    public String callId() {
        return callId;
    }

    @Override
    public String callerNumber() {
        return number;
    }

    /** As FastAGI: the caller ID Asterisk sends counts as verified. */
    @Override
    public boolean callerVerified() {
        return !number.isEmpty();
    }

    @Override
    public char play(List<String> promptIds) {
        check();
        return '\0';
    }

    @Override
    public String collect(List<String> promptIds, int maxKeys, Duration timeout) {
        check();
        if (keys.isEmpty()) {
            gone = true;
            throw new CallerHungUp(callId);
        }
        return keys.poll();
    }

    @Override
    public void transferToAgent(String transferId, int priority) {
        check();
        this.transferId = transferId;
    }

    @Override
    public void hangUp() {
        gone = true;
    }

    private void check() {
        if (gone) {
            throw new CallerHungUp(callId);
        }
    }
}
