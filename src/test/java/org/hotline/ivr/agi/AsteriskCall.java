package org.hotline.ivr.agi;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * One call as Asterisk's {@code res_agi.c} would run it against a FastAGI server, over a real socket,
 * with a scripted caller on the line. The replies are the ones res_agi.c writes, byte for byte:
 *
 * <ul>
 * <li>the environment block ({@code agi_network: yes}, {@code agi_network_script}, then
 * {@code setup_env}: {@code agi_request} … {@code agi_threadid}) ending with an empty line;
 * <li>STREAM FILE: {@code 200 result=<ASCII code of the key> endpos=<sample>}, {@code result=0} when
 * it played to the end, {@code result=-1} on hang-up, {@code 200 result=-1 endpos=0} for a missing
 * sound file (the channel stays up);
 * <li>GET DATA: {@code 200 result=<keys>} (max keys or {@code #}, which is not included),
 * {@code 200 result=<keys> (timeout)} and {@code 200 result= (timeout)} when time ran out,
 * {@code 200 result=-1} on hang-up;
 * <li>keys typed ahead stay queued on the channel, as they do in Asterisk: res_agi.c handle_getdata calls
 * app.c ast_app_getdata_full → ast_readstring_full, which returns as soon as {@code pos >= len} (or an ender,
 * {@code #}, came) and leaves every later DTMF frame in the channel's read queue (channel.c ast_read). The
 * next command that reads DTMF gets it: STREAM FILE's ast_waitstream_full returns it when it is one of the
 * escape digits (and reads and drops it otherwise), GET DATA's ast_readstring_full takes it as a key (a
 * {@code #} first: {@code 200 result=}, AST_GETDATA_EMPTY_END_TERMINATED), WAIT FOR DIGIT's
 * ast_waitfordigit_full returns it. So "18 digits then #" gives the 18 digits to GET DATA and the {@code #}
 * to whatever is asked next. Between commands res_agi.c run_agi idles on the channel and ast_read()s and frees
 * every frame, so a key that arrives while no command runs is lost: a key typed ahead arrives
 * {@link Builder#keyGap(Duration)} after the reply before it (the caller's pace), and is dropped when the
 * server's next DTMF-reading command comes later than that;
 * <li>RECORD FILE (handle_recordfile): {@code RECORD FILE <file> <format> <escape digits> <timeout ms>
 * [offset samples] [BEEP] [s=<silence s>]}, 520 for fewer than 6 words or a timeout that is not a number;
 * {@code 200 result=<ASCII> (dtmf) endpos=<samples>} when a key ended it, {@code 200 result=0 (timeout)
 * endpos=<samples>} when the time ran out, {@code 200 result=<ms left> (timeout) endpos=<samples>} when the
 * caller fell silent for s= seconds, {@code 200 result=-1 (hangup) endpos=<samples>} on hang-up;
 * <li>WAIT FOR DIGIT: {@code 200 result=<ASCII>}, {@code 0} on timeout, {@code -1} on hang-up;
 * <li>after a hang-up, {@code HANGUP} on a line of its own, then
 * {@code 511 Command Not Permitted on a dead channel} for every command that may not run on a dead
 * channel (those with {@code dead = 0} in res_agi.c's command table; SET VARIABLE, GET VARIABLE, EXEC,
 * VERBOSE, NOOP and DATABASE still run, as they do in Asterisk);
 * <li>{@code 510 Invalid or unknown command}, and {@code 520 Invalid command syntax.  Proper usage
 * not available.} for a wrong argument count.
 * </ul>
 *
 * <p>Newer Asterisk releases word the 511 line {@code ... dead channel or intercept routine}; set
 * {@link Builder#deadChannelText(String)} to test that one.
 */
public final class AsteriskCall {

    public static final String DEAD_CHANNEL = "511 Command Not Permitted on a dead channel";
    public static final String DEAD_CHANNEL_NEW = "511 Command Not Permitted on a dead channel or intercept routine";

    /** res_agi.c: commands registered with {@code dead = 1}; all others get 511 on a dead channel. */
    private static final Set<String> RUNS_DEAD = Set.of("asyncagi break", "database del", "database deltree",
            "database get", "database put", "exec", "get full variable", "get variable", "noop", "set variable",
            "verbose", "speech destroy", "speech unload grammar");
    private static final List<String> KNOWN = List.of("answer", "asyncagi break", "channel status", "database del",
            "database deltree", "database get", "database put", "exec", "get data", "get full variable",
            "get option", "get variable", "hangup", "noop", "receive char", "receive text", "record file",
            "say alpha", "say digits", "say number", "say phonetic", "say date", "say time", "say datetime",
            "send image", "send text", "set autohangup", "set callerid", "set context", "set extension",
            "set music", "set priority", "set variable", "stream file", "control stream file", "tdd mode",
            "verbose", "wait for digit", "speech create", "speech set", "speech destroy", "speech load grammar",
            "speech unload grammar", "speech activate grammar", "speech deactivate grammar", "speech recognize");
    /** Asterisk channel state Up, as CHANNEL STATUS reports it. */
    private static final int AST_STATE_UP = 6;

    /** Answer from a policy meaning "hang up now". */
    public static final String HANG_UP = "<hangup>";

    /** A sound Asterisk has when the repository's prompts are installed under the configured prefix. */
    public static boolean repositoryPrompt(String sound) {
        return sound.startsWith("hotline/zh-CN/") && java.nio.file.Files.exists(
                java.nio.file.Path.of("prompts/zh-CN", sound.substring("hotline/zh-CN/".length()) + ".wav"));
    }

    /**
     * One question as the caller hears it: the prompt ids played since the last question, the last
     * one being the GET DATA prompt, and how many keys the server will take.
     */
    public record Question(List<String> prompts, int maxKeys, int number) {
        public boolean heard(String promptId) {
            return prompts.contains(promptId);
        }
    }

    /** What the caller does at one moment of the call. */
    public record Step(Kind kind, String keys, String during) {
        public enum Kind { KEYS, SILENCE, HANG_UP, SPEECH }
    }

    /** What happened on the wire, for the test to check. */
    public static final class Transcript {
        public final List<String> commands = new ArrayList<>();
        public final List<String> replies = new ArrayList<>();
        public final List<String> sounds = new ArrayList<>();
        public final Map<String, String> variables = new LinkedHashMap<>();
        public final List<String> execs = new ArrayList<>();
        /** RECORD FILE commands run: file name and format, with the samples recorded. */
        public final Map<String, Long> recordings = new LinkedHashMap<>();
        /** Server think time before each command: from our last line sent to its next command. */
        public final List<Long> serverNanos = new ArrayList<>();
        public int deadReplies;
        /** Commands answered 520 by {@link Builder#refusing}. */
        public int refusedReplies;
        public boolean callerHungUp;
        public boolean serverHungUp;

        /** The booking code as read back after "booked" (digits num_0..num_9, yao for 1), or "" when none was. */
        public String heardCode() {
            List<String> ids = sounds.stream().map(s -> s.substring(s.lastIndexOf('/') + 1)).toList();
            int at = ids.indexOf("booking_code_is");
            if (!ids.contains("booked") || at < 0) {
                return "";
            }
            StringBuilder code = new StringBuilder();
            for (int i = at + 1; i < ids.size(); i++) {
                String d = ids.get(i);
                if (d.equals("digit_yao")) {
                    code.append('1');
                } else if (d.matches("num_[0-9]")) {
                    code.append(d.charAt(4));
                } else {
                    break;
                }
            }
            return code.toString();
        }
        public boolean serverClosed;
        /** The TCP connection was made (false: refused or timed out, Asterisk's AGISTATUS=FAILURE). */
        public boolean connected;
        public String error;

        public String variable(String name) {
            return variables.get(name);
        }

        public long commandsAfterHangup;

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < commands.size(); i++) {
                b.append(">> ").append(commands.get(i)).append('\n');
                if (i < replies.size()) {
                    b.append("<< ").append(replies.get(i).replace("\n", "\\n")).append('\n');
                }
            }
            return b.append("variables ").append(variables).append(error == null ? "" : " error " + error)
                    .toString();
        }
    }

    public static final class Builder {
        private final String host;
        private final int port;
        private String script = "hotline";
        private String callerId = "13800138000";
        private String uniqueId;
        private String channel;
        private Predicate<String> installed = s -> true;
        private Map<String, Duration> soundLengths = Map.of();
        private Duration defaultSoundLength = Duration.ZERO;
        private double timeScale;
        private Duration thinkTime = Duration.ZERO;
        private String deadChannelText = DEAD_CHANNEL;
        private Duration readTimeout = Duration.ofSeconds(60);
        private boolean hangupNotice = true;
        private java.util.function.Function<Question, String> policy;
        private String soundPrefix = "hotline/zh-CN/";
        private Predicate<String> refused = cmd -> false;
        private final List<Step> steps = new ArrayList<>();
        private String localAddress;
        private List<String> args = List.of();
        private Duration keyGap = Duration.ofSeconds(1);

        private Builder(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /** The address Asterisk connects from (e.g. 127.0.0.2, a second loopback address); default: any. */
        public Builder from(String address) {
            localAddress = address;
            return this;
        }

        /**
         * AGI() application arguments: {@code AGI(agi://host/hotline,a,b)} makes res_agi.c's setup_env write
         * {@code agi_arg_1: a}, {@code agi_arg_2: b} after agi_threadid.
         */
        public Builder args(List<String> arguments) {
            args = List.copyOf(arguments);
            return this;
        }

        public Builder script(String s) {
            script = s;
            return this;
        }

        /** The caller's number; null makes Asterisk's {@code unknown} (withheld). */
        public Builder callerId(String n) {
            callerId = n;
            return this;
        }

        public Builder uniqueId(String id) {
            uniqueId = id;
            return this;
        }

        /** Asterisk with exactly the repository's prompts ({@code prompts/zh-CN}) installed under hotline/zh-CN/. */
        public Builder repositoryPrompts() {
            return installed(AsteriskCall::repositoryPrompt);
        }

        /** Which sound names Asterisk has installed (others: STREAM FILE gives -1, GET DATA skips them). */
        public Builder installed(Predicate<String> soundExists) {
            installed = soundExists;
            return this;
        }

        /** How long each sound plays; scaled by {@link #timeScale(double)}. */
        public Builder soundLengths(Map<String, Duration> lengths, Duration otherwise) {
            soundLengths = lengths;
            defaultSoundLength = otherwise;
            return this;
        }

        /** 0: no waiting at all (tests); 1: real time; anything between: a faster clock. */
        public Builder timeScale(double scale) {
            timeScale = scale;
            return this;
        }

        /** The caller's pause before keying, each time they key something (scaled). */
        public Builder thinkTime(Duration d) {
            thinkTime = d;
            return this;
        }

        public Builder deadChannelText(String text) {
            deadChannelText = text;
            return this;
        }

        /**
         * As with {@code Set(AGISIGHUP=no)} in the dialplan: Asterisk writes no HANGUP line, so the
         * server learns of a hang-up only from a result of -1 and the 511 that follows.
         */
        public Builder noHangupNotice() {
            hangupNotice = false;
            return this;
        }

        /**
         * A fault injector's Asterisk: every command whose res_agi.c name (e.g. {@code stream file},
         * {@code set variable}) matches gets {@code 520} as res_agi.c writes it for a usage error of a documented
         * command ({@code 520-Invalid command syntax.  Proper usage follows:}, the usage, {@code 520 End of proper
         * usage.}), and has no effect. The reply format is the real one; only the refusal is injected.
         */
        public Builder refusing(Predicate<String> commandName) {
            refused = commandName;
            return this;
        }

        /** How long to wait for the server's next command before giving up on it. */
        public Builder readTimeout(Duration d) {
            readTimeout = d;
            return this;
        }

        /**
         * Answers every question (GET DATA) from what the caller just heard: keys, {@code ""} for
         * silence until the timeout, or {@link #HANG_UP}. Prompts play to their end (no barge-in).
         */
        public Builder answers(java.util.function.Function<Question, String> answerPolicy) {
            policy = answerPolicy;
            return this;
        }

        /** Keys at the next question (GET DATA or WAIT FOR DIGIT); {@code #} ends an entry. */
        public Builder keys(String keys) {
            steps.add(new Step(Step.Kind.KEYS, keys, null));
            return this;
        }

        /** Keys while a sound whose name ends with {@code sound} plays (barge-in). */
        public Builder keysDuring(String sound, String keys) {
            steps.add(new Step(Step.Kind.KEYS, keys, sound));
            return this;
        }

        /**
         * How long after a reply a key typed ahead reaches Asterisk (an elder's pace between keys, wall-clock,
         * not scaled): a server whose next DTMF-reading command comes later has lost it (res_agi.c run_agi reads
         * and frees frames between commands). Default 1 s.
         */
        public Builder keyGap(Duration d) {
            keyGap = d;
            return this;
        }

        /** At the next RECORD FILE: speaks for {@code seconds} (caller time), then presses {@code key} ("" = falls silent). */
        public Builder speaks(int seconds, String key) {
            steps.add(new Step(Step.Kind.SPEECH, key, Integer.toString(seconds)));
            return this;
        }

        /** Says nothing at the next question, until it times out. */
        public Builder silence() {
            steps.add(new Step(Step.Kind.SILENCE, "", null));
            return this;
        }

        /**
         * Hangs up at the next question. A caller whose steps are all used listens to what is played
         * and hangs up at the next question too.
         */
        public Builder hangUp() {
            steps.add(new Step(Step.Kind.HANG_UP, "", null));
            return this;
        }

        /** Hangs up while a sound whose name ends with {@code sound} plays. */
        public Builder hangUpDuring(String sound) {
            steps.add(new Step(Step.Kind.HANG_UP, "", sound));
            return this;
        }

        public Builder steps(List<Step> more) {
            steps.addAll(more);
            return this;
        }

        public AsteriskCall build() {
            return new AsteriskCall(this);
        }

        /** Builds and runs the call to its end. */
        public Transcript run() {
            return build().run();
        }
    }

    private static final AtomicLong SEQ = new AtomicLong(1);

    public static Builder to(int port) {
        return new Builder("127.0.0.1", port);
    }

    private final Builder b;
    private final Deque<Step> steps;
    private final Deque<Character> typeAhead = new ArrayDeque<>();
    /** When the reply after which the queued keys were typed went out (System.nanoTime). */
    private long typedAheadAfter;
    private final Transcript t = new Transcript();
    private final String uniqueId;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private boolean dead;
    private volatile boolean hangUpRequested;
    private final List<String> heardSinceQuestion = new ArrayList<>();
    private int questions;
    /** Every question the policy answered, for the test to look at. */
    public final List<Question> asked = new ArrayList<>();

    private AsteriskCall(Builder b) {
        this.b = b;
        this.steps = new ArrayDeque<>(b.steps);
        long n = SEQ.getAndIncrement();
        this.hangupSent = !b.hangupNotice;
        this.uniqueId = b.uniqueId != null ? b.uniqueId : (1_700_000_000L + n / 1000) + "." + n;
    }

    public String uniqueId() {
        return uniqueId;
    }

    /** The caller hangs up now, whatever the server is doing (Asterisk writes HANGUP between commands). */
    public void hangUpNow() {
        hangUpRequested = true;
        synchronized (this) {
            if (out != null && !dead && !busy) {
                die();
            }
        }
    }

    private boolean busy;

    public Transcript run() {
        try (Socket s = new Socket()) {
            socket = s;
            if (b.localAddress != null) {
                s.bind(new InetSocketAddress(b.localAddress, 0));
            }
            s.connect(new InetSocketAddress(b.host, b.port), 2000);
            t.connected = true;
            s.setSoTimeout((int) b.readTimeout.toMillis());
            s.setTcpNoDelay(true);
            in = new BufferedInputStream(s.getInputStream());
            synchronized (this) {
                out = s.getOutputStream();
                sendEnvironment();
            }
            long sentAt = System.nanoTime();
            String line;
            while ((line = readLine()) != null) {
                t.serverNanos.add(System.nanoTime() - sentAt);
                t.commands.add(line);
                if (dead) {
                    t.commandsAfterHangup++;
                }
                String reply;
                synchronized (this) {
                    if (hangUpRequested && !dead) {
                        // hung up before this command arrived: Asterisk has already written HANGUP
                        die();
                    }
                    busy = true;
                }
                reply = handle(line);
                synchronized (this) {
                    busy = false;
                    t.replies.add(reply);
                    write(reply);
                    if (keysQueuedByThisCommand) {
                        // the keys still to come are typed after this reply, at the caller's pace
                        typedAheadAfter = System.nanoTime();
                        keysQueuedByThisCommand = false;
                    }
                    if (dead && !hangupSent) {
                        hangupSent = true;
                        write("HANGUP\n");
                    }
                }
                sentAt = System.nanoTime();
            }
            t.serverClosed = true;
        } catch (SocketTimeoutException e) {
            t.error = "server sent nothing for " + b.readTimeout;
        } catch (IOException e) {
            t.serverClosed = true;
            if (!dead) {
                t.error = e.toString();
            }
        }
        return t;
    }

    private boolean hangupSent;

    /** Marks the channel dead and writes the notice Asterisk sends when it sees the hang-up. */
    private void die() {
        dead = true;
        t.callerHungUp = !t.serverHungUp;
        if (!busy && !hangupSent) {
            hangupSent = true;
            try {
                write("HANGUP\n");
            } catch (IOException e) {
                // server already gone
            }
        }
    }

    private void sendEnvironment() throws IOException {
        StringBuilder e = new StringBuilder();
        e.append("agi_network: yes\n");
        e.append("agi_network_script: ").append(b.script).append('\n');
        e.append("agi_request: agi://").append(b.host).append(':').append(b.port).append('/').append(b.script)
                .append('\n');
        String chan = b.channel != null ? b.channel : "PJSIP/trunk-" + String.format("%08x", SEQ.get());
        e.append("agi_channel: ").append(chan).append('\n');
        e.append("agi_language: zh\n");
        e.append("agi_type: PJSIP\n");
        e.append("agi_uniqueid: ").append(uniqueId).append('\n');
        e.append("agi_version: 18.20.0\n");
        e.append("agi_callerid: ").append(b.callerId == null ? "unknown" : b.callerId).append('\n');
        e.append("agi_calleridname: unknown\n");
        e.append("agi_callingpres: ").append(b.callerId == null ? 32 : 0).append('\n');
        e.append("agi_callingani2: 0\n");
        e.append("agi_callington: 0\n");
        e.append("agi_callingtns: 0\n");
        e.append("agi_dnid: 12320\n");
        e.append("agi_rdnis: unknown\n");
        e.append("agi_context: hotline-in\n");
        e.append("agi_extension: 12320\n");
        e.append("agi_priority: 3\n");
        e.append("agi_enhanced: 0.0\n");
        e.append("agi_accountcode: \n");
        e.append("agi_threadid: 140245").append(SEQ.get()).append('\n');
        for (int i = 0; i < b.args.size(); i++) {
            e.append("agi_arg_").append(i + 1).append(": ").append(b.args.get(i)).append('\n');
        }
        e.append('\n');
        write(e.toString());
    }

    private String handle(String line) {
        List<String> argv = parseArgs(line);
        String cmd = command(argv);
        if (cmd == null) {
            return "510 Invalid or unknown command\n";
        }
        if (dead && !RUNS_DEAD.contains(cmd)) {
            t.deadReplies++;
            return b.deadChannelText + "\n";
        }
        if (b.refused.test(cmd)) {
            t.refusedReplies++;
            // res_agi.c agi_handle_command, RESULT_SHOWUSAGE for a command with usage text (every documented one)
            return "520-Invalid command syntax.  Proper usage follows:\n Usage: " + cmd.toUpperCase(Locale.ROOT)
                    + " (see the AGI documentation)\n520 End of proper usage.\n";
        }
        int argc = argv.size();
        switch (cmd) {
            case "stream file":
                if (argc < 4 || argc > 5) {
                    return usage();
                }
                return streamFile(argv.get(2), argv.get(3));
            case "get data":
                if (argc < 3) {
                    return usage();
                }
                return getData(argv.get(2), argc >= 4 ? atoi(argv.get(3)) : 0, argc >= 5 ? atoi(argv.get(4)) : 1024);
            case "wait for digit":
                if (argc != 4) {
                    return usage();
                }
                return waitForDigit(atoi(argv.get(3)));
            case "record file":
                if (argc < 6 || !argv.get(5).matches("[-+]?\\d+.*")) {
                    return usage(); // handle_recordfile: argc < 6, or sscanf(argv[5], "%30d") != 1
                }
                dropKeysThatArrivedBetweenCommands();
                return queued(recordFile(argv));
            case "channel status":
                return "200 result=" + AST_STATE_UP + "\n";
            case "set variable":
                if (argc > 3) {
                    t.variables.put(argv.get(2), argv.get(3));
                }
                return "200 result=1\n";
            case "get variable": {
                if (argc != 3) {
                    return usage();
                }
                String v = t.variables.get(argv.get(2));
                return v == null ? "200 result=0\n" : "200 result=1 (" + v + ")\n";
            }
            case "exec":
                if (argc < 2) {
                    return usage();
                }
                t.execs.add(argv.get(1) + "(" + (argc >= 3 ? argv.get(2) : "") + ")");
                return "200 result=0\n";
            case "answer":
            case "noop":
            case "set music":
                return "200 result=0\n";
            case "verbose":
                return "200 result=1\n";
            case "hangup":
                t.serverHungUp = true;
                dead = true;
                return "200 result=1\n";
            default:
                return "200 result=0\n";
        }
    }

    private boolean keysQueuedByThisCommand;

    /**
     * Before a command that reads DTMF: keys typed ahead that reached Asterisk while no command ran were read and
     * freed by res_agi.c run_agi's idle loop (ast_waitfor_nandfds, then ast_read and ast_frfree): gone.
     */
    private void dropKeysThatArrivedBetweenCommands() {
        if (!typeAhead.isEmpty() && System.nanoTime() - typedAheadAfter > b.keyGap.toNanos()) {
            typeAhead.clear();
        }
    }

    /** After a command that read DTMF: what the caller keys on (still queued) arrives after this reply. */
    private String queued(String reply) {
        keysQueuedByThisCommand = !typeAhead.isEmpty();
        return reply;
    }

    private String streamFile(String file, String escape) {
        dropKeysThatArrivedBetweenCommands();
        return queued(streamFileNow(file, escape));
    }

    private String streamFileNow(String file, String escape) {
        t.sounds.add(file);
        heardSinceQuestion.add(promptId(file));
        if (!b.installed.test(file)) {
            return "200 result=-1 endpos=0\n";
        }
        long samples = lengthOf(file).toMillis() * 8;
        // file.c ast_waitstream_full: a queued DTMF frame arrives once the sound has started; an escape digit
        // stops it there, any other key is read and dropped
        while (!typeAhead.isEmpty()) {
            char k = typeAhead.removeFirst();
            if (escape.indexOf(k) >= 0) {
                return "200 result=" + (int) k + " endpos=" + Math.min(samples, b.keyGap.toMillis() * 8) + "\n";
            }
        }
        Step s = steps.peekFirst();
        if (s != null && s.during() != null && file.endsWith(s.during())) {
            steps.removeFirst();
            pause(lengthOf(file).dividedBy(2).plus(b.thinkTime));
            if (s.kind() == Step.Kind.HANG_UP) {
                die();
                return "200 result=-1 endpos=" + samples / 2 + "\n";
            }
            if (s.kind() == Step.Kind.KEYS && !s.keys().isEmpty()) {
                char k = s.keys().charAt(0);
                for (char c : s.keys().substring(1).toCharArray()) {
                    typeAhead.addLast(c);
                }
                if (escape.indexOf(k) >= 0) {
                    return "200 result=" + (int) k + " endpos=" + samples / 2 + "\n";
                }
            }
        }
        pause(lengthOf(file));
        return "200 result=0 endpos=" + samples + "\n";
    }

    private String getData(String prompt, int timeoutMs, int max) {
        dropKeysThatArrivedBetweenCommands();
        return queued(getDataNow(prompt, timeoutMs, max));
    }

    private String getDataNow(String prompt, int timeoutMs, int max) {
        // ast_app_getdata: '&' separates prompts; missing ones are skipped, not an error
        for (String f : prompt.split("&")) {
            if (!f.isEmpty()) {
                t.sounds.add(f);
            }
        }
        int timeout = timeoutMs > 0 ? timeoutMs : 6000;
        StringBuilder keys = new StringBuilder();
        // keys already queued on the channel come first (ast_readstring_full reads them as they arrive)
        while (!typeAhead.isEmpty() && keys.length() < max) {
            char k = typeAhead.removeFirst();
            if (k == '#') {
                // a # first: AST_GETDATA_EMPTY_END_TERMINATED, written as "200 result=" (no "(timeout)")
                heardSinceQuestion.add(promptId(prompt));
                return "200 result=" + keys + "\n";
            }
            keys.append(k);
        }
        if (keys.length() >= max) {
            heardSinceQuestion.add(promptId(prompt));
            return "200 result=" + keys + "\n";
        }
        if (b.policy != null) {
            for (String f : prompt.split("&")) {
                heardSinceQuestion.add(promptId(f));
            }
            Question q = new Question(List.copyOf(heardSinceQuestion), max, ++questions);
            heardSinceQuestion.clear();
            asked.add(q);
            String a = b.policy.apply(q);
            steps.addFirst(a == null || a.equals(HANG_UP) ? new Step(Step.Kind.HANG_UP, "", null)
                    : a.isEmpty() ? new Step(Step.Kind.SILENCE, "", null) : new Step(Step.Kind.KEYS, a, null));
        }
        Step s = steps.pollFirst();
        if (s == null || s.kind() == Step.Kind.HANG_UP) {
            pause(lengthOf(prompt).dividedBy(2));
            die();
            return "200 result=-1\n";
        }
        if (s.kind() == Step.Kind.SILENCE) {
            pause(lengthOf(prompt).plusMillis(timeout));
            return "200 result=" + keys + " (timeout)\n";
        }
        // an elder hears the question out, then thinks, then keys
        pause(lengthOf(prompt).plus(b.thinkTime));
        String pressed = s.keys();
        for (int i = 0; i < pressed.length(); i++) {
            char k = pressed.charAt(i);
            // app.c ast_readstring_full: done at an ender (#) or as soon as pos >= len; the keys pressed after
            // stay queued on the channel for the next command that reads DTMF
            boolean done = k == '#';
            if (!done) {
                keys.append(k);
                done = keys.length() >= max;
            }
            if (done) {
                for (char c : pressed.substring(i + 1).toCharArray()) {
                    typeAhead.addLast(c);
                }
                return "200 result=" + keys + "\n";
            }
        }
        pause(Duration.ofMillis(timeout));
        return "200 result=" + keys + " (timeout)\n";
    }

    /**
     * res_agi.c handle_recordfile: an optional sample offset (argv[6] when it is a number), "beep" played when
     * argv[6] is not a number and has no '=' or argv[7] has none, s=N silence detection in argv[6..8]; then
     * ast_writefile and frames until the timeout (ms, negative: none), an escape digit or a hang-up.
     */
    private String recordFile(List<String> argv) {
        String file = argv.get(2) + "." + argv.get(3);
        String escape = argv.get(4);
        long timeoutMs = atoi(argv.get(5));
        int silenceS = 0;
        for (int i = 6; i < Math.min(argv.size(), 9); i++) {
            int at = argv.get(i).indexOf('s');
            if (at >= 0 && argv.get(i).length() - at > 2 && argv.get(i).charAt(at + 1) == '=') {
                silenceS = atoi(argv.get(i).substring(at + 2));
                break;
            }
        }
        boolean beep = (argv.size() > 6 && !argv.get(6).matches("[-+]?\\d+.*") && !argv.get(6).contains("="))
                || (argv.size() > 7 && !argv.get(7).contains("="));
        if (beep) {
            t.sounds.add("beep");
        }
        if (!typeAhead.isEmpty()) {
            char k = typeAhead.removeFirst();
            if (escape.indexOf(k) >= 0) {
                t.recordings.put(file, 0L);
                return "200 result=" + (int) k + " (dtmf) endpos=0\n";
            }
        }
        Step s = steps.pollFirst();
        if (s == null || s.kind() == Step.Kind.HANG_UP) {
            die();
            t.recordings.put(file, 0L);
            return "200 result=-1 (hangup) endpos=0\n";
        }
        long spokenMs = s.kind() == Step.Kind.SPEECH ? Long.parseLong(s.during()) * 1000L : 0;
        String key = s.kind() == Step.Kind.SPEECH || s.kind() == Step.Kind.KEYS ? s.keys() : "";
        boolean limited = timeoutMs >= 0;
        if (limited && spokenMs >= timeoutMs) {
            pause(Duration.ofMillis(timeoutMs));
            t.recordings.put(file, timeoutMs * 8);
            return "200 result=0 (timeout) endpos=" + timeoutMs * 8 + "\n";
        }
        if (!key.isEmpty() && escape.indexOf(key.charAt(0)) >= 0) {
            pause(Duration.ofMillis(spokenMs));
            // "rewind to chop off any small amount of DTMF that may have been recorded": 200 ms
            long endpos = Math.max(0, spokenMs - 200) * 8;
            t.recordings.put(file, endpos);
            for (char c : key.substring(1).toCharArray()) {
                typeAhead.addLast(c);
            }
            return "200 result=" + (int) key.charAt(0) + " (dtmf) endpos=" + endpos + "\n";
        }
        if (silenceS > 0 && (!limited || spokenMs + silenceS * 1000L < timeoutMs)) {
            long elapsed = spokenMs + silenceS * 1000L;
            pause(Duration.ofMillis(elapsed));
            // ended by silence: res is what the last ast_waitfor had left of the time; the silence is cut off
            // again but for one second (ast_stream_rewind(fs, silence - 1000))
            long endpos = (spokenMs + 1000) * 8;
            t.recordings.put(file, endpos);
            return "200 result=" + (limited ? timeoutMs - elapsed : 0) + " (timeout) endpos=" + endpos + "\n";
        }
        if (!limited) {
            // no time limit and nobody ends it: Asterisk records until the caller hangs up
            die();
            t.recordings.put(file, spokenMs * 8);
            return "200 result=-1 (hangup) endpos=" + spokenMs * 8 + "\n";
        }
        pause(Duration.ofMillis(timeoutMs));
        t.recordings.put(file, timeoutMs * 8);
        return "200 result=0 (timeout) endpos=" + timeoutMs * 8 + "\n";
    }

    private String waitForDigit(int timeoutMs) {
        dropKeysThatArrivedBetweenCommands();
        return queued(waitForDigitNow(timeoutMs));
    }

    private String waitForDigitNow(int timeoutMs) {
        if (!typeAhead.isEmpty()) {
            return "200 result=" + (int) typeAhead.removeFirst() + "\n";
        }
        if (b.policy != null) {
            Question q = new Question(List.copyOf(heardSinceQuestion), 1, ++questions);
            heardSinceQuestion.clear();
            asked.add(q);
            String a = b.policy.apply(q);
            steps.addFirst(a == null || a.equals(HANG_UP) ? new Step(Step.Kind.HANG_UP, "", null)
                    : a.isEmpty() ? new Step(Step.Kind.SILENCE, "", null) : new Step(Step.Kind.KEYS, a, null));
        }
        Step s = steps.peekFirst();
        if (s != null && s.during() != null) {
            // the caller waits for a prompt that is not coming: silence
            pause(Duration.ofMillis(timeoutMs));
            return "200 result=0\n";
        }
        steps.pollFirst();
        if (s == null || s.kind() == Step.Kind.HANG_UP) {
            die();
            return "200 result=-1\n";
        }
        if (s.kind() == Step.Kind.SILENCE || s.keys().isEmpty()) {
            pause(Duration.ofMillis(timeoutMs));
            return "200 result=0\n";
        }
        pause(b.thinkTime);
        for (char c : s.keys().substring(1).toCharArray()) {
            typeAhead.addLast(c);
        }
        return "200 result=" + (int) s.keys().charAt(0) + "\n";
    }

    private String promptId(String sound) {
        return sound.startsWith(b.soundPrefix) ? sound.substring(b.soundPrefix.length()) : sound;
    }

    private Duration lengthOf(String sound) {
        return b.soundLengths.getOrDefault(sound, b.defaultSoundLength);
    }

    private void pause(Duration d) {
        if (b.timeScale <= 0 || d.isZero()) {
            return;
        }
        try {
            Thread.sleep((long) (d.toMillis() * b.timeScale));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String usage() {
        return "520 Invalid command syntax.  Proper usage not available.\n";
    }

    /** C atoi: leading digits, 0 when there are none. */
    private static int atoi(String s) {
        int i = 0;
        int sign = 1;
        long v = 0;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            sign = s.charAt(i) == '-' ? -1 : 1;
            i++;
        }
        while (i < s.length() && Character.isDigit(s.charAt(i)) && v < Integer.MAX_VALUE) {
            v = v * 10 + (s.charAt(i++) - '0');
        }
        return (int) Math.min(Integer.MAX_VALUE, sign * v);
    }

    /** res_agi.c find_command: the longest known command the first words spell. */
    private static String command(List<String> argv) {
        String best = null;
        for (String k : KNOWN) {
            String[] words = k.split(" ");
            if (words.length > argv.size()) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < words.length && match; i++) {
                match = words[i].equalsIgnoreCase(argv.get(i));
            }
            if (match && (best == null || words.length > best.split(" ").length)) {
                best = k;
            }
        }
        return best;
    }

    /** res_agi.c parse_args: words split on blanks, "…" groups, backslash escapes the next char. */
    static List<String> parseArgs(String s) {
        List<String> argv = new ArrayList<>();
        StringBuilder cur = null;
        boolean quoted = false;
        boolean escaped = false;
        for (char c : s.toCharArray()) {
            if (c == '"' && !escaped) {
                quoted = !quoted;
                if (quoted && cur == null) {
                    cur = new StringBuilder();
                }
                continue;
            }
            if ((c == ' ' || c == '\t') && !quoted && !escaped) {
                if (cur != null) {
                    argv.add(cur.toString());
                    cur = null;
                }
                continue;
            }
            if (c == '\\' && !escaped) {
                escaped = true;
                continue;
            }
            if (cur == null) {
                cur = new StringBuilder();
            }
            cur.append(c);
            escaped = false;
        }
        if (cur != null) {
            argv.add(cur.toString());
        }
        return Collections.unmodifiableList(argv);
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        if (c == -1 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    private void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
