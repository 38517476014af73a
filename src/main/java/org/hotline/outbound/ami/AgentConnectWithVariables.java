package org.hotline.outbound.ami;

import java.util.Map;

import org.asteriskjava.manager.AsteriskMapping;
import org.asteriskjava.manager.event.AgentConnectEvent;

/**
 * app_queue.c's AgentConnect with the channel variables manager.conf's {@code channelvars} adds to it
 * (manager_channels.c ast_manager_build_channel_state_string_prefix: {@code ChanVariable: NAME=value} for the
 * caller, {@code DestChanVariable: NAME=value} for the member's channel). asterisk-java 3.41 drops those lines
 * from its own AgentConnectEvent; this one (registered for "AgentConnect" on each connection) keeps them, so the
 * screen-pop gets the caller's {@code HOTLINE_TRANSFER_ID} from the event itself.
 */
@AsteriskMapping("AgentConnect")
public class AgentConnectWithVariables extends AgentConnectEvent {

    private static final long serialVersionUID = 1L;

    private Map<String, String> chanVariables = Map.of();
    private Map<String, String> destChanVariables = Map.of();

    public AgentConnectWithVariables(Object source) {
        super(source);
    }

    /** The caller's ChanVariable lines (asterisk-java's EventAttributesHelper: "chanvariable" → a Map setter). */
    public Map<String, String> getChanVariables() {
        return chanVariables;
    }

    public void setChanVariables(Map<String, String> chanVariables) {
        this.chanVariables = chanVariables == null ? Map.of() : Map.copyOf(chanVariables);
    }

    /** The member channel's (inherited {@code __} variables). */
    public Map<String, String> getDestChanVariables() {
        return destChanVariables;
    }

    public void setDestChanVariables(Map<String, String> destChanVariables) {
        this.destChanVariables = destChanVariables == null ? Map.of() : Map.copyOf(destChanVariables);
    }

    /** The named variable from the caller's channel, else from the member's. */
    public String variable(String name) {
        String v = chanVariables.get(name);
        return v != null && !v.isEmpty() ? v : destChanVariables.get(name);
    }
}
