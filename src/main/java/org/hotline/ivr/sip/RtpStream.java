package org.hotline.ivr.sip;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call's RTP: sends a 20 ms G.711 frame on every media tick (prompt audio while something plays,
 * silence otherwise) and reads what the caller sends, picking out RFC 4733 key presses. Sequence numbers
 * go up by one per packet and timestamps by 160 samples per frame from random starting points; the marker
 * bit is set on the first packet and on the first after a pause in sending (hold).
 */
final class RtpStream {

    /** What a stream tells its call. Called on the media threads: must not block. */
    interface Events {
        void keyPressed(char key);

        void playbackFinished();

        void silenceTimedOut();

        /**
         * A voice frame from the caller in the call's codec (payload bytes {@code off..off+len} of {@code packet}),
         * passed on only while {@link RtpStream#recordAudio(boolean)} is on: a recording (issue 16).
         */
        default void audio(G711 codec, byte[] packet, int off, int len) {
        }
    }

    static final int FRAME = 160;
    private static final Logger log = LoggerFactory.getLogger(RtpStream.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DatagramChannel channel;
    private final int localPort;
    private final Events events;
    private final TelephoneEvents telephoneEvents = new TelephoneEvents();
    private final ByteBuffer out = ByteBuffer.allocate(12 + FRAME);
    private final int ssrc = RANDOM.nextInt();

    private volatile SdpOffer.Choice media;
    private volatile long lastReceivedNanos;
    private volatile boolean timedOut;
    /** Voice frames go to {@link Events#audio} (a recording runs). */
    private volatile boolean recording;

    // sending state: the media tick thread only
    private int sequence = RANDOM.nextInt(0x10000);
    private long timestamp = RANDOM.nextInt() & 0xFFFFFFFFL;
    private boolean marker = true;
    private long sent;
    private InetSocketAddress target;
    private SdpOffer.Choice targetFor;

    // playback: guarded by this
    private byte[] playing;
    private int offset;

    RtpStream(DatagramChannel channel, int localPort, Events events, long nowNanos) {
        this.channel = channel;
        this.localPort = localPort;
        this.events = events;
        this.lastReceivedNanos = nowNanos;
    }

    int localPort() {
        return localPort;
    }

    DatagramChannel channel() {
        return channel;
    }

    int ssrc() {
        return ssrc;
    }

    /** Where and how to send from now on (the SDP answer, or a re-INVITE's). */
    void use(SdpOffer.Choice choice) {
        this.media = choice;
    }

    SdpOffer.Choice media() {
        return media;
    }

    /** Passes the caller's voice frames on to {@link Events#audio} (on) or drops them, as always (off). */
    void recordAudio(boolean on) {
        this.recording = on;
    }

    /** Silence is counted from now (the call was just connected: ringing is no silence). */
    void restartSilenceClock(long nowNanos) {
        lastReceivedNanos = nowNanos;
    }

    /** Starts playing the audio (already encoded for the stream's codec), replacing whatever played. */
    synchronized void play(byte[] encoded) {
        playing = encoded;
        offset = 0;
    }

    /** Stops playback at once (barge-in); no {@link Events#playbackFinished()} follows. */
    synchronized void stopPlayback() {
        playing = null;
    }

    /** One 20 ms tick: send the next frame. */
    void tick(long nowNanos, long timeoutNanos) {
        SdpOffer.Choice m = media;
        if (m == null) {
            return;
        }
        byte[] frame = null;
        int from = 0;
        boolean finished = false;
        synchronized (this) {
            if (playing != null) {
                frame = playing;
                from = offset;
                offset += FRAME;
                if (offset >= playing.length) {
                    playing = null;
                    finished = true;
                }
            }
        }
        if (m.weMustNotSend()) {
            marker = true; // the next packet we send starts a new talkspurt
        } else {
            send(m, frame, from);
        }
        sequence = (sequence + 1) & 0xFFFF;
        timestamp = (timestamp + FRAME) & 0xFFFFFFFFL;
        if (finished) {
            events.playbackFinished();
        }
        if (!timedOut && timeoutNanos > 0 && !m.callerSendsNothing() && nowNanos - lastReceivedNanos > timeoutNanos) {
            timedOut = true;
            events.silenceTimedOut();
        }
    }

    private void send(SdpOffer.Choice m, byte[] audio, int from) {
        if (targetFor != m) {
            target = new InetSocketAddress(m.remoteAddress(), m.remotePort());
            targetFor = m;
        }
        out.clear();
        out.put((byte) 0x80);
        out.put((byte) ((marker ? 0x80 : 0) | m.codecPayloadType()));
        out.putShort((short) sequence);
        out.putInt((int) timestamp);
        out.putInt(ssrc);
        byte silence = m.codec().silence();
        for (int i = 0; i < FRAME; i++) {
            int at = from + i;
            out.put(audio != null && at < audio.length ? audio[at] : silence);
        }
        out.flip();
        try {
            channel.send(out, target);
            marker = false;
            sent++;
        } catch (IOException e) {
            if (sent % 500 == 0) {
                log.debug("RTP send to {} failed: {}", target, e.toString());
            }
        }
    }

    /** A datagram from the caller (or anyone: RTP has no authentication; only the format is checked). */
    void received(ByteBuffer packet, long nowNanos) {
        int len = packet.remaining();
        if (len < 12) {
            return;
        }
        int p = packet.position();
        int b0 = packet.get(p) & 0xFF;
        if ((b0 >> 6) != 2) {
            return;
        }
        lastReceivedNanos = nowNanos;
        SdpOffer.Choice m = media;
        int pt = packet.get(p + 1) & 0x7F;
        boolean voice = m != null && recording && pt == m.codecPayloadType();
        if (m == null || !voice && (m.telephoneEvent() < 0 || pt != m.telephoneEvent())) {
            return;
        }
        int header = 12 + 4 * (b0 & 0x0F);
        if ((b0 & 0x10) != 0 && len >= header + 4) {
            header += 4 + 4 * (packet.getShort(p + header + 2) & 0xFFFF);
        }
        int payloadLen = len - header;
        if ((b0 & 0x20) != 0 && payloadLen > 0) {
            payloadLen -= packet.get(p + len - 1) & 0xFF;
        }
        if (voice) {
            if (payloadLen > 0 && payloadLen <= len - header) {
                byte[] audio = new byte[payloadLen];
                packet.get(p + header, audio);
                events.audio(m.codec(), audio, 0, payloadLen);
            }
            return;
        }
        if (payloadLen < 4) {
            return;
        }
        long ts = packet.getInt(p + 4) & 0xFFFFFFFFL;
        int from = packet.getInt(p + 8);
        byte[] payload = new byte[4];
        packet.get(p + header, payload);
        char key = telephoneEvents.onPacket(from, ts, payload, 0, 4);
        if (key != 0) {
            events.keyPressed(key);
        }
    }

    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing a UDP socket: nothing to recover
        }
    }
}
