package org.hotline.ivr;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * The prompts a flow may play: {@code catalogue.tsv} ({@code id<TAB>sentence}) and one {@code <id>.wav}
 * per id beside it (8 kHz, 16-bit, mono: what Asterisk plays and the SIP adapter streams). An adapter
 * maps an id to its sound file with {@link #audioFile(String)}.
 */
public final class PromptCatalogue {

    /** Prompt ids stay simple so that every adapter can turn one into a file name as it is. */
    public static final Pattern ID = Pattern.compile("[a-z0-9_]+");

    private final Path dir;
    private final Map<String, String> sentences;

    private PromptCatalogue(Path dir, Map<String, String> sentences) {
        this.dir = dir;
        this.sentences = Collections.unmodifiableMap(sentences);
    }

    /** Reads {@code dir/catalogue.tsv}; a malformed or duplicate line stops start-up with its line number. */
    public static PromptCatalogue load(Path dir) {
        Path file = dir.resolve("catalogue.tsv");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("prompt catalogue not found: " + file.toAbsolutePath());
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int tab = line.indexOf('\t');
            String where = file + " line " + (i + 1);
            if (tab < 0) {
                throw new IllegalStateException(where + ": expected id<TAB>sentence");
            }
            String id = line.substring(0, tab);
            String sentence = line.substring(tab + 1).strip();
            if (!ID.matcher(id).matches()) {
                throw new IllegalStateException(where + ": prompt id '" + id + "' must match [a-z0-9_]+");
            }
            if (sentence.isEmpty()) {
                throw new IllegalStateException(where + ": prompt '" + id + "' has no sentence");
            }
            if (map.put(id, sentence) != null) {
                throw new IllegalStateException(where + ": prompt '" + id + "' is listed twice");
            }
        }
        List<String> silent = map.keySet().stream().filter(id -> !Files.isRegularFile(dir.resolve(id + ".wav")))
                .toList();
        if (!silent.isEmpty()) {
            throw new IllegalStateException("prompts without audio in " + dir.toAbsolutePath() + " (run prompts/make-prompts.sh): "
                    + silent);
        }
        return new PromptCatalogue(dir, map);
    }

    public boolean has(String id) {
        return sentences.containsKey(id);
    }

    public Optional<String> sentence(String id) {
        return Optional.ofNullable(sentences.get(id));
    }

    public Set<String> ids() {
        return sentences.keySet();
    }

    public Path dir() {
        return dir;
    }

    /** The sound an adapter plays for a prompt id. */
    public Path audioFile(String id) {
        return dir.resolve(id + ".wav");
    }

    /** How long the prompt's audio plays, from its WAV header. */
    public double audioSeconds(String id) {
        AudioFileFormat f = audioFormat(id);
        return f.getFrameLength() / (double) f.getFormat().getFrameRate();
    }

    public AudioFileFormat audioFormat(String id) {
        try {
            return AudioSystem.getAudioFileFormat(audioFile(id).toFile());
        } catch (UnsupportedAudioFileException | IOException e) {
            throw new IllegalStateException("cannot read prompt audio " + audioFile(id) + ": " + e.getMessage(), e);
        }
    }

    /** Is this what Asterisk plays as a .wav: 8 kHz, 16-bit signed little-endian PCM, mono. */
    public static boolean isTelephoneWav(AudioFormat f) {
        return f.getSampleRate() == 8000f && f.getSampleSizeInBits() == 16 && f.getChannels() == 1
                && f.getEncoding() == AudioFormat.Encoding.PCM_SIGNED && !f.isBigEndian();
    }
}
