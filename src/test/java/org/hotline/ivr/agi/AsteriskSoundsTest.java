package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: every sound {@code sip-config/} makes Asterisk play exists in the project, in Mandarin, and
 * {@code sip-config/install-sounds.sh} puts it where Asterisk looks for it.
 */
class AsteriskSoundsTest {

    static final Path DIR = Path.of("sip-config");

    /** key = value lines of one [section] of an Asterisk .conf file (comments removed). */
    static Map<String, String> section(String file, String name) throws Exception {
        Map<String, String> kv = new LinkedHashMap<>();
        String at = null;
        for (String raw : Files.readAllLines(DIR.resolve(file))) {
            String line = raw.replaceAll("(^|[^\\\\]);.*$", "$1").trim();
            if (line.startsWith("[")) {
                at = line.substring(1, line.indexOf(']'));
            } else if (name.equals(at) && line.contains("=") && !line.startsWith("member")) {
                kv.put(line.substring(0, line.indexOf('=')).trim().toLowerCase(), line.substring(line.indexOf('=') + 1).trim());
            }
        }
        return kv;
    }

    static boolean projectSound(String sound) {
        return sound.startsWith("hotline/zh-CN/")
                && Files.exists(Path.of("prompts/zh-CN", sound.substring("hotline/zh-CN/".length()) + ".wav"));
    }

    @Test
    void everyQueueAnnouncementAsteriskPlaysIsAMandarinPromptOfTheProject() throws Exception {
        Map<String, String> q = section("queues.conf", "hotline-agents");
        // app_queue.c say_position: position (announce-position defaults to yes), then with announce-holdtime the
        // hold time, then thanks; with reportholdtime the agent hears queue-reporthold
        List<String> played = new ArrayList<>(List.of("queue-youarenext", "queue-thereare", "queue-callswaiting",
                "queue-thankyou"));
        if ("yes".equalsIgnoreCase(q.get("announce-holdtime")) || "once".equalsIgnoreCase(q.get("announce-holdtime"))) {
            played.addAll(List.of("queue-holdtime", "queue-minute", "queue-minutes", "queue-seconds"));
        }
        if ("yes".equalsIgnoreCase(q.get("reportholdtime"))) {
            played.add("queue-reporthold");
        }
        for (String sound : played) {
            assertThat(q.get(sound)).as("%s is set in queues.conf (else Asterisk plays its English one)", sound)
                    .isNotNull();
        }
        q.forEach((k, v) -> {
            if (k.startsWith("queue-") || k.startsWith("periodic-announce") && !k.endsWith("frequency")) {
                for (String s : v.split(",")) {
                    assertThat(projectSound(s.trim())).as("%s = %s is a prompt of prompts/zh-CN", k, s).isTrue();
                }
            }
        });
    }

    @Test
    void everySoundTheDialplanPlaysIsInTheProject() throws Exception {
        Pattern app = Pattern.compile("(?i)\\b(Playback|Background|BackGround|Read|WaitExten|ControlPlayback)\\(([^),]*)");
        List<String> sounds = new ArrayList<>();
        for (String line : Files.readAllLines(DIR.resolve("extensions.conf"))) {
            Matcher m = app.matcher(line.replaceAll(";.*$", ""));
            while (m.find()) {
                if (!m.group(2).isBlank() && !m.group(1).equalsIgnoreCase("WaitExten")) {
                    for (String s : m.group(2).split("&")) {
                        sounds.add(s.trim());
                    }
                }
            }
        }
        assertThat(sounds).allMatch(AsteriskSoundsTest::projectSound);
    }

    @Test
    void theInstallScriptPutsThePromptsAndTheDigitsSayCNeedsWhereAsteriskLooks(@TempDir Path sounds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "sip-config/install-sounds.sh").redirectErrorStream(true);
        pb.environment().put("ASTERISK_SOUNDS", sounds.toString());
        Process run = pb.start();
        String out = new String(run.getInputStream().readAllBytes());
        assertThat(run.waitFor()).as(out).isZero();
        try (var prompts = Files.list(Path.of("prompts/zh-CN"))) {
            prompts.filter(f -> f.toString().endsWith(".wav")).forEach(f ->
                    assertThat(sounds.resolve("hotline/zh-CN").resolve(f.getFileName())).exists());
        }
        // say.c ast_say_number_full_zh: below 100 digits/<tens> then digits/<units>; hundred, thousand above
        for (int n = 0; n < 1000; n++) {
            List<String> files = new ArrayList<>();
            if (n >= 100) {
                files.add(Integer.toString(n / 100));
                files.add("hundred");
            }
            int r = n % 100;
            if (r >= 10) {
                files.add(Integer.toString(r / 10 * 10));
            }
            files.add(Integer.toString(r % 10));
            for (String f : files) {
                assertThat(sounds.resolve("zh/digits/" + f + ".wav")).as("number %d needs digits/%s", n, f).exists();
            }
        }
        assertThat(sounds.resolve("zh/digits/thousand.wav")).exists();
        assertThat(Files.size(sounds.resolve("zh/digits/20.wav")))
                .isEqualTo(Files.size(Path.of("prompts/zh-CN/num_20.wav")));
    }

    /** One [name](templates) section of a .conf file: its own key = value lines and the templates it inherits. */
    record Section(String name, List<String> templates, Map<String, String> values) {
    }

    static List<Section> sections(String file) throws Exception {
        List<Section> out = new ArrayList<>();
        Section at = null;
        Pattern header = Pattern.compile("^\\[([^\\]]+)\\](?:\\(([^)]*)\\))?");
        for (String raw : Files.readAllLines(DIR.resolve(file))) {
            String line = raw.replaceAll("(^|[^\\\\]);.*$", "$1").trim();
            Matcher h = header.matcher(line);
            if (h.find()) {
                List<String> templates = h.group(2) == null ? List.of()
                        : java.util.Arrays.stream(h.group(2).split(",")).map(String::trim)
                                .filter(t -> !t.isEmpty() && !t.equals("!")).toList();
                at = new Section(h.group(1).trim(), templates, new LinkedHashMap<>());
                out.add(at);
            } else if (at != null && line.contains("=")) {
                at.values().put(line.substring(0, line.indexOf('=')).trim().toLowerCase(),
                        line.substring(line.indexOf('=') + 1).trim());
            }
        }
        return out;
    }

    /** A key of a section as Asterisk's config loader sees it: its own line, else its templates' (in order). */
    static String value(List<Section> all, Section s, String key) {
        if (s.values().containsKey(key)) {
            return s.values().get(key);
        }
        for (String t : s.templates()) {
            for (Section tpl : all) {
                if (tpl.name().equals(t) && tpl != s) {
                    String v = value(all, tpl, key);
                    if (v != null) {
                        return v;
                    }
                }
            }
        }
        return null;
    }

    @Test
    void everyQueueMembersEndpointSpeaksMandarinSoWhatAsteriskSaysToAgentsIsInZh() throws Exception {
        // app_queue.c: with reportholdtime the member hears queue-reporthold, then the hold time said by say.c in the
        // member channel's language (ast_say_number(peer, …, language of peer)), then queue-minutes; a PJSIP channel
        // takes its language from its endpoint's language= (en when unset: English digits to a Mandarin agent)
        List<String> members = new ArrayList<>();
        for (String line : Files.readAllLines(DIR.resolve("queues.conf"))) {
            Matcher m = Pattern.compile("^\\s*member\\s*=>\\s*PJSIP/([^,\\s;]+)").matcher(line);
            if (m.find()) {
                members.add(m.group(1));
            }
        }
        assertThat(members).isNotEmpty();
        List<Section> pjsip = sections("pjsip.conf");
        for (String member : members) {
            Section endpoint = pjsip.stream().filter(s -> s.name().equals(member))
                    .filter(s -> "endpoint".equals(value(pjsip, s, "type"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no endpoint " + member + " in pjsip.conf"));
            assertThat(value(pjsip, endpoint, "language")).as("language of endpoint %s", member).isEqualTo("zh");
        }
        // and the sounds say.c needs in zh are what install-sounds.sh installs (checked above): sounds/zh/digits
        assertThat(Files.readString(DIR.resolve("install-sounds.sh"))).contains("zh/digits");
    }
}
