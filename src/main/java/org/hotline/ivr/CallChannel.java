package org.hotline.ivr;

import java.time.Duration;
import java.util.List;

/**
 * One live call as the flow engine sees it. The FastAGI adapter ({@code ivr.agi}) and the direct SIP
 * adapter ({@code ivr.sip}) each implement it; no flow knows which one it runs on.
 *
 * <p>Prompts are named by their catalogue id ({@code prompts/zh-CN/catalogue.tsv}); a spoken value
 * (a date, a number, a booking code) is a list of such ids composed by the engine. Every method
 * throws {@link CallerHungUp} once the caller has gone; the engine catches it once, at the top.
 */
public interface CallChannel {

    /** A stable id for this call, carried in every log line (MDC {@code callId}). */
    String callId();

    /** The caller's number as the network gave it (caller ID), or {@code ""} when withheld. */
    String callerNumber();

    /**
     * Whether {@link #callerNumber()} comes from a peer the gateway trusts to vouch for it: over FastAGI the
     * caller ID Asterisk sends (Asterisk is the trusted peer); over direct SIP a P-Asserted-Identity or From
     * only from a configured trusted peer ({@code hotline.sip.trusted-peers}). The engine treats an
     * unverified number as withheld: it ties nothing to it and reaches no booking by it.
     */
    boolean callerVerified();

    /**
     * Plays the prompts in order. Any key stops playback (barge-in) and is returned; the rest of the
     * list is skipped. Returns {@code '\0'} when everything played and no key was pressed.
     */
    char play(List<String> promptIds);

    /**
     * Plays the prompts (any key interrupts playback and counts as the first key), then collects keys
     * until {@code maxKeys} keys were pressed, {@code #} was pressed (not included in the result), or
     * {@code timeout} passed since the prompts ended or since the last key.
     *
     * @return the keys pressed ({@code 0-9}, {@code *}); {@code ""} when nothing was keyed in time
     */
    String collect(List<String> promptIds, int maxKeys, Duration timeout);

    /**
     * Hands the call to a person: the agent queue with a priority (higher = answered sooner). The
     * transfer context has already been recorded by the engine; {@code transferId} lets the agent's
     * screen find it. After this returns the engine plays nothing more.
     */
    void transferToAgent(String transferId, int priority);

    /**
     * The caller's queue priority is known (their age just became known) and the id a transfer of this call will
     * carry: an adapter whose peer can still queue the caller when this node is gone (FastAGI: Asterisk's dialplan
     * reads {@code QUEUE_PRIO} and {@code HOTLINE_TRANSFER_ID} when no node answers) leaves them there at once.
     * Called again when the priority changes; {@link #transferToAgent} still passes both.
     */
    default void priorityKnown(int priority, String transferId) {
    }

    /** A recording of the caller's voice: where it is (as the adapter's peer names it) and how long. */
    record Recording(String location, java.time.Duration length) {
    }

    /**
     * Records the caller's voice after a beep until they press {@code #}, fall silent or {@code max} passes
     * (a complaint, issue 16). Returns null when this adapter cannot record (the engine then hands the caller to
     * a person) or nothing was said. Throws {@link CallerHungUp} when the caller hung up, after keeping what they
     * said: {@link #lastRecording()} then has it.
     */
    default Recording record(String name, java.time.Duration max) {
        return null;
    }

    /** What the last {@link #record} kept when the caller hung up while recording; null otherwise. */
    default Recording lastRecording() {
        return null;
    }

    /** Ends the call from our side (after the goodbye prompt). */
    void hangUp();
}
