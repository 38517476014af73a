package org.hotline.ivr.agi;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiHangupException;
import org.asteriskjava.fastagi.AgiNetworkException;
import org.asteriskjava.fastagi.command.AgiCommand;
import org.asteriskjava.fastagi.command.ChannelStatusCommand;
import org.asteriskjava.fastagi.command.GetDataCommand;
import org.asteriskjava.fastagi.command.HangupCommand;
import org.asteriskjava.fastagi.command.SetVariableCommand;
import org.asteriskjava.fastagi.command.StreamFileCommand;
import org.asteriskjava.fastagi.command.WaitForDigitCommand;
import org.asteriskjava.fastagi.reply.AgiReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.ivr.CallChannel;
import org.hotline.ivr.CallMeters;
import org.hotline.ivr.CallerHungUp;

/**
 * One call from Asterisk as the flow engine sees it.
 *
 * <p>Hang-ups on the AGI wire are quiet: the command that was running returns {@code -1} (GET DATA:
 * the string {@code "-1"}), Asterisk then writes {@code HANGUP}, and only the next command gets
 * {@code 511}. STREAM FILE also returns {@code -1} for a missing sound file. So every {@code -1} is
 * followed by a CHANNEL STATUS probe (511 on a dead channel), and every method checks for a HANGUP
 * notice before it sends anything.
 */
final class AgiCall implements CallChannel {

    /** Channel variables the dialplan reads after AGI() returns (see sip-config/extensions.conf). */
    static final String NEXT = "HOTLINE_NEXT";
    static final String TRANSFER_ID = "HOTLINE_TRANSFER_ID";
    static final String QUEUE_PRIORITY = "QUEUE_PRIO";

    private static final Logger log = LoggerFactory.getLogger(AgiCall.class);
    private static final String ALL_KEYS = "0123456789*#";
    /** The raw result of GET DATA: digits, "-1", or nothing (a lone # or a timeout). */
    private static final Pattern GET_DATA_RESULT = Pattern.compile("^200 result=(\\S*)");

    enum End {
        /** Still in the menu, or the engine returned without saying how the call ends. */
        OPEN,
        AGENT,
        HUNG_UP_BY_US,
        CALLER_HUNG_UP,
        /**
         * Not taken: the database was away, so the call was closed before any command and the dialplan went
         * on to the next node (or, with none left, straight to the agents' queue).
         */
        NOT_TAKEN
    }

    private final String callId;
    private final String callerNumber;
    private final AgiChannel channel;
    private final AgiConnection connection;
    private final String soundPrefix;
    private final java.util.function.Supplier<String> mediaUrl;
    private final CallMeters.StepClock steps;
    private End end = End.OPEN;

    AgiCall(String callId, String callerNumber, AgiChannel channel, AgiConnection connection, String soundPrefix,
            CallStats stats) {
        this(callId, callerNumber, channel, connection, soundPrefix, () -> null, stats);
    }

    /**
     * @param mediaUrl the gateway's base URL as Asterisk reaches it ({@code http://host:port}), for the names
     *                 recorded in the console (prompts {@code nm_<sha1>}); null: none
     */
    AgiCall(String callId, String callerNumber, AgiChannel channel, AgiConnection connection, String soundPrefix,
            java.util.function.Supplier<String> mediaUrl, CallStats stats) {
        this.mediaUrl = mediaUrl;
        this.steps = stats.stepClock();
        this.callId = callId;
        this.callerNumber = callerNumber;
        this.channel = channel;
        this.connection = connection;
        this.soundPrefix = soundPrefix;
    }

    @Override
    public String callId() {
        return callId;
    }

    @Override
    public String callerNumber() {
        return callerNumber;
    }

    /** Asterisk is the trusted peer: the caller ID it sends counts as verified (an empty one is withheld). */
    @Override
    public boolean callerVerified() {
        return !callerNumber.isEmpty();
    }

    End end() {
        return end;
    }

    /**
     * Until when (System.nanoTime) a {@code #} is taken as the end of the full-length entry just keyed, not as a
     * key for what comes next; 0: none expected.
     *
     * <p>The prompts ask for "输完请按井号键", but GET DATA returns as soon as the last of {@code max} keys is in
     * (res_agi.c handle_getdata → app.c ast_readstring_full: {@code pos >= len}); the {@code #} pressed after it
     * stays queued on the channel and would interrupt the next prompt (STREAM FILE returns 35) or end the next
     * entry empty (GET DATA {@code 200 result=}). So the first such {@code #} within {@link #HASH_GRACE} is
     * swallowed: the interrupted sound is streamed on from where it stopped, the entry asked again.
     */
    private long hashGraceUntil;
    static final Duration HASH_GRACE = Duration.ofMillis(2500);

    private void fullEntry() {
        hashGraceUntil = System.nanoTime() + HASH_GRACE.toNanos();
    }

    /** Whether this key is the {@code #} that ended the full-length entry before; the grace ends either way. */
    private boolean swallowed(int key) {
        boolean inGrace = hashGraceUntil != 0 && System.nanoTime() - hashGraceUntil < 0;
        hashGraceUntil = 0;
        if (inGrace && key == '#') {
            log.debug("# after a full-length entry: taken as its end");
            return true;
        }
        return false;
    }

    @Override
    public char play(List<String> promptIds) {
        for (String id : promptIds) {
            AgiReply reply = send(new StreamFileCommand(sound(id), ALL_KEYS));
            int res = reply.getResultCode();
            if (res == '#' && swallowed(res)) {
                // on from where the # stopped it (STREAM FILE's sample offset; res_agi.c handle_streamfile)
                reply = send(new StreamFileCommand(sound(id), ALL_KEYS, endpos(reply)));
                res = reply.getResultCode();
            } else if (res >= 0) {
                hashGraceUntil = 0;
            }
            if (res > 0) {
                return (char) res;
            }
            if (res < 0) {
                requireAlive();
                log.warn("prompt {} not played: Asterisk has no sound {}", id, sound(id));
            }
        }
        return '\0';
    }

    @Override
    public String collect(List<String> promptIds, int maxKeys, Duration timeout) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1");
        }
        long timeoutMs = Math.max(1, timeout.toMillis());
        StringBuilder keys = new StringBuilder();
        if (!promptIds.isEmpty()) {
            char first = play(promptIds.subList(0, promptIds.size() - 1));
            if (first == '#') {
                return "";
            }
            if (first != '\0') {
                keys.append(first);
            } else {
                return getData(promptIds.get(promptIds.size() - 1), timeoutMs, maxKeys);
            }
        }
        // a key interrupted an earlier prompt (or nothing to play): the rest one key at a time
        while (keys.length() < maxKeys) {
            int res = send(new WaitForDigitCommand((int) Math.min(Integer.MAX_VALUE, timeoutMs))).getResultCode();
            if (res < 0) {
                requireAlive();
                break;
            }
            if (res == '#' && keys.isEmpty() && swallowed(res)) {
                continue;
            }
            hashGraceUntil = 0;
            if (res == 0 || res == '#') {
                break;
            }
            keys.append((char) res);
        }
        if (keys.length() == maxKeys && maxKeys > 1) {
            fullEntry();
        }
        return keys.toString();
    }

    private static int endpos(AgiReply reply) {
        String e = reply.getAttribute("endpos");
        try {
            return e == null ? 0 : Integer.parseInt(e.trim());
        } catch (NumberFormatException x) {
            return 0;
        }
    }

    /** GET DATA plays the last prompt with barge-in, then reads keys until max, # or the timeout. */
    private String getData(String promptId, long timeoutMs, int maxKeys) {
        AgiReply reply = send(new GetDataCommand(sound(promptId), timeoutMs, maxKeys));
        // compared as a string: 18 digits overflow asterisk-java's parseInt and would read as -1
        Matcher m = GET_DATA_RESULT.matcher(reply.getFirstLine());
        String keys = m.find() ? m.group(1) : "";
        if (keys.equals("-1")) {
            requireAlive();
            return "";
        }
        // "200 result=" without "(timeout)": a # came first (AST_GETDATA_EMPTY_END_TERMINATED)
        boolean hashFirst = keys.isEmpty() && !reply.getFirstLine().contains("(timeout)");
        if (hashFirst && swallowed('#')) {
            return getData(promptId, timeoutMs, maxKeys);
        }
        hashGraceUntil = 0;
        if (keys.length() == maxKeys && maxKeys > 1) {
            fullEntry();
        }
        return keys;
    }

    /**
     * Leaves the channel variables the dialplan needs and returns, so that Asterisk, not this
     * service, keeps the caller while they wait in {@code Queue()}: a queued call holds no thread
     * here, and survives a restart of this node.
     */
    @Override
    public void transferToAgent(String transferId, int priority) {
        // the way to a person first: should a later command fail, the dialplan still queues the caller
        send(new SetVariableCommand(NEXT, "AGENT"));
        end = End.AGENT;
        send(new SetVariableCommand(QUEUE_PRIORITY, Integer.toString(Math.max(0, priority))));
        send(new SetVariableCommand(TRANSFER_ID, transferId == null ? "" : transferId));
        log.info("handed to the agent queue: transfer {} priority {}", transferId, priority);
    }

    /**
     * Left on the channel at once: should this node die before the menu ends, sip-config/extensions.conf queues the
     * caller with this priority and transfer id instead of HOTLINE_FALLBACK_PRIO.
     */
    @Override
    public void priorityKnown(int priority, String transferId) {
        send(new SetVariableCommand(QUEUE_PRIORITY, Integer.toString(Math.max(0, priority))));
        send(new SetVariableCommand(TRANSFER_ID, transferId == null ? "" : transferId));
    }

    /** Where Asterisk writes complaint recordings (on the Asterisk server; docs/asterisk.md). */
    static final String RECORDINGS = "/var/spool/asterisk/hotline-complaints/";
    private Recording lastRecording;

    /**
     * RECORD FILE (res_agi.c handle_recordfile): {@code RECORD FILE <file> wav "#" <ms> 0 BEEP s=4}: offset 0,
     * a beep, ends on #, 4 s of silence or the time limit. Replies {@code 200 result=35 (dtmf) endpos=N},
     * {@code 200 result=<n> (timeout) endpos=N}, {@code 200 result=-1 (hangup) endpos=N}; endpos is in samples
     * (8000 a second), {@code (writefile)} when Asterisk could not create the file.
     */
    @Override
    public Recording record(String name, Duration max) {
        String file = RECORDINGS + name;
        AgiReply reply;
        try {
            reply = send(new org.asteriskjava.fastagi.command.RecordFileCommand(file, "wav", "#",
                    (int) Math.min(Integer.MAX_VALUE, max.toMillis()), 0, true, 4));
        } catch (IllegalStateException refused) {
            log.warn("Asterisk did not record ({}): the caller goes to a person", refused.getMessage());
            return null;
        }
        String first = reply.getFirstLine();
        long samples = endpos(reply);
        Recording r = samples >= 8000 ? new Recording(file + ".wav", Duration.ofMillis(samples / 8)) : null;
        if (reply.getResultCode() < 0 || first.contains("(hangup)")) {
            lastRecording = r;
            requireAlive();
        }
        if (first.contains("(writefile)") || first.contains("(randomerror)")) {
            log.warn("Asterisk could not record ({}): the caller goes to a person", first);
            return null;
        }
        return r;
    }

    @Override
    public Recording lastRecording() {
        return lastRecording;
    }

    @Override
    public void hangUp() {
        send(new SetVariableCommand(NEXT, "HANGUP"));
        send(new HangupCommand());
        end = End.HUNG_UP_BY_US;
    }

    /**
     * After the flow: a call the engine left open (it failed, even to hand the caller over) goes to a person,
     * never to a hang-up. If Asterisk refuses even that, HOTLINE_NEXT stays empty and its dialplan tries the
     * next node and then queues the caller itself (sip-config/extensions.conf).
     */
    void finish(int priority) {
        if (end == End.OPEN && !hangupNoticed()) {
            try {
                channel.sendCommand(new SetVariableCommand(NEXT, "AGENT"));
                end = End.AGENT;
                channel.sendCommand(new SetVariableCommand(QUEUE_PRIORITY, Integer.toString(Math.max(0, priority))));
                log.info("handed to the agent queue after the flow ended without a decision");
            } catch (AgiHangupException | AgiNetworkException e) {
                if (end == End.OPEN) {
                    end = End.CALLER_HUNG_UP;
                }
            } catch (AgiException e) {
                log.warn("Asterisk refused {}: the dialplan decides (next node, then the queue)", e.getMessage());
            }
        }
    }

    /**
     * The sound file Asterisk plays for a prompt id: {@code <prefix><id>} for the committed prompts (installed under
     * Asterisk's sounds directory), and for a name recorded in the console ({@code nm_<sha1>}) an http URL on this
     * gateway. Asterisk (14 and later) plays a file name containing {@code ://} through its media cache
     * (main/file.c, is_remote_path → ast_media_cache_retrieve; main/media_cache.c), fetched by res_http_media_cache.c
     * (curl; the file's format from the Content-Type, else the URL's extension; kept until Cache-Control max-age).
     * STREAM FILE and GET DATA open files through the same ast_openstream, so nothing is copied by hand, and a new
     * recording is a new URL (the hash), never a stale cache entry.
     */
    String sound(String promptId) {
        var m = org.hotline.booking.SpokenNames.PROMPT_ID.matcher(promptId);
        String base = m.matches() ? mediaUrl.get() : null;
        if (base != null) {
            return base + "/media/names/" + m.group(1) + ".wav";
        }
        return soundPrefix + promptId;
    }

    private boolean hangupNoticed() {
        return connection != null && connection.hangupNoticed();
    }

    private void requireAlive() {
        send(new ChannelStatusCommand());
    }

    private AgiReply send(AgiCommand command) {
        if (end == End.CALLER_HUNG_UP || end == End.HUNG_UP_BY_US || hangupNoticed()) {
            throw gone();
        }
        try {
            steps.acting();
            AgiReply reply = channel.sendCommand(command);
            steps.answered();
            return reply;
        } catch (AgiHangupException | AgiNetworkException e) {
            throw gone();
        } catch (AgiException e) {
            throw new IllegalStateException("Asterisk refused " + command.buildCommand() + ": " + e.getMessage(), e);
        }
    }

    private CallerHungUp gone() {
        if (end == End.OPEN || end == End.AGENT) {
            if (end == End.OPEN) {
                log.info("caller hung up");
            }
            end = end == End.AGENT ? End.AGENT : End.CALLER_HUNG_UP;
        }
        return new CallerHungUp(callId);
    }
}
