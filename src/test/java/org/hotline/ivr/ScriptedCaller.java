package org.hotline.ivr;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A test caller on a {@link CallChannel}: answers each question from a script or a policy (keys, a
 * timeout, a hang-up) and records everything it heard. Plays never wait; a question answered with
 * {@link #HANG_UP} (or one asked after the script ran out) hangs up, and every later call throws.
 */
class ScriptedCaller implements CallChannel {

    static final String TIMEOUT = "";
    static final String HANG_UP = "<hangup>";
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** One question the engine asked: the prompts it played and how many keys it would take. */
    record Ask(List<String> prompts, int maxKeys, Duration timeout) {
        boolean heard(String prompt) {
            return prompts.contains(prompt);
        }
    }

    private final String callId = "test-" + SEQ.incrementAndGet();
    private final String number;
    /** As an adapter would set it: a number from a trusted peer (true unless withheld or made {@link #unverified}). */
    private boolean verified;
    private final Function<Ask, String> answers;
    final List<List<String>> played = new ArrayList<>();
    final List<Ask> asks = new ArrayList<>();
    String transferId;
    Integer transferPriority;
    boolean hungUpByUs;
    private boolean gone;

    ScriptedCaller(String number, Function<Ask, String> answers) {
        this.number = number;
        this.verified = !number.isEmpty();
        this.answers = answers;
    }

    /** The number came from a peer that is not trusted (direct SIP from an untrusted address). */
    ScriptedCaller unverified() {
        verified = false;
        return this;
    }

    /** Answers the questions in order; hangs up when the script runs out. */
    static ScriptedCaller script(String number, String... keys) {
        Deque<String> q = new ArrayDeque<>(List.of(keys));
        return new ScriptedCaller(number, ask -> q.isEmpty() ? HANG_UP : q.poll());
    }

    /** Presses 1 at every question and keys the ID when one is asked for (at most {@code maxQuestions}). */
    static ScriptedCaller pressingOne(String number, String residentId, int maxQuestions) {
        AtomicInteger n = new AtomicInteger();
        return new ScriptedCaller(number, ask -> {
            if (n.incrementAndGet() > maxQuestions) {
                return HANG_UP;
            }
            return ask.maxKeys() == 18 ? residentId : "1";
        });
    }

    @Override
    public String callId() {
        return callId;
    }

    @Override
    public String callerNumber() {
        return number;
    }

    @Override
    public boolean callerVerified() {
        return verified;
    }

    @Override
    public char play(List<String> promptIds) {
        check();
        played.add(List.copyOf(promptIds));
        return '\0';
    }

    @Override
    public String collect(List<String> promptIds, int maxKeys, Duration timeout) {
        check();
        played.add(List.copyOf(promptIds));
        Ask ask = new Ask(List.copyOf(promptIds), maxKeys, timeout);
        asks.add(ask);
        String a = answers.apply(ask);
        if (a == null || a.equals(HANG_UP)) {
            gone = true;
            throw new CallerHungUp(callId);
        }
        // as a real channel would: at most maxKeys, # ends input and is not returned
        int hash = a.indexOf('#');
        if (hash >= 0) {
            a = a.substring(0, hash);
        }
        return a.length() > maxKeys ? a.substring(0, maxKeys) : a;
    }

    @Override
    public void transferToAgent(String transferId, int priority) {
        check();
        this.transferId = transferId;
        this.transferPriority = priority;
    }

    @Override
    public void hangUp() {
        check();
        hungUpByUs = true;
        gone = true;
    }

    private void check() {
        if (gone) {
            throw new CallerHungUp(callId);
        }
    }

    /** Every prompt id heard, in order. */
    List<String> heard() {
        return played.stream().flatMap(List::stream).toList();
    }

    boolean heard(String prompt) {
        return heard().contains(prompt);
    }
}
