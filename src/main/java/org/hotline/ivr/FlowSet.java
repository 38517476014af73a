package org.hotline.ivr;

import java.util.Map;

/** All flows, loaded and validated: nodes by qualified id ({@code flow.node}), the file each came from. */
public record FlowSet(String entry, Map<String, FlowNode> nodes, Map<String, String> fileOfFlow) {

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
