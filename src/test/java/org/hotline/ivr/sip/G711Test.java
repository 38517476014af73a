package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

import org.junit.jupiter.api.Test;

/** Our G.711 encoder against the JDK's own (javax.sound), an implementation we did not write. */
class G711Test {

    static short[] everySample() {
        short[] s = new short[65536];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) (i - 32768);
        }
        return s;
    }

    static byte[] jdkEncode(short[] pcm, AudioFormat.Encoding encoding) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : pcm) {
            b.putShort(s);
        }
        AudioFormat linear = new AudioFormat(8000, 16, 1, true, false);
        try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(b.array()), linear, pcm.length);
                AudioInputStream coded = AudioSystem.getAudioInputStream(encoding, in)) {
            return coded.readAllBytes();
        }
    }

    /** The JDK rounds negative samples and clips differently; on 0..32635 both follow G.711 exactly. */
    @Test
    void bothLawsMatchTheJdkCodeForCodeOnNonNegativeSamples() throws Exception {
        short[] pcm = everySample();
        for (G711 codec : G711.values()) {
            byte[] ours = codec.encode(pcm);
            byte[] jdk = jdkEncode(pcm, codec == G711.PCMU ? AudioFormat.Encoding.ULAW : AudioFormat.Encoding.ALAW);
            for (int v = 0; v <= 32635; v++) {
                assertThat(ours[v + 32768]).as("%s of %d", codec, v).isEqualTo(jdk[v + 32768]);
            }
        }
    }

    /** A 4-bit mantissa per segment: the error is at most one step, about 1/16 of the value. */
    @Test
    void decodingWhatWeEncodedStaysWithinOneStepAndLoudSamplesSaturate() {
        for (G711 codec : G711.values()) {
            for (int v = -32635; v <= 32635; v++) {
                short back = codec.decode(codec.encode((short) v));
                assertThat(Math.abs(back - v)).as("%s %d -> %d", codec, v, back)
                        .isLessThanOrEqualTo((Math.abs(v) + 132) / 16 + 16);
            }
            assertThat(codec.decode(codec.encode((short) 32767))).isGreaterThan((short) 31000);
            assertThat(codec.decode(codec.encode((short) -32768))).isLessThan((short) -31000);
        }
    }

    @Test
    void silenceIsTheCodeOfZero() {
        assertThat(G711.PCMU.encode((short) 0)).isEqualTo(G711.PCMU.silence());
        assertThat(G711.PCMA.encode((short) 0)).isEqualTo(G711.PCMA.silence());
    }
}
