package org.hotline.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import org.hotline.booking.SpokenNames;

/**
 * Makes a spoken name telephone-ready: an uploaded recording (any common WAV: any rate, width, channels, PCM or
 * float) converted with sox to 8 kHz 16-bit signed mono, or the name generated with espeak-ng exactly as
 * {@code prompts/make-prompts.sh} makes the committed name pieces (voice cmn-latn-pinyin, 125 wpm, then sox:
 * band-limited resample, silence trimmed, -3 dBFS, 0.05 s pad).
 *
 * <p>Safely: the tools are run directly (no shell) with fixed arguments and fixed file names in a private temporary
 * directory; the user's bytes and text only ever reach them as file contents ({@code espeak-ng -f}), never as
 * arguments, so nothing they send can become an option or a command. Input is bounded ({@link #MAX_UPLOAD}), must
 * be a RIFF/WAVE file (sox is told {@code -t wav}: it never guesses another format), each tool gets
 * {@link #TIMEOUT_SECONDS} and is killed after, its output is bounded, and the result is checked again
 * ({@link SpokenNames#requireTelephoneWav}).
 */
@Component
public class NameRecordings {

    private static final Logger log = LoggerFactory.getLogger(NameRecordings.class);

    /** An upload larger than this is refused before anything runs (a name is seconds long). */
    public static final int MAX_UPLOAD = 8 * 1024 * 1024;
    static final int TIMEOUT_SECONDS = 20;
    static final String VOICE = "cmn-latn-pinyin";

    /** The recording could not be made, with a sentence for the screen. */
    public static final class Unusable extends RuntimeException {
        public Unusable(String text) {
            super(text);
        }
    }

    /** Converts an uploaded WAV file to what telephony plays. */
    public byte[] fromUpload(byte[] upload) {
        if (upload == null || upload.length < 44) {
            throw new Unusable("请上传 WAV 录音文件");
        }
        if (upload.length > MAX_UPLOAD) {
            throw new Unusable("录音文件过大（最多 8 MB）");
        }
        if (!(upload[0] == 'R' && upload[1] == 'I' && upload[2] == 'F' && upload[3] == 'F' && upload[8] == 'W'
                && upload[9] == 'A' && upload[10] == 'V' && upload[11] == 'E')) {
            throw new Unusable("不是 WAV 录音文件");
        }
        Path dir = tempDir();
        try {
            Path in = dir.resolve("upload.wav");
            Path out = dir.resolve("name.wav");
            Files.write(in, upload);
            run(List.of("sox", "-V1", "-t", "wav", in.toString(), "-t", "wav", "-b", "16", "-e", "signed-integer",
                    "-c", "1", out.toString(), "rate", "-h", "8000", "silence", "1", "0.02", "0.5%", "reverse",
                    "silence", "1", "0.02", "0.5%", "reverse", "norm", "-3", "pad", "0", "0.05"), "录音无法转换");
            return checked(out);
        } catch (IOException e) {
            throw new Unusable("录音无法保存");
        } finally {
            delete(dir);
        }
    }

    /** Whether espeak-ng (and sox) are installed, so a name can be generated. */
    public boolean canSpeak() {
        return onPath("espeak-ng") && onPath("sox");
    }

    /** The name spoken by espeak-ng, as make-prompts.sh makes the name pieces. */
    public byte[] speak(String name) {
        if (name == null || name.isBlank() || name.length() > 100) {
            throw new Unusable("名称不能为空，最多 100 个字");
        }
        if (!canSpeak()) {
            throw new Unusable("本机未安装 espeak-ng，无法生成语音，请上传录音");
        }
        Path dir = tempDir();
        try {
            Path text = dir.resolve("name.txt");
            Path raw = dir.resolve("raw.wav");
            Path out = dir.resolve("name.wav");
            Files.writeString(text, name.strip(), StandardCharsets.UTF_8);
            run(List.of("espeak-ng", "-b", "1", "-v", VOICE, "-s", "125", "-f", text.toString(), "-w", raw.toString()),
                    "语音生成失败");
            run(List.of("sox", "-V1", "-G", "-t", "wav", raw.toString(), "-t", "wav", "-b", "16", "-e", "signed-integer",
                    "-c", "1", out.toString(), "rate", "-h", "8000", "silence", "1", "0.02", "0.5%", "reverse",
                    "silence", "1", "0.02", "0.5%", "reverse", "norm", "-3", "pad", "0", "0.05"), "语音生成失败");
            return checked(out);
        } catch (IOException e) {
            throw new Unusable("语音生成失败");
        } finally {
            delete(dir);
        }
    }

    private static byte[] checked(Path out) throws IOException {
        if (!Files.isRegularFile(out) || Files.size(out) > SpokenNames.MAX_BYTES) {
            throw new Unusable("录音过长（最多 60 秒）或无法转换");
        }
        byte[] wav = Files.readAllBytes(out);
        try {
            SpokenNames.requireTelephoneWav(wav);
        } catch (IllegalArgumentException e) {
            throw new Unusable(e.getMessage());
        }
        return wav;
    }

    private static void run(List<String> command, String failure) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("LANG") && !k.equals("HOME"));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            log.warn("{} cannot run: {}", command.get(0), e.getMessage());
            throw new Unusable(failure + "（未安装 " + command.get(0) + "）");
        }
        try {
            p.getOutputStream().close();
            byte[] said = readBounded(p.getInputStream(), 8192);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new Unusable(failure + "（超时）");
            }
            if (p.exitValue() != 0) {
                log.warn("{} exited {}: {}", command.get(0), p.exitValue(),
                        new String(said, StandardCharsets.UTF_8).strip());
                throw new Unusable(failure);
            }
        } catch (IOException e) {
            p.destroyForcibly();
            throw new Unusable(failure);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new Unusable(failure);
        }
    }

    /** Reads what the tool says, keeping at most {@code max} bytes and draining the rest (so it never blocks). */
    private static byte[] readBounded(InputStream in, int max) throws IOException {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (kept.size() < max) {
                kept.write(buf, 0, Math.min(n, max - kept.size()));
            }
        }
        return kept.toByteArray();
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("hotline-name-");
        } catch (IOException e) {
            throw new Unusable("无法处理录音（临时目录）");
        }
    }

    private static void delete(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            log.debug("temporary directory {} not removed: {}", dir, e.getMessage());
        }
    }
}
