package org.hotline.ivr.sip;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes small prompt recordings (sine tones, 8 kHz 16-bit mono WAV) for adapter tests. */
final class TestPrompts {

    private TestPrompts() {
    }

    static short[] tone(double hz, int millis) {
        short[] s = new short[millis * 8];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) (12000 * Math.sin(2 * Math.PI * hz * i / 8000.0));
        }
        return s;
    }

    static byte[] wav(short[] samples) {
        ByteBuffer b = ByteBuffer.allocate(44 + samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + samples.length * 2).putInt(0x45564157);
        b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1).putInt(8000).putInt(16000)
                .putShort((short) 2).putShort((short) 16);
        b.putInt(0x61746164).putInt(samples.length * 2);
        for (short s : samples) {
            b.putShort(s);
        }
        return b.array();
    }

    static void write(Path dir, String id, short[] samples) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(id + ".wav"), wav(samples));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
