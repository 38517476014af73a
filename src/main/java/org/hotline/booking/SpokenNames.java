package org.hotline.booking;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The spoken names of catalogue entries added in the console (table {@code name_audio}): one 8 kHz 16-bit mono
 * WAV per facility, service or vaccine, kept in the database so that every gateway node plays and serves the
 * same sound. Addressed by the SHA-1 of its bytes: the voice menu plays it as prompt {@code nm_<sha1>}, the
 * FastAGI adapter hands Asterisk an http URL with that hash (its media cache keys on the URL, so a new
 * recording is a new URL), the direct SIP adapter reads the bytes here.
 */
@Component
public class SpokenNames {

    public enum Kind {
        FACILITY, SERVICE, VACCINE
    }

    /** Prompt ids of stored names: {@code nm_} and the 40 hex digits of the audio's SHA-1. */
    public static final Pattern PROMPT_ID = Pattern.compile("nm_([0-9a-f]{40})");
    /** A spoken name is a few seconds: 60 s of 8 kHz 16-bit audio is 960 000 bytes. */
    public static final int MAX_BYTES = 1_000_000;

    public record Stored(Kind kind, long entryId, String sha1, String source, LocalDateTime updatedAt,
            String updatedBy, double seconds) {
        public String promptId() {
            return "nm_" + sha1;
        }
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;

    public SpokenNames(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The prompt id of the entry's stored name, if it has one. */
    public Optional<String> promptId(Kind kind, long entryId) {
        return jdbc.queryForList("SELECT sha1 FROM name_audio WHERE kind = ? AND entry_id = ?", String.class,
                kind.name(), entryId).stream().findFirst().map(s -> "nm_" + s);
    }

    public Optional<Stored> stored(Kind kind, long entryId) {
        return jdbc.query("""
                SELECT kind, entry_id, sha1, source, updated_at, updated_by, LENGTH(wav) AS bytes FROM name_audio
                WHERE kind = ? AND entry_id = ?""", (rs, i) -> new Stored(Kind.valueOf(rs.getString(1)), rs.getLong(2),
                rs.getString(3), rs.getString(4), rs.getObject(5, LocalDateTime.class), rs.getString(6),
                Math.max(0, rs.getLong(7) - 44) / 16000.0), kind.name(), entryId).stream().findFirst();
    }

    /** The WAV bytes with this SHA-1 (lower-case hex), if any entry has them. */
    public Optional<byte[]> audio(String sha1) {
        if (sha1 == null || !sha1.matches("[0-9a-f]{40}")) {
            return Optional.empty();
        }
        List<byte[]> rows = jdbc.query("SELECT wav FROM name_audio WHERE sha1 = ? LIMIT 1", (rs, i) -> rs.getBytes(1),
                sha1);
        return rows.stream().findFirst();
    }

    /** The audio of a prompt id {@code nm_<sha1>}; empty for any other id. */
    public Optional<byte[]> audioOfPrompt(String promptId) {
        var m = PROMPT_ID.matcher(promptId == null ? "" : promptId);
        return m.matches() ? audio(m.group(1)) : Optional.empty();
    }

    /**
     * Stores (or replaces) the entry's name. The bytes must already be what telephony plays: a RIFF/WAVE file,
     * 8000 Hz, 16-bit signed little-endian PCM, mono, at most {@link #MAX_BYTES}. Runs in the caller's transaction.
     *
     * @return the new prompt id
     */
    public String store(Kind kind, long entryId, byte[] wav, String source, String by) {
        requireTelephoneWav(wav);
        String sha1 = sha1(wav);
        jdbc.update("""
                INSERT INTO name_audio (kind, entry_id, sha1, wav, source, updated_at, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE sha1 = VALUES(sha1), wav = VALUES(wav), source = VALUES(source),
                  updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)""",
                kind.name(), entryId, sha1, wav, source, LocalDateTime.now(clock), by);
        return "nm_" + sha1;
    }

    /** Throws {@link IllegalArgumentException} naming what is wrong unless the bytes are a telephone WAV. */
    public static void requireTelephoneWav(byte[] wav) {
        if (wav == null || wav.length < 44) {
            throw new IllegalArgumentException("录音为空或不是 WAV 文件");
        }
        if (wav.length > MAX_BYTES) {
            throw new IllegalArgumentException("录音过长（最多 60 秒）");
        }
        AudioFormat f;
        long frames;
        try {
            var ff = AudioSystem.getAudioFileFormat(new ByteArrayInputStream(wav));
            f = ff.getFormat();
            frames = ff.getFrameLength();
        } catch (UnsupportedAudioFileException | IOException e) {
            throw new IllegalArgumentException("不是可读的 WAV 文件");
        }
        if (f.getSampleRate() != 8000f || f.getSampleSizeInBits() != 16 || f.getChannels() != 1
                || f.getEncoding() != AudioFormat.Encoding.PCM_SIGNED || f.isBigEndian()) {
            throw new IllegalArgumentException("录音须为 8000 Hz、16 位、单声道 PCM");
        }
        if (frames == 0) {
            throw new IllegalArgumentException("录音没有声音");
        }
    }

    static String sha1(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
