package org.hotline.ivr.sip;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prompt recordings ({@code <dir>/<id>.wav}, 8 kHz 16-bit mono PCM), encoded once per codec and kept.
 * A prompt that is missing or in another format is skipped with a warning: the engine validates the
 * catalogue at start-up, so a gap here is a deployment slip, not a reason to drop the call.
 */
public class PromptAudio {

    private static final Logger log = LoggerFactory.getLogger(PromptAudio.class);
    private static final byte[] NONE = new byte[0];

    private final Path dir;
    private final java.util.function.Function<String, java.util.Optional<byte[]>> recorded;
    private final Map<String, Map<G711, byte[]>> encoded = new ConcurrentHashMap<>();

    public PromptAudio(Path dir) {
        this(dir, id -> java.util.Optional.empty());
    }

    /**
     * @param recorded the names recorded in the console ({@code nm_<sha1>}, read from the database: the same store
     *                 Asterisk's media cache fetches over HTTP); content-addressed, so kept once encoded
     */
    public PromptAudio(Path dir, java.util.function.Function<String, java.util.Optional<byte[]>> recorded) {
        this.dir = dir;
        this.recorded = recorded;
    }

    /** The prompt encoded for the codec; empty when it cannot be read. */
    public byte[] encoded(String promptId, G711 codec) {
        Map<G711, byte[]> byCodec = encoded.computeIfAbsent(promptId, this::load);
        if (byCodec.isEmpty() && org.hotline.booking.SpokenNames.PROMPT_ID.matcher(promptId).matches()) {
            encoded.remove(promptId); // not stored (yet): asked again next time
        }
        return byCodec.getOrDefault(codec, NONE);
    }

    private Map<G711, byte[]> load(String promptId) {
        Map<G711, byte[]> m = new EnumMap<>(G711.class);
        if (org.hotline.booking.SpokenNames.PROMPT_ID.matcher(promptId).matches()) {
            try {
                java.util.Optional<byte[]> wav = recorded.apply(promptId);
                if (wav.isPresent()) {
                    short[] pcm = readWav(wav.get());
                    for (G711 c : G711.values()) {
                        m.put(c, c.encode(pcm));
                    }
                    return m;
                }
                log.warn("recorded name {} not found", promptId);
            } catch (RuntimeException e) {
                log.warn("recorded name {} not playable: {}", promptId, e.getMessage());
            }
            return m;
        }
        if (!promptId.matches("[A-Za-z0-9_.-]+") || promptId.contains("..")) {
            log.warn("prompt id {} is not a file name; skipped", promptId);
            return m;
        }
        Path file = dir.resolve(promptId + ".wav");
        try {
            short[] pcm = readWav(Files.readAllBytes(file));
            for (G711 c : G711.values()) {
                m.put(c, c.encode(pcm));
            }
        } catch (IOException | IllegalArgumentException e) {
            log.warn("prompt {} not playable ({}): {}", promptId, file, e.getMessage());
        }
        return m;
    }

    /** Samples of an 8 kHz 16-bit mono PCM WAV file. */
    static short[] readWav(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) { // "RIFF", "WAVE"
            throw new IllegalArgumentException("not a RIFF/WAVE file");
        }
        int pos = 12;
        boolean fmtSeen = false;
        while (pos + 8 <= data.length) {
            int id = b.getInt(pos);
            int size = b.getInt(pos + 4);
            int body = pos + 8;
            if (size < 0 || body + size > data.length) {
                size = data.length - body; // a truncated last chunk: take what is there
            }
            if (id == 0x20746d66) { // "fmt "
                int format = b.getShort(body) & 0xFFFF;
                int channels = b.getShort(body + 2);
                int rate = b.getInt(body + 4);
                int bits = b.getShort(body + 14);
                if ((format != 1 && format != 0xFFFE) || channels != 1 || rate != 8000 || bits != 16) {
                    throw new IllegalArgumentException("need 8000 Hz 16-bit mono PCM, found format " + format
                            + ", " + channels + " channel(s), " + rate + " Hz, " + bits + " bit");
                }
                fmtSeen = true;
            } else if (id == 0x61746164) { // "data"
                if (!fmtSeen) {
                    throw new IllegalArgumentException("data chunk before fmt chunk");
                }
                short[] pcm = new short[size / 2];
                for (int i = 0; i < pcm.length; i++) {
                    pcm[i] = b.getShort(body + 2 * i);
                }
                return pcm;
            }
            pos = body + size + (size & 1);
        }
        throw new IllegalArgumentException("no data chunk");
    }
}
