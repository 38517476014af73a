package org.hotline.ivr.sip;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The caller's voice of one recording on a direct SIP call (a complaint, issue 16), as Asterisk's RECORD FILE keeps
 * it on the FastAGI path (res_agi.c handle_recordfile): every voice frame the caller sends is decoded to 16-bit
 * linear and kept; with silence detection each frame is judged as dsp.c ast_dsp_silence does (the mean of the
 * samples' magnitudes below the threshold, dsp.conf {@code silencethreshold}, 256 by default, is silent; silent time
 * adds up in ms and any loud frame sets it back to 0), and the recording ends once the silent time is longer than
 * the limit ({@code totalsilence > silence}). Fed by the media reader thread, read by the call's thread.
 */
final class VoiceRecorder {

    /** dsp.c DEFAULT_SILENCE_THRESHOLD (dsp.conf silencethreshold). */
    static final int SILENCE_THRESHOLD = 256;

    private final long silenceLimitMs;
    private short[] samples = new short[8000 * 16];
    private int length;
    private long silentMs;
    private boolean silenceReached;

    /** @param silenceLimitMs RECORD FILE's {@code s=} in ms; 0: no silence detection */
    VoiceRecorder(long silenceLimitMs) {
        this.silenceLimitMs = silenceLimitMs;
    }

    /** One RTP payload of the call's codec; returns true when this frame made the silence limit reached. */
    synchronized boolean frame(G711 codec, byte[] payload, int off, int len) {
        if (silenceReached || len <= 0) {
            return false;
        }
        if (length + len > samples.length) {
            samples = java.util.Arrays.copyOf(samples, Math.max(samples.length * 2, length + len));
        }
        long accum = 0;
        for (int i = 0; i < len; i++) {
            short s = codec.decode(payload[off + i]);
            samples[length++] = s;
            accum += Math.abs(s);
        }
        if (silenceLimitMs <= 0) {
            return false;
        }
        if (accum / len < SILENCE_THRESHOLD) {
            silentMs += len / 8;
        } else {
            silentMs = 0;
        }
        if (silentMs > silenceLimitMs) {
            silenceReached = true;
            return true;
        }
        return false;
    }

    synchronized boolean silenceReached() {
        return silenceReached;
    }

    /** Samples kept so far (8000 a second). */
    synchronized int samples() {
        return length;
    }

    /** Cuts the last {@code ms} off (ast_stream_rewind + ast_truncstream); never below 0. */
    synchronized void rewind(long ms) {
        length = (int) Math.max(0, length - ms * 8);
    }

    /** Writes what was kept as an 8 kHz 16-bit mono PCM WAV (the prompts' format), replacing the file if any. */
    synchronized void writeWav(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(36 + 2 * length)
                .put("WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1)
                .putShort((short) 1).putInt(8000).putInt(16000).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(2 * length);
        for (int i = 0; i < length; i++) {
            b.putShort(samples[i]);
        }
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        Files.write(tmp, b.array());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Asterisk's "beep": a 1 kHz tone of a quarter second, for the codec. */
    static byte[] beep(G711 codec) {
        short[] tone = new short[2000];
        for (int i = 0; i < tone.length; i++) {
            tone[i] = (short) (Math.sin(2 * Math.PI * 1000 * i / 8000.0) * 8000);
        }
        return codec.encode(tone);
    }
}
