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

    /** Where complaint recordings are written (hotline.complaints.recordings-dir); null: this call cannot record. */
    private final java.nio.file.Path recordings;
    /** The recording running now (fed by the media thread), or null. */
    private volatile VoiceRecorder recorder;
    private Recording lastRecording;

    /** The flow of a call we placed (an outbound call's); null: the endpoint's call handler (an inbound call). */
    private volatile org.hotline.ivr.CallHandler flow;
    private volatile ServerTransaction invite;
    private volatile Dialog dialog;
    private volatile SdpOffer offer;
    private volatile boolean lateOffer;
    private long sdpVersion = 1;

    SipCall(String callId, String sipCallId, String callerNumber, boolean callerVerified, String localTag,
            CallSignalling signalling, RtpStreamFactory streams, PromptAudio prompts, CallMeters.StepClock steps)
            throws java.io.IOException {
        this(callId, sipCallId, callerNumber, callerVerified, localTag, signalling, streams, prompts, steps, null);
    }

    SipCall(String callId, String sipCallId, String callerNumber, boolean callerVerified, String localTag,
            CallSignalling signalling, RtpStreamFactory streams, PromptAudio prompts, CallMeters.StepClock steps,
            java.nio.file.Path recordings) throws java.io.IOException {
        this.recordings = recordings;
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

    void flow(org.hotline.ivr.CallHandler h) {
        this.flow = h;
    }

    org.hotline.ivr.CallHandler flow() {
        return flow;
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
    public void audio(G711 codec, byte[] packet, int off, int len) {
        VoiceRecorder r = recorder;
        if (r != null && r.frame(codec, packet, off, len)) {
            lock.lock();
            try {
                changed.signalAll(); // the silence limit: the call's thread ends the recording
            } finally {
                lock.unlock();
            }
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

    /** RECORD FILE's limits as AgiCall sends them: {@code s=4} (silence), ends on {@code #}. */
    static final long RECORD_SILENCE_MS = 4000;
    /** Shorter than this is nothing said (AgiCall: endpos below 8000 samples). */
    static final int RECORD_MIN_SAMPLES = 8000;

    /**
     * The caller's voice after a beep, kept as Asterisk's RECORD FILE keeps it on the FastAGI path (res_agi.c
     * handle_recordfile, with AgiCall's arguments {@code "#" <max ms> 0 BEEP s=4}):
     * <ul>
     * <li>the beep is streamed with {@code #} as its escape digit (ast_streamfile + ast_waitstream(chan, "#")): a
     * {@code #} typed ahead or pressed during the beep ends it with {@code (randomerror)}, nothing is recorded; other
     * keys are read and dropped;
     * <li>then every voice frame is kept until {@code #} (the last 200 ms cut off: "chop off any small amount of
     * DTMF"), more than 4 s of silence (cut back to 1 s of it: ast_stream_rewind(fs, silence - 1000)), {@code max}
     * of audio, or a hang-up (what was said is kept: {@link #lastRecording()}); other keys are ignored.
     * </ul>
     * The WAV (8 kHz 16-bit mono) is written to {@code <recordings>/<name>.wav}. Null: this call cannot record (no
     * directory, the file cannot be written), a # at the beep, or less than a second kept.
     */
    @Override
    public Recording record(String name, Duration max) {
        java.nio.file.Path dir = recordings;
        if (dir == null || !name.matches("[A-Za-z0-9._-]+")) {
            return null;
        }
        steps.acting();
        SdpOffer.Choice media = rtp.media();
        G711 codec = media == null ? G711.PCMA : media.codec();
        VoiceRecorder r = new VoiceRecorder(RECORD_SILENCE_MS);
        boolean hash = false;
        boolean hungUp = false;
        lock.lock();
        try {
            ensureLive();
            hashGraceUntil = 0;
            // the beep, # its escape digit: typed-ahead keys reach ast_waitstream first
            while (!keys.isEmpty()) {
                if (keys.poll() == '#') {
                    log.info("SIP call {}: # before the beep: nothing recorded", callId);
                    steps.answered();
                    return null;
                }
            }
            playbackDone = false;
            byte[] beep = VoiceRecorder.beep(codec);
            rtp.play(beep);
            long beepEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(beep.length / 8 + 3000);
            while (!playbackDone && state != State.ENDED && System.nanoTime() < beepEnd) {
                if (!keys.isEmpty() && keys.poll() == '#') {
                    rtp.stopPlayback();
                    steps.answered();
                    return null;
                }
                changed.awaitNanos(Math.max(1, beepEnd - System.nanoTime()));
            }
            ensureLive();
            keys.clear();
            recorder = r;
            rtp.recordAudio(true);
            long maxSamples = max.toMillis() * 8;
            long deadline = System.nanoTime() + max.toNanos() + TimeUnit.SECONDS.toNanos(2);
            while (true) {
                if (state == State.ENDED) {
                    hungUp = true;
                    break;
                }
                if (keys.contains('#')) {
                    hash = true;
                    break;
                }
                keys.clear(); // not an escape digit: ignored while recording
                if (r.silenceReached() || r.samples() >= maxSamples) {
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break; // no audio arrives (a stalled peer): the wall clock ends it
                }
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            keys.clear();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            hungUp = true;
        } finally {
            rtp.recordAudio(false);
            recorder = null;
            lock.unlock();
        }
        if (hash) {
            r.rewind(200);
        } else if (r.silenceReached()) {
            r.rewind(RECORD_SILENCE_MS - 1000);
        } else if (r.samples() > max.toMillis() * 8) {
            r.rewind((r.samples() - max.toMillis() * 8) / 8);
        }
        Recording kept = null;
        if (r.samples() >= RECORD_MIN_SAMPLES) {
            java.nio.file.Path file = dir.resolve(name + ".wav");
            try {
                r.writeWav(file);
                kept = new Recording(file.toString(), Duration.ofMillis(r.samples() / 8));
                log.info("SIP call {}: recorded {} s ({})", callId, r.samples() / 8000,
                        hash ? "#" : hungUp ? "hang-up" : r.silenceReached() ? "silence" : "time limit");
            } catch (java.io.IOException e) {
                log.warn("SIP call {}: recording not written ({}): a person takes it", callId, e.toString());
            }
        }
        if (hungUp) {
            lastRecording = kept;
            throw new CallerHungUp(callId);
        }
        steps.answered();
        return kept;
    }

    @Override
    public Recording lastRecording() {
        return lastRecording;
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
