package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import javax.sound.sampled.AudioFileFormat;

import org.junit.jupiter.api.Test;

import org.hotline.booking.Refusal;

/**
 * Catalogue, audio and flows agree: every prompt has its 8 kHz 16-bit mono WAV, made from the sentence
 * the catalogue holds now (not an older one); every WAV is in the catalogue; every prompt a flow or the
 * engine plays is in the catalogue; every refusal has its spoken explanation.
 */
class PromptsTest {

    static final Path DIR = Path.of("prompts/zh-CN");
    static final PromptCatalogue PROMPTS = PromptCatalogue.load(DIR);

    @Test
    void everyPromptHasTelephoneAudioAndEveryAudioHasAPrompt() throws IOException {
        Set<String> wavs = new HashSet<>();
        try (Stream<Path> files = Files.list(DIR)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".wav"))
                    .forEach(n -> wavs.add(n.substring(0, n.length() - 4)));
        }
        assertThat(wavs).isEqualTo(PROMPTS.ids());
        for (String id : PROMPTS.ids()) {
            AudioFileFormat f = PROMPTS.audioFormat(id);
            assertThat(PromptCatalogue.isTelephoneWav(f.getFormat())).as(id + ": " + f.getFormat()).isTrue();
            assertThat(PROMPTS.audioSeconds(id)).as(id).isBetween(0.1, 30.0);
        }
    }

    /** The manifest records how each WAV was made; a sentence edited without remaking its audio fails here. */
    @Test
    void audioWasMadeFromTheCataloguesCurrentSentences() throws Exception {
        List<String> script = Files.readAllLines(Path.of("prompts/make-prompts.sh"));
        String voice = setting(script, "voice");
        String sentenceSpeed = setting(script, "speed_sentence");
        String pieceSpeed = setting(script, "speed_piece");
        String pieces = script.stream().filter(l -> l.trim().startsWith("num_*|")).findFirst().orElseThrow().trim();
        List<String> piecePatterns = List.of(pieces.substring(0, pieces.indexOf(')')).split("\\|"));
        Map<String, String> manifest = new HashMap<>();
        for (String line : Files.readAllLines(DIR.resolve("audio.manifest"))) {
            if (!line.startsWith("#") && !line.isBlank()) {
                String[] f = line.split("\t");
                manifest.put(f[0], f[1]);
            }
        }
        assertThat(manifest.keySet()).isEqualTo(PROMPTS.ids());
        for (String id : PROMPTS.ids()) {
            boolean piece = piecePatterns.stream().anyMatch(p -> p.endsWith("*") ? id.startsWith(p.substring(0,
                    p.length() - 1)) : id.equals(p));
            String recipe = (piece ? "piece|" + voice + "|" + pieceSpeed : "sentence|" + voice + "|" + sentenceSpeed)
                    + "|" + PROMPTS.sentence(id).orElseThrow();
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(recipe.getBytes(StandardCharsets.UTF_8)));
            assertThat(manifest.get(id)).as(id + ": audio is stale, run prompts/make-prompts.sh").isEqualTo(sha);
        }
    }

    private static String setting(List<String> script, String name) {
        String line = script.stream().filter(l -> l.startsWith(name + "=")).findFirst().orElseThrow();
        return line.substring(name.length() + 1).replaceAll("\\s*#.*", "").replace("\"", "").trim();
    }

    @Test
    void everyPromptTheFlowsAndTheEnginePlayIsInTheCatalogue() {
        FlowSet flows = FlowLoader.load("file:ivr-flows/*.yaml", "main", PROMPTS);
        Set<String> used = new HashSet<>(FlowLoader.enginePrompts());
        for (FlowNode n : flows.nodes().values()) {
            used.addAll(promptsOf(n));
        }
        used.removeIf(p -> p.startsWith("$"));
        assertThat(PROMPTS.ids()).containsAll(used);
        for (Refusal r : Refusal.values()) {
            assertThat(PROMPTS.sentence(FlowEngine.refusalPrompt(r))).as(r.name()).isPresent();
        }
    }

    @Test
    void thePromptsDoNotReadSymbolsOrDigitsAloud() {
        for (String id : PROMPTS.ids()) {
            assertThat(PROMPTS.sentence(id).orElseThrow()).as(id).doesNotContainPattern("[0-9#*A-Za-z]");
        }
    }

    static List<String> promptsOf(FlowNode n) {
        if (n instanceof FlowNode.Say s) {
            return s.prompt();
        } else if (n instanceof FlowNode.Menu m) {
            return m.prompt();
        } else if (n instanceof FlowNode.Choice c) {
            return c.prompt();
        } else if (n instanceof FlowNode.Collect c) {
            return c.prompt();
        } else if (n instanceof FlowNode.Confirm c) {
            return c.prompt();
        } else if (n instanceof FlowNode.Transfer t) {
            return t.prompt();
        } else if (n instanceof FlowNode.Goodbye g) {
            return g.prompt();
        }
        return List.of();
    }
}
