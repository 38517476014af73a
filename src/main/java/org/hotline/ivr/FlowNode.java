package org.hotline.ivr;

import java.util.List;
import java.util.Map;

import org.hotline.handoff.TransferReason;

/**
 * One node of a flow, as declared in {@code ivr-flows/*.yaml}. Targets are qualified ({@code flow.node})
 * once loaded. A prompt list holds catalogue ids and {@code $value} parts spoken from what the caller
 * chose (see {@link SpokenValues}).
 */
public sealed interface FlowNode {

    /** {@code flow.node}, as logs and the agent's screen name it. */
    String id();

    /** Plays its prompts, then goes on. A key pressed meanwhile: 0 a person, * again, others ignored. */
    record Say(String id, List<String> prompt, String next) implements FlowNode {
    }

    /**
     * A fixed menu: one key per option ({@code 1}–{@code 9}); 0 and * are the engine's. {@code timeout}
     * (optional) is where a caller who presses nothing goes on to, without counting it as a failure (after
     * a code read once with "重听按星号": silence means "heard it").
     */
    record Menu(String id, List<String> prompt, Map<String, String> options, String timeout) implements FlowNode {
        public Menu(String id, List<String> prompt, Map<String, String> options) {
            this(id, prompt, options, null);
        }
    }

    /**
     * A numbered choice from a live list (keys 1–8 in a stable order, 9 for more); {@code empty} is where
     * the call goes when the list has nothing to offer. {@code other} (optional, with {@code otherPrompt}) is one
     * more entry after the list's own: "为其他人预约请按三" → that node.
     */
    record Choice(String id, List<String> prompt, String list, String next, String empty, String otherPrompt,
            String other) implements FlowNode {
        public Choice(String id, List<String> prompt, String list, String next, String empty) {
            this(id, prompt, list, next, empty, null, null);
        }
    }

    /**
     * Digit entry: {@code min}–{@code max} keys, {@code #} ends early; with {@code starAsX} a final {@code *}
     * stands for the X of a resident ID. {@code check} validates before going on; {@code empty} (optional)
     * is where a caller who keys nothing goes.
     */
    record Collect(String id, List<String> prompt, int min, int max, boolean starAsX, String check, String store,
            String next, String empty) implements FlowNode {
    }

    /**
     * Reads back and asks: 1 yes, 2 choose again (which gives back any held place); {@code options} (keys
     * 3–9, optional) change one detail and keep the place held (3: another SMS number).
     */
    record Confirm(String id, List<String> prompt, String confirmed, String again, Map<String, String> options)
            implements FlowNode {
        public Confirm(String id, List<String> prompt, String confirmed, String again) {
            this(id, prompt, confirmed, again, Map.of());
        }
    }

    /** Calls the booking API; {@code outcomes} maps each outcome (or refusal name, or {@code refused}) to a node. */
    record Action(String id, String action, Map<String, String> outcomes) implements FlowNode {
    }

    /** Hands the caller to a person, recording why and where. */
    record Transfer(String id, List<String> prompt, TransferReason reason) implements FlowNode {
    }

    /** Says goodbye and hangs up. */
    record Goodbye(String id, List<String> prompt) implements FlowNode {
    }
}
