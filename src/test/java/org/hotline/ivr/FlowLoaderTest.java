package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The real flows load; each kind of mistake in a flow file stops start-up with a message naming the file
 * and the node.
 */
class FlowLoaderTest {

    static final PromptCatalogue PROMPTS = PromptCatalogue.load(Path.of("prompts/zh-CN"));

    static final String MAIN = """
            flow: main
            start: menu
            nodes:
              menu:
                kind: menu
                prompt: [main_menu]
                options:
                  1: ask
                  2: bye
              ask:
                kind: collect
                prompt: [ask_code]
                min: 6
                max: 6
                check: booking_code
                store: booking_code
                next: bye
              bye:
                kind: goodbye
            """;

    static FlowSet parse(String... nameAndText) {
        Map<String, String> files = new LinkedHashMap<>();
        for (int i = 0; i < nameAndText.length; i += 2) {
            files.put(nameAndText[i], nameAndText[i + 1]);
        }
        return FlowLoader.parse(files, "main", PROMPTS);
    }

    static String problem(String... nameAndText) {
        try {
            parse(nameAndText);
        } catch (FlowDefinitionException e) {
            return e.getMessage();
        }
        throw new AssertionError("flows were accepted");
    }

    @Test
    void theHotlinesFlowsLoadAndEveryNodeIsReachable() {
        FlowSet flows = FlowLoader.load("file:ivr-flows/*.yaml", "main", PROMPTS);
        assertThat(flows.entry()).isEqualTo("main.welcome");
        assertThat(flows.fileOfFlow()).containsKeys("main", "outpatient", "vaccine", "booking", "manage");
        assertThat(flows.nodes()).containsKeys("booking.own_id", "booking.readback", "manage.cancel");
    }

    @Test
    void aSmallValidFlowLoads() {
        assertThat(parse("main.yaml", MAIN).nodes()).hasSize(3);
    }

    @Test
    void unknownNodeIsRefusedNamingFileAndNode() {
        assertThat(problem("main.yaml", MAIN.replace("next: bye", "next: byebye")))
                .contains("main.yaml: node 'ask' (main.ask): next → unknown node 'byebye'");
        assertThat(problem("main.yaml", MAIN.replace("2: bye", "2: other.start")))
                .contains("main.yaml: node 'menu' (main.menu): option 2 → unknown node 'other.start'");
    }

    @Test
    void unreachableNodeIsRefused() {
        String extra = MAIN + """
                  lonely:
                    kind: say
                    prompt: [welcome]
                    next: bye
                """;
        assertThat(problem("main.yaml", extra)).contains("main.yaml: node 'lonely' (main.lonely): unreachable");
        String otherFlow = """
                flow: orphan
                start: hello
                nodes:
                  hello:
                    kind: goodbye
                """;
        assertThat(problem("main.yaml", MAIN, "orphan.yaml", otherFlow))
                .contains("orphan.yaml: node 'hello' (orphan.hello): unreachable");
    }

    @Test
    void missingPromptIsRefused() {
        assertThat(problem("main.yaml", MAIN.replace("[ask_code]", "[ask_code, no_such_prompt]")))
                .contains("main.yaml: node 'ask' (main.ask): missing prompt 'no_such_prompt'");
        assertThat(problem("main.yaml", MAIN.replace("[ask_code]", "[$no_such_value]")))
                .contains("main.yaml: node 'ask' (main.ask): unknown spoken value '$no_such_value'");
    }

    @Test
    void badDigitSpecIsRefused() {
        assertThat(problem("main.yaml", MAIN.replace("min: 6", "min: 8")))
                .contains("main.yaml: node 'ask' (main.ask): bad digit spec: need 1 <= min <= max <= 20, got min 8, max 6");
        assertThat(problem("main.yaml", MAIN.replace("max: 6", "max: six")))
                .contains("main.yaml: node 'ask' (main.ask): bad digit spec: 'max' must be a whole number");
        assertThat(problem("main.yaml", MAIN.replace("min: 6\n    max: 6", "min: 6\n    max: 6\n    star: hash")))
                .contains("(main.ask): bad digit spec: star must be x");
        assertThat(problem("main.yaml", MAIN.replace("check: booking_code", "check: resident_id")))
                .contains("(main.ask): bad digit spec: check resident_id needs min 18 and max 18");
        assertThat(problem("main.yaml", MAIN.replace("check: booking_code", "check: booking_code\n    star: x")))
                .contains("(main.ask): bad digit spec: star: x only makes sense with check: resident_id");
    }

    @Test
    void reservedKeysUnknownKindsActionsWithoutAWayOnAndYamlBooleansAreRefused() {
        assertThat(problem("main.yaml", MAIN.replace("2: bye", "0: bye")))
                .contains("(main.menu): option key '0' must be one of 1-9");
        assertThat(problem("main.yaml", MAIN.replace("kind: goodbye", "kind: farewell")))
                .contains("main.yaml: node 'bye' (main.bye): kind must be one of");
        String bye = "  bye:\n    kind: goodbye\n";
        String action = MAIN.replace(bye, "  bye:\n    kind: action\n    action: book\n    outcomes: {booked: end}\n"
                + "  end:\n    kind: goodbye\n");
        assertThat(problem("main.yaml", action))
                .contains("(main.bye): action book can be refused: map 'refused'");
        String yes = MAIN.replace(bye, "  bye:\n    kind: confirm\n    prompt: [confirm_booking]\n    yes: end\n"
                + "    again: end\n  end:\n    kind: goodbye\n");
        assertThat(problem("main.yaml", yes)).contains("quote it").contains("(main.bye): missing 'confirmed'");
    }

    @Test
    void theServiceRefusesToStartWithBadFlows(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("main.yaml"), MAIN.replace("next: bye", "next: nowhere"));
        new ApplicationContextRunner().withUserConfiguration(IvrConfig.class)
                .withBean(IvrProperties.class, () -> new IvrProperties("file:" + dir + "/*.yaml", "prompts/zh-CN",
                        null, null, null, null, null, null, null, null, null, null, null, null, null))
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(FlowDefinitionException.class)
                            .hasMessageContaining("main.yaml: node 'ask' (main.ask): next → unknown node 'nowhere'");
                });
    }

    @Test
    void aPromptWithoutAudioStopsStartUp(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("catalogue.tsv"), "welcome\t您好。\n");
        assertThatThrownBy(() -> PromptCatalogue.load(dir)).hasMessageContaining("prompts without audio")
                .hasMessageContaining("welcome");
        Files.writeString(dir.resolve("catalogue.tsv"), "Welcome-1\t您好。\n");
        assertThatThrownBy(() -> PromptCatalogue.load(dir)).hasMessageContaining("must match [a-z0-9_]+");
    }

    @Test
    void theEngineNeedsItsOwnPromptsToo(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("catalogue.tsv"), "main_menu\t菜单。\nask_code\t预约码。\n");
        Files.copy(Path.of("prompts/zh-CN/main_menu.wav"), dir.resolve("main_menu.wav"));
        Files.copy(Path.of("prompts/zh-CN/ask_code.wav"), dir.resolve("ask_code.wav"));
        PromptCatalogue few = PromptCatalogue.load(dir);
        assertThatThrownBy(() -> FlowLoader.parse(Map.of("main.yaml", MAIN), "main", few))
                .hasMessageContaining("engine: missing prompt 'goodbye'")
                .hasMessageContaining("engine: missing prompt 'refusal_full'");
    }
}
