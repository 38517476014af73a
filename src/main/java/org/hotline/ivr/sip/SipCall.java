package org.hotline.ivr.sip;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import javax.sip.Dialog;
import javax.sip.ServerTransaction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.booking.PhoneNumber;
import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallMeters;
import org.hotline.ivr.CallerHungUp;

/**
 * One call answered by the {@link SipEndpoint}, as the flow engine sees it. The engine's thread blocks here
 * (playing, waiting for keys, transferring); SIP and media threads only post events and never block.
 */
final class SipCall implements CallChannel, RtpStream.Events {

    /** Where the call is in its life. */
    enum State {
        /** INVITE received, 180 sent, not yet answered: a CANCEL still ends it. */
        RINGING,
        /** 200 OK sent, waiting for the ACK. */
        ANSWERED,
        /** ACK received: the flow runs. */
        CONNECTED,
        /** Over: BYE either way, CANCEL, no ACK or RTP silence. */
        ENDED
    }

    private static final Logger log = LoggerFactory.getLogger(SipCall.class);

    private final String callId;
    private final String sipCallId;
    private final String callerNumber;
    private final boolean callerVerified;
    private final String localTag;
    /** Our side of the call's signalling: BYE, REFER, media and place given back. */
    private final CallSignalling signalling;
    private final RtpStream rtp;
    private final PromptAudio prompts;
    private final long sdpSessionId = System.nanoTime() & 0x7FFFFFFFL;
    /** The flow's turns (hotline.sip.step); touched by the call's own thread only. */
    private final CallMeters.StepClock steps;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // guarded by lock
    private State state = State.RINGING;
    private final ArrayDeque<Character> keys = new ArrayDeque<>();
    /** Until when (System.nanoTime) a # is the end of the full-length entry just collected; 0: none expected. */
    private long hashGraceUntil;
    private static final long HASH_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(2500);
    private boolean playbackDone;
    private boolean handlerStarted;
    private boolean released;
    private String endReason;
    private int referStatus; // 0 none yet; 1xx provisional/accepted; >= 200 final outcome of the transfer
    private boolean referAccepted;

    private volatile ServerTransaction invite;
    private volatile Dialog dialog;
    private volatile SdpOffer offer;
    private volatile boolean lateOffer;
    private long sdpVersion = 1;

    SipCall(String callId, String sipCallId, String callerNumber, boolean callerVerified, String localTag,
            CallSignalling signalling, RtpStreamFactory streams, PromptAudio prompts, CallMeters.StepClock steps)
            throws java.io.IOException {
        this.steps = steps;
        this.callId = callId;
        this.sipCallId = sipCallId;
        this.callerNumber = callerNumber;
        this.callerVerified = callerVerified;
        this.localTag = localTag;
        this.signalling = signalling;
        this.prompts = prompts;
        this.rtp = streams.open(this);
    }

    /** Opens this call's RTP stream (a seam so the constructor can hand {@code this} as the event sink). */
    interface RtpStreamFactory {
        RtpStream open(RtpStream.Events events) throws java.io.IOException;
    }

    // --- identity -----------------------------------------------------------------------------

    @Override
    public String callId() {
        return callId;
    }

    @Override
    public String callerNumber() {
        return callerNumber;
    }

    /** True only when the INVITE came from a trusted peer ({@code hotline.sip.trusted-peers}) and named a number. */
    @Override
    public boolean callerVerified() {
        return callerVerified;
    }

    String sipCallId() {
        return sipCallId;
    }

    String localTag() {
        return localTag;
    }

    String callerMasked() {
        return PhoneNumber.mask(callerNumber);
    }

    RtpStream rtp() {
        return rtp;
    }

    // --- signalling side (SIP threads) ----------------------------------------------------------

    void invite(ServerTransaction st, SdpOffer offer) {
        this.invite = st;
        this.offer = offer;
        this.lateOffer = offer == null;
        if (offer != null) {
            rtp.use(offer.negotiate().orElseThrow());
        }
    }

    ServerTransaction inviteTransaction() {
        return invite;
    }

    void dialog(Dialog d) {
        this.dialog = d;
    }

    Dialog dialog() {
        return dialog;
    }

    boolean lateOffer() {
        return lateOffer;
    }

    /** Our SDP for the 200 OK: an answer to the caller's offer, or our own offer when it sent none. */
    synchronized String localSdp(String address) {
        long v = sdpVersion++;
        SdpOffer o = offer;
        SdpOffer.Choice c = rtp.media();
        if (o == null || c == null) {
            return SdpOffer.offer(address, rtp.localPort(), sdpSessionId, v);
        }
        return o.answer(c, address, rtp.localPort(), sdpSessionId, v);
    }

    /** A re-INVITE's offer, already checked to contain a codec we can use. */
    void reoffer(SdpOffer newOffer, SdpOffer.Choice choice) {
        this.offer = newOffer;
        rtp.use(choice);
    }

    /** The caller's answer in its ACK, to the offer we sent in our 200. */
    void lateAnswer(SdpOffer answer, SdpOffer.Choice choice) {
        this.offer = answer;
        this.lateOffer = false;
        rtp.use(choice);
    }

    /** Moves RINGING → ANSWERED; false when the call was already cancelled. */
    boolean markAnswered() {
        lock.lock();
        try {
            if (state != State.RINGING) {
                return false;
            }
            state = State.ANSWERED;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The ACK arrived: returns true exactly once, when the flow should start. */
    boolean markConnected() {
        lock.lock();
        try {
            if (state != State.ANSWERED) {
                return false;
            }
            state = State.CONNECTED;
            handlerStarted = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    State state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The call is over from the network's side (caller's BYE, CANCEL, no ACK, silence) or ours (our BYE).
     * Returns false when it had already ended.
     */
    boolean end(String reason) {
        boolean releaseNow;
        lock.lock();
        try {
            if (state == State.ENDED) {
                return false;
            }
            state = State.ENDED;
            endReason = reason;
            releaseNow = !handlerStarted;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        rtp.stopPlayback();
        signalling.closeMedia(this);
        log.info("SIP call {} ended: {}", callId, reason);
        if (releaseNow) {
            release();
        }
        return true;
    }

    /** Gives back the call's place under the call limit; once, when neither signalling nor the flow needs it. */
    void release() {
        lock.lock();
        try {
            if (released) {
                return;
            }
            released = true;
        } finally {
            lock.unlock();
        }
        signalling.released(this);
    }

    boolean isEnded() {
        return state() == State.ENDED;
    }

    /** A key from SIP INFO. */
    void infoKey(char key) {
        keyPressed(key);
    }

    /** A NOTIFY about the transfer: its sipfrag status; from 200 on it is the outcome. */
    void referProgress(int status) {
        lock.lock();
        try {
            if (status >= 200) {
                referStatus = status;
                referAccepted |= status < 300;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The REFER itself was answered: 202 accepted, anything else refused. */
    void referAnswered(int status) {
        lock.lock();
        try {
            if (status >= 200 && status < 300) {
                referAccepted = true;
            } else if (status >= 300) {
                referStatus = status;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // --- media side (media threads) -------------------------------------------------------------

    @Override
    public void keyPressed(char key) {
        if ("0123456789*#".indexOf(key) < 0) {
            return; // A-D: no keypad an elder holds has them
        }
        lock.lock();
        try {
            if (state == State.ENDED) {
                return;
            }
            if (hashGraceUntil != 0) {
                boolean swallow = key == '#' && System.nanoTime() - hashGraceUntil < 0;
                hashGraceUntil = 0;
                if (swallow) {
                    return; // the # that ended the full-length entry just collected (see collectKeys)
                }
            }
            keys.add(key);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void playbackFinished() {
        lock.lock();
        try {
            playbackDone = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void silenceTimedOut() {
        signalling.silenceTimedOut(this);
    }

    // --- the engine's side (the call's own thread) ----------------------------------------------

    // Each of the engine's calls ends the flow's turn (steps.acting) and starts it again when the caller
    // has answered (steps.answered): hotline.sip.step is the server's time in between.

    @Override
    public char play(List<String> promptIds) {
        steps.acting();
        char key = playPrompts(promptIds);
        steps.answered();
        return key;
    }

    @Override
    public String collect(List<String> promptIds, int maxKeys, Duration timeout) {
        steps.acting();
        String keyed = collectKeys(promptIds, maxKeys, timeout);
        steps.answered();
        return keyed;
    }

    private char playPrompts(List<String> promptIds) {
        byte[] audio = audioFor(promptIds);
        lock.lock();
        try {
            ensureLive();
            if (!keys.isEmpty()) {
                return keys.poll(); // typed ahead while the last prompt played
            }
            if (audio.length == 0) {
                return '\0';
            }
            playbackDone = false;
            rtp.play(audio);
            // a frame is 20 ms of audio; allow for a stalled media clock but never wait forever
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(audio.length / 8 + 3000);
            while (!playbackDone && keys.isEmpty() && state != State.ENDED) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn("SIP call {}: playback did not finish in time", callId);
                    break;
                }
                changed.awaitNanos(left);
            }
            rtp.stopPlayback();
            ensureLive();
            return keys.isEmpty() ? '\0' : keys.poll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            rtp.stopPlayback();
            throw new CallerHungUp(callId);
        } finally {
            lock.unlock();
        }
    }

    private String collectKeys(List<String> promptIds, int maxKeys, Duration timeout) {
        StringBuilder keyed = new StringBuilder();
        char first = playPrompts(promptIds);
        if (first == '#') {
            return "";
        }
        if (first != '\0') {
            keyed.append(first);
        }
        lock.lock();
        try {
            long wait = timeout.toNanos();
            while (keyed.length() < maxKeys) {
                long deadline = System.nanoTime() + wait;
                while (keys.isEmpty() && state != State.ENDED) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return keyed.toString();
                    }
                    changed.awaitNanos(left);
                }
                ensureLive();
                char k = keys.poll();
                if (k == '#') {
                    break;
                }
                keyed.append(k);
            }
            if (keyed.length() == maxKeys && maxKeys > 1) {
                // full length: the prompt asked for a # as well; it belongs to this entry, not to the next
                // question (it would stop the next prompt or end the next entry empty)
                if (!keys.isEmpty() && keys.peek() == '#') {
                    keys.poll();
                } else if (keys.isEmpty()) {
                    hashGraceUntil = System.nanoTime() + HASH_GRACE_NANOS;
                }
            }
            return keyed.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallerHungUp(callId);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void transferToAgent(String transferId, int priority) {
        steps.acting();
        lock.lock();
        try {
            ensureLive();
            referStatus = 0;
            referAccepted = false;
        } finally {
            lock.unlock();
        }
        rtp.stopPlayback();
        signalling.refer(this, transferId, priority);
        int outcome;
        lock.lock();
        try {
            long deadline = System.nanoTime() + signalling.transferTimeout().toNanos();
            while (referStatus < 200 && state != State.ENDED) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            if (state == State.ENDED && !referAccepted) {
                throw new CallerHungUp(callId); // gone before anyone took the transfer
            }
            outcome = referStatus;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = 0;
        } finally {
            lock.unlock();
        }
        if (outcome >= 200 && outcome < 300) {
            log.info("SIP call {} transferred (transfer {}, priority {})", callId, transferId, priority);
        } else {
            log.warn("SIP call {}: transfer {} not completed (status {}); hanging up", callId, transferId,
                    outcome == 0 ? "none" : outcome);
        }
        signalling.bye(this, outcome >= 200 && outcome < 300 ? "transferred" : "transfer failed");
    }

    @Override
    public void hangUp() {
        steps.acting();
        if (!isEnded()) {
            signalling.bye(this, "hung up by the menu");
        }
    }

    /** Called on the call's thread when the engine returns: hang up if the flow forgot to. */
    void flowReturned() {
        if (!isEnded()) {
            signalling.bye(this, "flow ended");
        }
        release();
    }

    private void ensureLive() {
        if (state == State.ENDED) {
            throw new CallerHungUp(callId);
        }
    }

    private byte[] audioFor(List<String> promptIds) {
        SdpOffer.Choice media = rtp.media();
        G711 codec = media == null ? G711.PCMA : media.codec();
        if (promptIds.size() == 1) {
            return prompts.encoded(promptIds.get(0), codec);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String id : promptIds) {
            all.writeBytes(prompts.encoded(id, codec));
        }
        return all.toByteArray();
    }

    @Override
    public String toString() {
        return callId + " (" + sipCallId + ", " + state() + (endReason != null ? ", " + endReason : "") + ")";
    }
}
