package org.hotline.ivr;

import java.util.Map;

/**
 * All flows, loaded and validated: nodes by qualified id ({@code flow.node}), the file each came from, and the
 * flows an outbound call may start in ({@code outbound: true}) with their start node.
 */
public record FlowSet(String entry, Map<String, FlowNode> nodes, Map<String, String> fileOfFlow,
        Map<String, String> outboundStarts) {

    public FlowSet(String entry, Map<String, FlowNode> nodes, Map<String, String> fileOfFlow) {
        this(entry, nodes, fileOfFlow, Map.of());
    }

    /** The start node (unqualified) of an outbound flow; fails for a flow not marked {@code outbound: true}. */
    public String startOf(String outboundFlow) {
        String start = outboundStarts.get(outboundFlow);
        if (start == null) {
            throw new IllegalArgumentException("no outbound flow " + outboundFlow);
        }
        return start;
    }

    public FlowNode node(String qualifiedId) {
        FlowNode n = nodes.get(qualifiedId);
        if (n == null) {
            throw new IllegalArgumentException("no node " + qualifiedId);
        }
        return n;
    }

    public static String flowOf(String qualifiedId) {
        return qualifiedId.substring(0, qualifiedId.indexOf('.'));
    }

    public static String nodeOf(String qualifiedId) {
        return qualifiedId.substring(qualifiedId.indexOf('.') + 1);
    }
}
