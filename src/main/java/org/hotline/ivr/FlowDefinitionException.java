package org.hotline.ivr;

import java.util.List;

/** The flow files are wrong; the service refuses to start. The message names each file and node. */
public class FlowDefinitionException extends RuntimeException {

    private final List<String> problems;

    public FlowDefinitionException(List<String> problems) {
        super("ivr-flows are invalid, the voice menu cannot start:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
