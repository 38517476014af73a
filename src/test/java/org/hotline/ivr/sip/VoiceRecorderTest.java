package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The direct SIP recording keeps what Asterisk's RECORD FILE keeps (res_agi.c handle_recordfile with dsp.c's
 * silence test): silent is a 20 ms frame whose mean magnitude is below 256; the recording ends only once the silent
 * time is longer than the limit, and any loud frame starts the count again.
 */
class VoiceRecorderTest {

    static byte[] frame(G711 codec, int amplitude) {
        short[] pcm = new short[160];
        for (int i = 0; i < pcm.length; i++) {
            pcm[i] = (short) (amplitude * Math.sin(2 * Math.PI * 440 * i / 8000.0));
        }
        return codec.encode(pcm);
    }

    @Test
    void silenceEndsTheRecordingOnlyWhenLongerThanTheLimitAndSpeechResetsIt(@TempDir Path dir) throws Exception {
        VoiceRecorder r = new VoiceRecorder(4000);
        byte[] loud = frame(G711.PCMA, 8000);
        byte[] quiet = frame(G711.PCMA, 200); // mean magnitude about 127: silent for dsp.c
        for (int i = 0; i < 100; i++) {
            assertThat(r.frame(G711.PCMA, loud, 0, loud.length)).isFalse();
        }
        for (int i = 0; i < 150; i++) { // 3 s of silence, then speech again: no end
            assertThat(r.frame(G711.PCMA, quiet, 0, quiet.length)).isFalse();
        }
        r.frame(G711.PCMA, loud, 0, loud.length);
        boolean ended = false;
        int frames = 0;
        while (!ended) {
            ended = r.frame(G711.PCMA, quiet, 0, quiet.length);
            frames++;
        }
        assertThat(frames * 20).as("ms of silence before the end: more than 4000").isEqualTo(4020);
        assertThat(r.silenceReached()).isTrue();
        assertThat(r.frame(G711.PCMA, loud, 0, loud.length)).as("nothing kept after the end").isFalse();
        int kept = r.samples();
        r.rewind(3000); // ast_stream_rewind(fs, silence - 1000)
        assertThat(r.samples()).isEqualTo(kept - 24000);

        Path wav = dir.resolve("c.wav");
        r.writeWav(wav);
        byte[] bytes = Files.readAllBytes(wav);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("RIFF");
        assertThat(b.getInt(24)).as("sample rate").isEqualTo(8000);
        assertThat(b.getShort(34)).as("bits").isEqualTo((short) 16);
        assertThat(b.getInt(40)).isEqualTo(2 * r.samples());
        assertThat(Math.abs(b.getShort(44 + 2 * 40))).as("the caller's audio, decoded").isGreaterThan(1000);
    }
}
