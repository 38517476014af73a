package org.hotline.outbound;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asterisk's Manager Interface (AMI) as Asterisk 20/22 speaks it on TCP, as strict and as forgiving as its source
 * (checked against main/manager.c, apps/app_queue.c and main/pbx.c of Asterisk 20/22; the function names below are
 * theirs):
 *
 * <ul>
 * <li>session_do: on connect the banner {@code Asterisk Call Manager/<AMI_VERSION>}; get_input: a line ends with
 * {@code \r\n} or a bare {@code \n} (a lone {@code \r} does not end it); a line longer than the 1024-byte input
 * buffer gets "Failed to parse message: line too long"; more than AST_MAX_MANHEADERS (128) lines "Too many lines in
 * message or allocation failure"; a session that has not logged in within authtimeout (30 s) is closed;
 * <li>astman_get_header: a header name matches without case, the value is what follows the colon with leading blanks
 * skipped; process_message takes the first non-empty {@code Action};
 * <li>astman_send_response_full: {@code Response:}, {@code ActionID:} when the action had one, {@code EventList:} for
 * a list, {@code Message:}; astman_send_list_complete_start: {@code Event: XComplete}, ActionID, {@code EventList:
 * Complete}, {@code ListItems};
 * <li>process_message: no Action → "Missing action in request"; before login only Login, Logoff and Challenge run,
 * anything else "Permission denied"; an action whose authority is not 0 and shares no class with the user's write
 * classes → "Permission denied"; an unknown action → "Invalid/unknown command: X. Use Action: ListCommands to show
 * available commands.";
 * <li>action_challenge: {@code AuthType: MD5} (no case) → {@code Challenge:} (ast_random, the same for the whole
 * session), anything else "Must specify AuthType"; authenticate: {@code Key} = md5(challenge + secret) in lower-case
 * hex when {@code AuthType: MD5}, else the plain {@code Secret}; action_login: already logged in → "Already
 * authenticated"; a failed login waits one second, answers "Authentication failed" and ends the session; success
 * "Authentication accepted", then {@code Event: FullyBooted} only if the user reads and asked for class
 * {@code system}; set_eventmask/strings_to_mask: the Login's {@code Events} header: empty keeps all, on/yes/true →
 * all, off/no/false → none, else a list of classes;
 * <li>process_events: an event reaches a session only if its class is in both the user's read classes and the
 * session's event mask, and, when the user has {@code eventfilter}s, only if one matches the event's text
 * (legacy regex filters, as {@code sip-config/manager.conf} writes them);
 * <li>action_originate: "Channel not specified", "Invalid priority", "Invalid timeout", "Invalid channel" (no
 * {@code /}), is_originate_app_permitted ("Originate Access Forbidden: app or data blacklisted" for AGI, Exec,
 * System... without class system), "Extension does not exist." when Context/Exten/Priority name no extension of
 * the dialplan ({@code sip-config/extensions.conf} by default); {@code Async} as ast_true (yes, true, y, t, 1, on):
 * "Originate successfully queued" at once and later {@code Event: OriginateResponse} from fast_originate; without
 * it the session waits for the call (ast_pbx_outgoing_exten_predial, AST_OUTGOING_WAIT) and answers "Originate
 * successfully queued" or "Originate failed", with no event;
 * <li>fast_originate's OriginateResponse (EVENT_FLAG_CALL: {@code Privilege: call,all}): ActionID, Response
 * (Success only when the callee answered), Channel, Context and Exten (or Application and Data for an application
 * Originate), Reason, Uniqueid, CallerIDNum, CallerIDName. pbx_outgoing_attempt hands the channel back only when it
 * was answered: on any failure Channel is the requested {@code tech/data} and Uniqueid the {@code ChannelId} asked
 * for or {@code <unknown>}; Reason from pbx_dial_reason (4 answered, 5 busy, 3 rang out, 1 hung up, 8 congestion,
 * 0 failed). CallerIDNum/Name from ast_callerid_parse of the Originate's CallerID, {@code <unknown>} when empty;
 * <li>app_queue.c (EVENT_FLAG_AGENT: {@code Privilege: agent,all}): QueueCallerJoin (join_queue: Queue, Position,
 * Count), QueueCallerLeave (leave_queue: Queue, Position, Count), QueueCallerAbandon (record_abandoned: Queue,
 * Position, OriginalPosition, HoldTime) after the caller's channel snapshot (queue_channel_to_ami);
 * AgentCalled (ring_entry: Queue, Interface, MemberName) and AgentConnect (try_calling: Queue, Interface,
 * MemberName, HoldTime, RingTime, sent after leave_queue) after the caller's snapshot and the member's with prefix
 * {@code Dest} (queue_multi_channel_to_ami); QueueMemberStatus (queue_member_blob_create); manager_queues_summary;
 * <li>ast_manager_build_channel_state_string_prefix: Channel, ChannelState, ChannelStateDesc, CallerIDNum,
 * CallerIDName, ConnectedLineNum, ConnectedLineName, Language, AccountCode, Context, Exten, Priority, Uniqueid,
 * Linkedid, then one {@code ChanVariable: NAME=value} per manager.conf {@code channelvars} the channel has.
 * </ul>
 *
 * Authorities from the actions' registration (ast_manager_register_xml[_core]): Originate EVENT_FLAG_ORIGINATE,
 * CoreSettings EVENT_FLAG_SYSTEM|EVENT_FLAG_REPORTING, Command EVENT_FLAG_COMMAND, QueueSummary and Ping 0.
 */
public final class AsteriskManagerPeer implements AutoCloseable {

    /** include/asterisk/manager.h AMI_VERSION. */
    public static final String AMI_VERSION = "9.0.0";
    public static final String ASTERISK_VERSION = "20.10.0";
    /** manager.c: the session's input buffer (inbuf[1025]) less the terminator. */
    static final int MAX_LINE = 1024;
    /** manager.h AST_MAX_MANHEADERS. */
    static final int MAX_HEADERS = 128;

    /** A manager.conf user: secret, read/write classes ("call,agent", "originate,reporting"), eventfilters. */
    public record User(String secret, Set<String> read, Set<String> write, List<Pattern> eventFilters) {
        public static User of(String secret, String read, String write) {
            return new User(secret, classes(read), classes(write), List.of());
        }

        /**
         * The user {@code name} of a manager.conf file (read, write, eventfilter; permit/deny are not applied: the
         * peer listens on loopback), with this secret.
         */
        public static User fromManagerConf(Path file, String name, String secret) throws IOException {
            String read = "";
            String write = "";
            List<Pattern> filters = new ArrayList<>();
            String section = null;
            for (String raw : Files.readAllLines(file)) {
                String line = raw.replaceFirst(";.*$", "").strip();
                if (line.startsWith("[")) {
                    section = line.substring(1, line.indexOf(']'));
                    continue;
                }
                if (!name.equals(section) || !line.contains("=")) {
                    continue;
                }
                String key = line.substring(0, line.indexOf('=')).strip().toLowerCase(Locale.ROOT);
                String value = line.substring(line.indexOf('=') + 1).replaceFirst("^>", "").strip();
                switch (key) {
                    case "read" -> read = value;
                    case "write" -> write = value;
                    case "eventfilter" -> filters.add(Pattern.compile(value));
                    default -> {
                    }
                }
            }
            if (read.isEmpty() && write.isEmpty()) {
                throw new IllegalArgumentException("no manager user [" + name + "] in " + file);
            }
            return new User(secret, classes(read), classes(write), List.copyOf(filters));
        }

        private static Set<String> classes(String csv) {
            Set<String> out = new HashSet<>();
            for (String c : csv.split(",")) {
                if (!c.isBlank()) {
                    out.add(c.strip().toLowerCase(Locale.ROOT));
                }
            }
            return out;
        }

        boolean mayWrite(Set<String> authority) {
            return authority.isEmpty() || write.contains("all") || authority.stream().anyMatch(write::contains);
        }

        boolean mayRead(String eventClass) {
            return read.contains("all") || read.contains(eventClass);
        }

        boolean passes(String eventText) {
            return eventFilters.isEmpty() || eventFilters.stream().anyMatch(p -> p.matcher(eventText).find());
        }
    }

    /** One Originate the gateway sent, with the session to answer it on. */
    public final class Originate {
        public final Map<String, String> headers;
        private final Session session;
        private final boolean async;
        private final CompletableFuture<Integer> outcome = new CompletableFuture<>();

        Originate(Map<String, String> headers, Session session, boolean async) {
            this.headers = headers;
            this.session = session;
            this.async = async;
        }

        public String header(String name) {
            return get(headers, name);
        }

        public boolean async() {
            return async;
        }

        /** astman_get_variables: {@code Variable: A=1} lines, each may hold several comma-separated. */
        public Map<String, String> variables() {
            Map<String, String> vars = new LinkedHashMap<>();
            for (var e : headers.entrySet()) {
                if (e.getKey().replaceFirst("#\\d+$", "").equalsIgnoreCase("Variable")) {
                    for (String kv : e.getValue().split(",")) {
                        int eq = kv.indexOf('=');
                        if (eq > 0) {
                            vars.put(kv.substring(0, eq).strip(), kv.substring(eq + 1));
                        }
                    }
                }
            }
            return vars;
        }

        /**
         * What became of the call, pbx_dial_reason's code: 4 answered, 5 busy, 3 rang out, 1 hung up, 8 congestion,
         * 0 failed. Asynchronous: fast_originate's event; synchronous: the held response. Returns the answered
         * channel's Uniqueid ({@code <unknown>} when it failed).
         */
        public String respond(int reason) {
            boolean ok = reason == 4;
            int n = UNIQUE.incrementAndGet();
            String uniqueId = ok ? (1_700_000_000 + n) + "." + n : nz(header("ChannelId"), "<unknown>");
            if (!async) {
                outcome.complete(reason);
                return uniqueId;
            }
            String requested = nz(header("Channel"), "");
            String channel = ok ? answeredChannelName(requested, n) : requested;
            String[] cid = callerIdParse(header("CallerID"));
            String app = get(headers, "Application");
            StringBuilder b = new StringBuilder();
            b.append("Event: OriginateResponse\r\nPrivilege: call,all\r\n").append(idLine(header("ActionID")))
                    .append("Response: ").append(ok ? "Success" : "Failure").append("\r\n")
                    .append("Channel: ").append(channel).append("\r\n");
            if (app != null && !app.isEmpty()) {
                b.append("Application: ").append(app).append("\r\n")
                        .append("Data: ").append(nz(header("Data"), "")).append("\r\n");
            } else {
                b.append("Context: ").append(nz(header("Context"), "")).append("\r\n")
                        .append("Exten: ").append(nz(header("Exten"), "")).append("\r\n");
            }
            b.append("Reason: ").append(reason).append("\r\n")
                    .append("Uniqueid: ").append(uniqueId).append("\r\n")
                    .append("CallerIDNum: ").append(cid[1] == null ? "<unknown>" : cid[1]).append("\r\n")
                    .append("CallerIDName: ").append(cid[0] == null ? "<unknown>" : cid[0]).append("\r\n\r\n");
            session.event("call", b.toString());
            return uniqueId;
        }
    }

    private static final AtomicInteger UNIQUE = new AtomicInteger();

    private final Map<String, User> users = new ConcurrentHashMap<>();
    private final ServerSocket server;
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Originate> originates = new LinkedBlockingQueue<>();
    /** Every action any session sent, as received (for tests that check what went over the wire). */
    public final List<Map<String, String>> actions = Collections.synchronizedList(new ArrayList<>());
    private final Thread acceptor;
    private final Map<String, Map<String, String>> channelVars = new ConcurrentHashMap<>();
    private volatile Dialplan dialplan;
    private volatile QueueState queue = new QueueState("hotline-agents", 0, 0, 0, 0, 0);
    private volatile boolean closed;
    private volatile long authTimeoutMillis = 30_000;
    private final AtomicInteger logins = new AtomicInteger();

    /** What QueueSummary reports for the one queue. */
    public record QueueState(String queue, int loggedIn, int available, int callers, int holdTime, int longestHoldTime) {
    }

    public AsteriskManagerPeer() throws IOException {
        this(0);
    }

    public AsteriskManagerPeer(int port) throws IOException {
        dialplan = Dialplan.of(Path.of("sip-config/extensions.conf"));
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        acceptor = new Thread(this::accept, "ami-peer-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public AsteriskManagerPeer user(String name, User u) {
        users.put(name.toLowerCase(Locale.ROOT), u);
        return this;
    }

    /** manager.conf authtimeout (default 30 s). */
    public AsteriskManagerPeer authTimeout(long millis) {
        this.authTimeoutMillis = millis;
        return this;
    }

    /** manager.conf channelvars: the variables a channel has that its events carry (ChanVariable lines). */
    public void channelVariables(String uniqueId, Map<String, String> vars) {
        channelVars.put(uniqueId, new LinkedHashMap<>(vars));
    }

    public int port() {
        return server.getLocalPort();
    }

    public int logins() {
        return logins.get();
    }

    public int sessionsLoggedIn() {
        return (int) sessions.stream().filter(s -> s.user != null).count();
    }

    public void queue(QueueState q) {
        this.queue = q;
    }

    public BlockingQueue<Originate> originates() {
        return originates;
    }

    public Originate nextOriginate(long seconds) throws InterruptedException {
        return originates.poll(seconds, TimeUnit.SECONDS);
    }

    /** Asterisk goes away: every session is cut and nobody can connect until {@link #AsteriskManagerPeer(int)} again. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Session s : sessions) {
            s.close();
        }
    }

    /** Cuts the sessions but keeps listening (Asterisk's manager reloaded, a network blip). */
    public void dropSessions() {
        for (Session s : sessions) {
            s.close();
        }
    }

    // ------------------------------------------------------------------ app_queue.c events

    /**
     * manager_channels.c ast_manager_build_channel_state_string_prefix: the snapshot fields, then the channel's
     * manager.conf channelvars as {@code <prefix>ChanVariable: NAME=value}.
     */
    public static String channelSnapshot(String prefix, String channel, String uniqueId, String callerNum, String context,
            String exten, int priority, Map<String, String> vars) {
        StringBuilder b = new StringBuilder();
        b.append(prefix).append("Channel: ").append(channel).append("\r\n")
                .append(prefix).append("ChannelState: 6\r\n")
                .append(prefix).append("ChannelStateDesc: Up\r\n")
                .append(prefix).append("CallerIDNum: ").append(callerNum).append("\r\n")
                .append(prefix).append("CallerIDName: <unknown>\r\n")
                .append(prefix).append("ConnectedLineNum: <unknown>\r\n")
                .append(prefix).append("ConnectedLineName: <unknown>\r\n")
                .append(prefix).append("Language: zh\r\n")
                .append(prefix).append("AccountCode: \r\n")
                .append(prefix).append("Context: ").append(context).append("\r\n")
                .append(prefix).append("Exten: ").append(exten).append("\r\n")
                .append(prefix).append("Priority: ").append(priority).append("\r\n")
                .append(prefix).append("Uniqueid: ").append(uniqueId).append("\r\n")
                .append(prefix).append("Linkedid: ").append(uniqueId).append("\r\n");
        if (vars != null) {
            vars.forEach((k, v) -> b.append(prefix).append("ChanVariable: ").append(k).append('=').append(v)
                    .append("\r\n"));
        }
        return b.toString();
    }

    /** The caller in Queue(): [hotline] exten agent, priority 4 of extensions.conf. */
    private String callerChannel(String uniqueId) {
        return channelSnapshot("", "PJSIP/carrier-trunk-" + Integer.toHexString(uniqueId.hashCode() & 0xfffffff), uniqueId,
                "13800138000", "hotline", "agent", 4, channelVars.get(uniqueId));
    }

    /**
     * The member's channel as ring_entry made it: PJSIP/agentNNNN-xxxxxxxx in the endpoint's context (pjsip.conf
     * {@code agents}) with the caller's exten; it inherits the caller's {@code __} variables
     * (ast_channel_inherit_variables), so it carries HOTLINE_TRANSFER_ID too.
     */
    private String memberChannel(String uniqueId, String member) {
        return channelSnapshot("Dest", member + "-" + String.format("%08x", uniqueId.hashCode() & 0x7fffffff),
                uniqueId + "1", member.replaceAll("\\D", ""), "agents", "agent", 1, channelVars.get(uniqueId));
    }

    /** join_queue → queue_channel_to_ami("QueueCallerJoin"): Queue, Position, Count. */
    public void callerJoin(String queueName, String uniqueId, int position, int count) {
        broadcast("agent", "Event: QueueCallerJoin\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + "Queue: " + queueName + "\r\nPosition: " + position + "\r\nCount: " + count + "\r\n\r\n");
    }

    /** leave_queue → "QueueCallerLeave": Queue, Position, Count (answered or not; before AgentConnect). */
    public void callerLeave(String queueName, String uniqueId, int position, int count) {
        broadcast("agent", "Event: QueueCallerLeave\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + "Queue: " + queueName + "\r\nPosition: " + position + "\r\nCount: " + count + "\r\n\r\n");
    }

    /** record_abandoned → "QueueCallerAbandon": Queue, Position, OriginalPosition, HoldTime (seconds). */
    public void callerAbandon(String queueName, String uniqueId, int position, int originalPosition, int holdTime) {
        broadcast("agent", "Event: QueueCallerAbandon\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + "Queue: " + queueName + "\r\nPosition: " + position + "\r\nOriginalPosition: " + originalPosition
                + "\r\nHoldTime: " + holdTime + "\r\n\r\n");
    }

    /** ring_entry → queue_multi_channel_to_ami("AgentCalled"): Queue, Interface, MemberName. */
    public void agentCalled(String queueName, String uniqueId, String member) {
        broadcast("agent", "Event: AgentCalled\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + memberChannel(uniqueId, member).replace("DestChannelState: 6", "DestChannelState: 5")
                        .replace("DestChannelStateDesc: Up", "DestChannelStateDesc: Ringing")
                + "Queue: " + queueName + "\r\nInterface: " + member + "\r\nMemberName: " + member + "\r\n\r\n");
    }

    /**
     * try_calling → queue_multi_channel_to_ami("AgentConnect"): the caller's snapshot, the member's with prefix
     * {@code Dest}, then Queue, Interface, MemberName, HoldTime, RingTime (seconds). Static queues.conf members have
     * no membername: MemberName is the interface.
     */
    public void agentConnect(String queueName, String uniqueId, String member, int holdTime, int ringTime) {
        broadcast("agent", "Event: AgentConnect\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + memberChannel(uniqueId, member) + "Queue: " + queueName + "\r\nInterface: " + member
                + "\r\nMemberName: " + member + "\r\nHoldTime: " + holdTime + "\r\nRingTime: " + ringTime
                + "\r\n\r\n");
    }

    /** queue_member_status_type (queue_member_blob_create): the member's fields. Status 1 = AST_DEVICE_NOT_INUSE. */
    public void memberStatus(String queueName, String member, int status, boolean paused, int inCall) {
        broadcast("agent", "Event: QueueMemberStatus\r\nPrivilege: agent,all\r\nQueue: " + queueName
                + "\r\nMemberName: " + member + "\r\nInterface: " + member + "\r\nStateInterface: " + member
                + "\r\nMembership: static\r\nPenalty: 0\r\nCallsTaken: 0\r\nLastCall: 0\r\nLastPause: 0\r\n"
                + "LoginTime: 0\r\nInCall: " + inCall + "\r\nStatus: " + status + "\r\nPaused: " + (paused ? 1 : 0)
                + "\r\nPausedReason: \r\nRinginuse: 0\r\nWrapuptime: 10\r\n\r\n");
    }

    private void broadcast(String eventClass, String text) {
        for (Session s : sessions) {
            s.event(eventClass, text);
        }
    }

    // ------------------------------------------------------------------ sessions

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                Session session = new Session(s);
                sessions.add(session);
                Thread t = new Thread(session::run, "ami-peer-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private final class Session {
        private final Socket socket;
        private final OutputStream out;
        private volatile User user;
        private String challenge;
        /** set_eventmask: classes this session asked for; null = all. */
        private volatile Set<String> eventMask;

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void run() {
            try (socket; InputStream in = socket.getInputStream()) {
                socket.setSoTimeout((int) authTimeoutMillis);
                write("Asterisk Call Manager/" + AMI_VERSION + "\r\n");
                Map<String, String> m = new LinkedHashMap<>();
                boolean tooLong = false;
                int lines = 0;
                while (true) {
                    String line;
                    try {
                        line = readLine(in);
                    } catch (LineTooLong e) {
                        tooLong = true;
                        continue;
                    }
                    if (line == null) {
                        return;
                    }
                    if (line.isEmpty()) {
                        if (lines > MAX_HEADERS) {
                            error(get(m, "ActionID"), "Too many lines in message or allocation failure");
                        } else if (tooLong) {
                            error(get(m, "ActionID"), "Failed to parse message: line too long");
                        } else if (!m.isEmpty() || lines > 0) {
                            actions.add(m);
                            if (!process(m)) {
                                return;
                            }
                        } else {
                            process(m);
                        }
                        m = new LinkedHashMap<>();
                        tooLong = false;
                        lines = 0;
                        continue;
                    }
                    lines++;
                    int colon = line.indexOf(':');
                    if (colon <= 0) {
                        continue; // kept by manager.c but no astman_get_header can match it
                    }
                    String k = line.substring(0, colon);
                    String v = line.substring(colon + 1).stripLeading();
                    String key = k;
                    int n = 1;
                    while (m.containsKey(key)) {
                        key = k + "#" + (++n);
                    }
                    m.put(key, v);
                }
            } catch (SocketTimeoutException e) {
                // authtimeout: not logged in in time
            } catch (IOException e) {
                // the gateway went away
            } finally {
                sessions.remove(this);
            }
        }

        /** get_input: up to \r\n or \n; a bare \r stays in the line. */
        private String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            boolean over = false;
            while (true) {
                int c = in.read();
                if (c < 0) {
                    return null;
                }
                if (c == '\n') {
                    byte[] bytes = b.toByteArray();
                    int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    if (over) {
                        throw new LineTooLong();
                    }
                    return new String(bytes, 0, len, StandardCharsets.UTF_8);
                }
                if (b.size() >= MAX_LINE) {
                    over = true;
                    b.reset();
                }
                b.write(c);
            }
        }

        /** manager.c process_message. Returns false when the session is to be closed. */
        private boolean process(Map<String, String> m) throws IOException {
            String action = firstNonEmpty(m, "Action");
            String id = get(m, "ActionID");
            if (action == null) {
                error(id, "Missing action in request");
                return true;
            }
            String a = action.toLowerCase(Locale.ROOT);
            if (user == null && !a.equals("login") && !a.equals("logoff") && !a.equals("challenge")) {
                error(id, "Permission denied");
                return true;
            }
            switch (a) {
                case "challenge" -> {
                    if (!"md5".equalsIgnoreCase(nz(get(m, "AuthType"), ""))) {
                        error(id, "Must specify AuthType");
                    } else {
                        if (challenge == null) {
                            // char challenge[10] filled with %ld of ast_random(): at most nine digits
                            challenge = String.valueOf(ThreadLocalRandom.current().nextLong(1, 1_000_000_000L));
                        }
                        write("Response: Success\r\n" + idLine(id) + "Challenge: " + challenge + "\r\n\r\n");
                    }
                    return true;
                }
                case "login" -> {
                    if (user != null) {
                        write("Response: Success\r\n" + idLine(id) + "Message: Already authenticated\r\n\r\n");
                        return true;
                    }
                    User u = authenticate(m);
                    if (u == null) {
                        sleep(1000);
                        error(id, "Authentication failed");
                        return false;
                    }
                    Set<String> mask = eventMask(get(m, "Events"));
                    eventMask = mask;
                    user = u;
                    socket.setSoTimeout(0);
                    logins.incrementAndGet();
                    write("Response: Success\r\n" + idLine(id) + "Message: Authentication accepted\r\n\r\n");
                    if (u.mayRead("system") && (mask == null || mask.contains("system"))) {
                        write("Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 3600\r\nLastReload: 3600\r\n"
                                + "Status: Fully Booted\r\n\r\n");
                    }
                    return true;
                }
                case "logoff" -> {
                    write("Response: Goodbye\r\n" + idLine(id) + "Message: Thanks for all the fish.\r\n\r\n");
                    return false;
                }
                case "ping" -> {
                    write("Response: Success\r\n" + idLine(id) + "Ping: Pong\r\nTimestamp: "
                            + String.format(Locale.ROOT, "%.6f", System.currentTimeMillis() / 1000.0) + "\r\n\r\n");
                    return true;
                }
                case "coresettings" -> {
                    if (!user.mayWrite(Set.of("system", "reporting"))) {
                        error(id, "Permission denied");
                        return true;
                    }
                    write("Response: Success\r\n" + idLine(id) + "AMIversion: " + AMI_VERSION + "\r\nAsteriskVersion: "
                            + ASTERISK_VERSION + "\r\nSystemName: \r\nCoreMaxCalls: 0\r\nCoreMaxLoadAvg: 0.000000\r\n"
                            + "CoreRunUser: asterisk\r\nCoreRunGroup: asterisk\r\nCoreMaxFilehandles: 0\r\n"
                            + "CoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\nCoreHTTPenabled: No\r\n"
                            + "SoundsSearchCustomDir: No\r\n\r\n");
                    return true;
                }
                case "command" -> {
                    if (!user.mayWrite(Set.of("command"))) {
                        error(id, "Permission denied");
                        return true;
                    }
                    write("Response: Success\r\n" + idLine(id) + "Message: Command output follows\r\nOutput: Asterisk "
                            + ASTERISK_VERSION + " built by root @ builder on a x86_64 running Linux\r\n\r\n");
                    return true;
                }
                case "queuesummary" -> {
                    QueueState q = queue;
                    String only = get(m, "Queue");
                    write("Response: Success\r\n" + idLine(id) + "EventList: start\r\n"
                            + "Message: Queue summary will follow\r\n\r\n");
                    int n = 0;
                    if (only == null || only.isEmpty() || only.equalsIgnoreCase(q.queue())) {
                        write("Event: QueueSummary\r\nQueue: " + q.queue() + "\r\nLoggedIn: " + q.loggedIn()
                                + "\r\nAvailable: " + q.available() + "\r\nCallers: " + q.callers() + "\r\nHoldTime: "
                                + q.holdTime() + "\r\nTalkTime: 120\r\nLongestHoldTime: " + q.longestHoldTime() + "\r\n"
                                + idLine(id) + "\r\n");
                        n++;
                    }
                    write("Event: QueueSummaryComplete\r\n" + idLine(id) + "EventList: Complete\r\nListItems: " + n
                            + "\r\n\r\n");
                    return true;
                }
                case "originate" -> {
                    if (!user.mayWrite(Set.of("originate"))) {
                        error(id, "Permission denied");
                        return true;
                    }
                    originate(m, id);
                    return true;
                }
                default -> {
                    error(id, "Invalid/unknown command: " + action + ". Use Action: ListCommands to show available commands.");
                    return true;
                }
            }
        }

        /** manager.c action_originate, in its order of checks. */
        private void originate(Map<String, String> m, String id) throws IOException {
            String name = nz(get(m, "Channel"), "");
            String exten = nz(get(m, "Exten"), "");
            String context = nz(get(m, "Context"), "");
            String priority = nz(get(m, "Priority"), "");
            String timeout = nz(get(m, "Timeout"), "");
            String app = nz(get(m, "Application"), "");
            String appdata = nz(get(m, "Data"), "");
            if (name.isEmpty()) {
                error(id, "Channel not specified");
                return;
            }
            int pi = 0;
            if (!priority.isEmpty()) {
                if (priority.matches("\\s*-?\\d+.*")) {
                    pi = Integer.parseInt(priority.strip().replaceFirst("^(-?\\d+).*$", "$1"));
                } else {
                    error(id, "Invalid priority"); // no labels in the peer's dialplan
                    return;
                }
            }
            if (!timeout.isEmpty() && !timeout.matches("\\s*-?\\d+.*")) {
                error(id, "Invalid timeout");
                return;
            }
            if (!name.contains("/")) {
                error(id, "Invalid channel");
                return;
            }
            if (!app.isEmpty() && !originateAppPermitted(app, appdata, user.write())) {
                error(id, "Originate Access Forbidden: app or data blacklisted");
                return;
            }
            if (pi != 0 && !dialplan.exists(context, exten, pi)) {
                error(id, "Extension does not exist.");
                return;
            }
            boolean async = astTrue(get(m, "Async"));
            if (!async && app.isEmpty() && pi == 0) {
                error(id, "Originate with 'Exten' requires 'Context' and 'Priority'");
                return;
            }
            Originate o = new Originate(m, this, async);
            if (async) {
                write("Response: Success\r\n" + idLine(id) + "Message: Originate successfully queued\r\n\r\n");
                originates.add(o);
                return;
            }
            // synchronous: this session (and every action behind it on it) waits for the call
            originates.add(o);
            int reason = o.outcome.join();
            if (reason == 4) {
                write("Response: Success\r\n" + idLine(id) + "Message: Originate successfully queued\r\n\r\n");
            } else {
                error(id, "Originate failed");
            }
        }

        /** manager.c authenticate(): the user (its ACL aside); MD5 key over the session's challenge, or the plain secret. */
        private User authenticate(Map<String, String> m) {
            String name = get(m, "Username");
            if (name == null || name.isEmpty()) {
                return null;
            }
            User u = users.get(name.toLowerCase(Locale.ROOT));
            if (u == null) {
                return null;
            }
            if ("md5".equalsIgnoreCase(nz(get(m, "AuthType"), ""))) {
                String key = get(m, "Key");
                if (challenge == null || key == null || key.isEmpty()) {
                    return null;
                }
                try {
                    byte[] d = MessageDigest.getInstance("MD5")
                            .digest((challenge + u.secret()).getBytes(StandardCharsets.UTF_8));
                    return HexFormat.of().formatHex(d).equals(key) ? u : null;
                } catch (java.security.NoSuchAlgorithmException e) {
                    return null;
                }
            }
            return nz(get(m, "Secret"), "").equals(u.secret()) ? u : null;
        }

        private void error(String id, String message) throws IOException {
            write("Response: Error\r\n" + idLine(id) + "Message: " + message + "\r\n\r\n");
        }

        void event(String eventClass, String text) {
            User u = user;
            Set<String> mask = eventMask;
            if (u == null || !u.mayRead(eventClass) || (mask != null && !mask.contains(eventClass)) || !u.passes(text)) {
                return;
            }
            try {
                write(text);
            } catch (IOException e) {
                close();
            }
        }

        private synchronized void write(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // gone
            }
        }
    }

    private static final class LineTooLong extends IOException {
        LineTooLong() {
            super("line too long", null);
        }
    }

    // ------------------------------------------------------------------ the dialplan Originate checks against

    /** The contexts and extensions of an extensions.conf (ast_exists_extension for Originate's early check). */
    static final class Dialplan {
        private final Map<String, Map<String, Set<Integer>>> contexts;

        private Dialplan(Map<String, Map<String, Set<Integer>>> contexts) {
            this.contexts = contexts;
        }

        static Dialplan of(Path file) throws IOException {
            Map<String, Map<String, Set<Integer>>> ctx = new HashMap<>();
            if (!Files.exists(file)) {
                return new Dialplan(ctx);
            }
            String context = null;
            String last = null;
            int lastPriority = 0;
            Pattern exten = Pattern.compile("^exten\\s*=>?\\s*([^,]+),\\s*(\\d+|n)\\b.*");
            Pattern same = Pattern.compile("^same\\s*=>?\\s*(\\d+|n)\\b.*");
            for (String raw : Files.readAllLines(file)) {
                String line = raw.replaceFirst("(?<!\\\\);.*$", "").strip();
                if (line.startsWith("[")) {
                    context = line.substring(1, line.indexOf(']'));
                    ctx.putIfAbsent(context, new HashMap<>());
                    continue;
                }
                Matcher e = exten.matcher(line);
                Matcher s = same.matcher(line);
                if (context != null && e.matches()) {
                    last = e.group(1).strip();
                    lastPriority = e.group(2).equals("n") ? lastPriority + 1 : Integer.parseInt(e.group(2));
                    ctx.get(context).computeIfAbsent(last, k -> new HashSet<>()).add(lastPriority);
                } else if (context != null && last != null && s.matches()) {
                    lastPriority = s.group(1).equals("n") ? lastPriority + 1 : Integer.parseInt(s.group(1));
                    ctx.get(context).computeIfAbsent(last, k -> new HashSet<>()).add(lastPriority);
                }
            }
            return new Dialplan(ctx);
        }

        boolean exists(String context, String exten, int priority) {
            Map<String, Set<Integer>> c = contexts.get(context);
            if (c == null) {
                return false;
            }
            for (var e : c.entrySet()) {
                if (e.getValue().contains(priority) && matches(e.getKey(), exten)) {
                    return true;
                }
            }
            return false;
        }

        /** pbx.c extension patterns: _ then X [0-9], Z [1-9], N [2-9], [..], . (one or more), ! (zero or more). */
        static boolean matches(String pattern, String exten) {
            if (!pattern.startsWith("_")) {
                return pattern.equals(exten);
            }
            StringBuilder re = new StringBuilder();
            String p = pattern.substring(1);
            for (int i = 0; i < p.length(); i++) {
                char c = p.charAt(i);
                switch (Character.toUpperCase(c)) {
                    case 'X' -> re.append("[0-9]");
                    case 'Z' -> re.append("[1-9]");
                    case 'N' -> re.append("[2-9]");
                    case '.' -> re.append(".+");
                    case '!' -> re.append(".*");
                    case '[' -> {
                        int end = p.indexOf(']', i);
                        re.append(p, i, end + 1);
                        i = end;
                    }
                    default -> re.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return exten.matches(re.toString());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** manager.c is_originate_app_permitted: applications and functions that need class system (queue AGI: agi). */
    static boolean originateAppPermitted(String app, String data, Set<String> write) {
        boolean system = write.contains("system") || write.contains("all");
        String a = app.toLowerCase(Locale.ROOT);
        for (String s : List.of("agi", "dbdeltree", "exec", "externalivr", "mixmonitor", "originate", "reload",
                "system")) {
            if (a.contains(s)) {
                return system;
            }
        }
        if (a.contains("queue") && !data.isEmpty()) {
            String[] args = data.split(",", -1);
            if (args.length > 5 && !args[5].isEmpty()) {
                return system || write.contains("agi");
            }
            return true;
        }
        for (String f : List.of("CURL", "DB", "EVAL", "FILE", "ODBC", "REALTIME", "SHELL")) {
            if (data.contains(f)) {
                return system;
            }
        }
        return true;
    }

    /** utils.c ast_true. */
    static boolean astTrue(String s) {
        if (s == null) {
            return false;
        }
        String v = s.strip().toLowerCase(Locale.ROOT);
        return v.equals("yes") || v.equals("true") || v.equals("y") || v.equals("t") || v.equals("1") || v.equals("on");
    }

    /** manager.c set_eventmask / strings_to_mask: null = every class (also when the header is absent). */
    static Set<String> eventMask(String events) {
        if (events == null || events.isBlank()) {
            return null;
        }
        String v = events.strip().toLowerCase(Locale.ROOT);
        if (v.matches("\\d+")) {
            return null; // a numeric mask: the peer does not model bits; treat as all
        }
        if (v.equals("no") || v.equals("false") || v.equals("n") || v.equals("f") || v.equals("0") || v.equals("off")) {
            return Set.of();
        }
        if (astTrue(v)) {
            return null;
        }
        Set<String> out = new HashSet<>();
        for (String c : v.split(",")) {
            out.add(c.strip());
        }
        return out.contains("all") ? null : out;
    }

    /** callerid.c ast_callerid_parse: {name, number}; a bare number is a number, anything else a name. */
    static String[] callerIdParse(String callerId) {
        if (callerId == null || callerId.isBlank()) {
            return new String[] {null, null};
        }
        Matcher mm = Pattern.compile("^\\s*(?:\"?([^\"<]*)\"?)?\\s*<([^>]*)>").matcher(callerId);
        if (mm.find()) {
            String name = mm.group(1) == null || mm.group(1).isBlank() ? null : mm.group(1).strip();
            String num = mm.group(2).replaceAll("[\\s()\\-.]", "");
            return new String[] {name, num.isEmpty() ? null : num};
        }
        String c = callerId.strip();
        return c.matches("[0-9+*#()\\-. ]+") ? new String[] {null, c.replaceAll("[\\s()\\-.]", "")}
                : new String[] {c.replace("\"", ""), null};
    }

    /** chan_pjsip names an outgoing channel PJSIP/&lt;endpoint&gt;-&lt;8 hex digits&gt;. */
    static String answeredChannelName(String requested, int n) {
        String tech = requested.substring(0, requested.indexOf('/'));
        String rest = requested.substring(requested.indexOf('/') + 1);
        String endpoint = rest.contains("@") ? rest.substring(rest.indexOf('@') + 1) : rest;
        return tech + "/" + endpoint + "-" + String.format("%08x", n);
    }

    private static String idLine(String id) {
        return id == null || id.isEmpty() ? "" : "ActionID: " + id + "\r\n";
    }

    static String get(Map<String, String> m, String name) {
        for (var e : m.entrySet()) {
            if (e.getKey().replaceFirst("#\\d+$", "").equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** process_message: __astman_get_header(m, "Action", GET_HEADER_SKIP_EMPTY). */
    private static String firstNonEmpty(Map<String, String> m, String name) {
        for (var e : m.entrySet()) {
            if (e.getKey().replaceFirst("#\\d+$", "").equalsIgnoreCase(name) && !e.getValue().isBlank()) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String nz(String s, String otherwise) {
        return s == null || s.isEmpty() ? otherwise : s;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
