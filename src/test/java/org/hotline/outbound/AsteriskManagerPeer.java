package org.hotline.outbound;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Asterisk's Manager Interface (AMI) as Asterisk 20/22 speaks it on TCP, as strict and as forgiving as
 * {@code main/manager.c}:
 *
 * <ul>
 * <li>on connect, the banner {@code Asterisk Call Manager/<AMI_VERSION>} (session_do → "Asterisk Call Manager/%s\r\n");
 * <li>a message is {@code Key: Value} lines ending with an empty line; header names are matched without case
 * (astman_get_header); every line ends {@code \r\n};
 * <li>responses via astman_send_response_full: {@code Response:}, then {@code ActionID:} when the action had
 * one, then {@code Message:}; list actions with {@code EventList: start} (astman_send_listack) and a
 * {@code ...Complete} event with {@code EventList: Complete} and {@code ListItems} (astman_send_list_complete_start);
 * <li>process_message: no {@code Action} → "Missing action in request"; before login only {@code Login},
 * {@code Logoff} and {@code Challenge} run, anything else gets "Permission denied"; an action whose authority
 * the user's write classes lack gets "Permission denied"; an unknown action gets
 * "Invalid/unknown command: X. Use Action: ListCommands to show available commands.";
 * <li>action_challenge: {@code AuthType: MD5} → {@code Challenge: <random digits>} (no AuthType: "Must specify
 * AuthType"); authenticate(): {@code Key} = md5(challenge + secret) in hex, or a plain {@code Secret}; a failed
 * login answers "Authentication failed" and closes the session; success "Authentication accepted", then
 * {@code Event: FullyBooted};
 * <li>events go only to logged-in sessions whose read classes include the event's class
 * ({@code Privilege: agent,all} for app_queue.c's queue events, {@code call,all} for OriginateResponse);
 * <li>action_originate with {@code Async: true}: "Originate successfully queued" at once, later
 * {@code Event: OriginateResponse} (fast_originate) carrying {@code ActionID}, {@code Response: Success|Failure},
 * {@code Reason} (4 answered, 5 busy, 3 rang out, 1 hung up, 8 congestion, 0 failed) and the channel's
 * {@code Uniqueid}; what happens to the call is up to the test ({@link #originates()}).
 * </ul>
 *
 * Authorities of the actions it knows, from their registration (ast_manager_register_xml[_core]):
 * Originate EVENT_FLAG_ORIGINATE, CoreSettings EVENT_FLAG_SYSTEM|EVENT_FLAG_REPORTING, Command
 * EVENT_FLAG_COMMAND, QueueSummary and Ping 0 (any logged-in user).
 */
public final class AsteriskManagerPeer implements AutoCloseable {

    /** manager.c AMI_VERSION of Asterisk 20 (22 says 10.0.0). */
    public static final String AMI_VERSION = "9.0.0";
    public static final String ASTERISK_VERSION = "20.10.0";

    /** A manager.conf user: secret and read/write classes ("call,agent", "originate,reporting"). */
    public record User(String secret, Set<String> read, Set<String> write) {
        public static User of(String secret, String read, String write) {
            return new User(secret, classes(read), classes(write));
        }

        private static Set<String> classes(String csv) {
            Set<String> out = new java.util.HashSet<>();
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
    }

    /** One Originate the gateway sent, with the session to answer it on. */
    public final class Originate {
        public final Map<String, String> headers;
        private final Session session;

        Originate(Map<String, String> headers, Session session) {
            this.headers = headers;
            this.session = session;
        }

        public String header(String name) {
            return get(headers, name);
        }

        /** Asterisk's channel variables from {@code Variable: A=1} lines (one or several, comma-separated too). */
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
         * fast_originate's event: {@code Response: Success} only for an answered call (reason 4). Returns the
         * new channel's Uniqueid.
         */
        public String respond(int reason) {
            String uniqueId = (1_700_000_000 + UNIQUE.incrementAndGet()) + "." + UNIQUE.get();
            boolean ok = reason == 4;
            String channel = header("Channel");
            StringBuilder b = new StringBuilder();
            b.append("Event: OriginateResponse\r\nPrivilege: call,all\r\n");
            String id = header("ActionID");
            if (id != null) {
                b.append("ActionID: ").append(id).append("\r\n");
            }
            b.append("Response: ").append(ok ? "Success" : "Failure").append("\r\n")
                    .append("Channel: ").append(ok ? channel + "-0000000" + UNIQUE.get() : channel).append("\r\n")
                    .append("Context: ").append(nz(header("Context"))).append("\r\n")
                    .append("Exten: ").append(nz(header("Exten"))).append("\r\n")
                    .append("Application: ").append(nz(header("Application"))).append("\r\n")
                    .append("Data: ").append(nz(header("Data"))).append("\r\n")
                    .append("Reason: ").append(reason).append("\r\n")
                    .append("Uniqueid: ").append(ok ? uniqueId : "<null>").append("\r\n")
                    .append("CallerIDNum: ").append(callerIdNum(header("CallerID"))).append("\r\n")
                    .append("CallerIDName: <unknown>\r\n\r\n");
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
    private volatile QueueState queue = new QueueState("hotline-agents", 0, 0, 0, 0, 0);
    private volatile boolean closed;
    private final AtomicInteger logins = new AtomicInteger();

    /** What QueueSummary reports for the one queue. */
    public record QueueState(String queue, int loggedIn, int available, int callers, int holdTime, int longestHoldTime) {
    }

    public AsteriskManagerPeer() throws IOException {
        this(0);
    }

    public AsteriskManagerPeer(int port) throws IOException {
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

    /** The caller channel's snapshot fields (manager_channels.c ast_manager_build_channel_state_string_prefix). */
    public static String channelSnapshot(String prefix, String channel, String uniqueId, String callerNum, String context,
            String exten) {
        return prefix + "Channel: " + channel + "\r\n"
                + prefix + "ChannelState: 6\r\n"
                + prefix + "ChannelStateDesc: Up\r\n"
                + prefix + "CallerIDNum: " + callerNum + "\r\n"
                + prefix + "CallerIDName: <unknown>\r\n"
                + prefix + "ConnectedLineNum: <unknown>\r\n"
                + prefix + "ConnectedLineName: <unknown>\r\n"
                + prefix + "Language: zh\r\n"
                + prefix + "AccountCode: \r\n"
                + prefix + "Context: " + context + "\r\n"
                + prefix + "Exten: " + exten + "\r\n"
                + prefix + "Priority: 1\r\n"
                + prefix + "Uniqueid: " + uniqueId + "\r\n"
                + prefix + "Linkedid: " + uniqueId + "\r\n";
    }

    private static String callerChannel(String uniqueId) {
        return channelSnapshot("", "PJSIP/carrier-trunk-" + uniqueId.replace(".", ""), uniqueId, "13800138000",
                "hotline", "agent");
    }

    /** app_queue.c queue_channel_to_ami for queue_caller_join_type: Queue, Position, Count. */
    public void callerJoin(String queueName, String uniqueId, int position, int count) {
        broadcast("agent", "Event: QueueCallerJoin\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + "Queue: " + queueName + "\r\nPosition: " + position + "\r\nCount: " + count + "\r\n\r\n");
    }

    /** queue_caller_leave_type: Queue, Count, Position (sent when a caller leaves for whatever reason). */
    public void callerLeave(String queueName, String uniqueId, int position, int count) {
        broadcast("agent", "Event: QueueCallerLeave\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + "Queue: " + queueName + "\r\nCount: " + count + "\r\nPosition: " + position + "\r\n\r\n");
    }

    /** queue_caller_abandon_type: Queue, Position, OriginalPosition, HoldTime (seconds). */
    public void callerAbandon(String queueName, String uniqueId, int position, int originalPosition, int holdTime) {
        broadcast("agent", "Event: QueueCallerAbandon\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + "Queue: " + queueName + "\r\nPosition: " + position + "\r\nOriginalPosition: " + originalPosition
                + "\r\nHoldTime: " + holdTime + "\r\n\r\n");
    }

    /**
     * queue_agent_connect_type via queue_multi_channel_to_ami: the caller's snapshot, the member's with prefix
     * {@code Dest}, then Queue, MemberName, Interface, HoldTime, RingTime (seconds).
     */
    public void agentConnect(String queueName, String uniqueId, String member, int holdTime, int ringTime) {
        String memberUnique = uniqueId + "1";
        broadcast("agent", "Event: AgentConnect\r\nPrivilege: agent,all\r\n" + callerChannel(uniqueId)
                + channelSnapshot("Dest", member + "-00000001", memberUnique, member.replace("PJSIP/agent", ""),
                        "hotline", "agent")
                + "Queue: " + queueName + "\r\nMemberName: " + member + "\r\nInterface: " + member
                + "\r\nHoldTime: " + holdTime + "\r\nRingTime: " + ringTime + "\r\n\r\n");
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
        private boolean sendEvents = true;

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void run() {
            try (socket; BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8))) {
                write("Asterisk Call Manager/" + AMI_VERSION + "\r\n");
                Map<String, String> m = new LinkedHashMap<>();
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (!m.isEmpty()) {
                            actions.add(m);
                            if (!process(m)) {
                                return;
                            }
                            m = new LinkedHashMap<>();
                        }
                        continue;
                    }
                    int colon = line.indexOf(':');
                    if (colon <= 0) {
                        continue; // manager.c keeps only "Key: value" lines
                    }
                    String k = line.substring(0, colon).strip();
                    String v = line.substring(colon + 1).strip();
                    String key = k;
                    int n = 1;
                    while (m.containsKey(key)) {
                        key = k + "#" + (++n);
                    }
                    m.put(key, v);
                }
            } catch (IOException e) {
                // the gateway went away
            } finally {
                sessions.remove(this);
            }
        }

        /** manager.c process_message. Returns false when the session is to be closed. */
        private boolean process(Map<String, String> m) throws IOException {
            String action = get(m, "Action");
            String id = get(m, "ActionID");
            if (action == null || action.isEmpty()) {
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
                    String type = get(m, "AuthType");
                    if (type == null || type.isEmpty()) {
                        error(id, "Must specify AuthType");
                    } else if (!type.equalsIgnoreCase("md5")) {
                        error(id, "Must specify AuthType");
                    } else {
                        if (challenge == null) {
                            challenge = String.valueOf(ThreadLocalRandom.current().nextLong(100_000_000L, 2_147_483_647L));
                        }
                        write("Response: Success\r\n" + idLine(id) + "Challenge: " + challenge + "\r\n\r\n");
                    }
                    return true;
                }
                case "login" -> {
                    User u = authenticate(m);
                    if (u == null) {
                        error(id, "Authentication failed");
                        return false;
                    }
                    user = u;
                    logins.incrementAndGet();
                    String events = get(m, "Events");
                    sendEvents = events == null || !(events.equalsIgnoreCase("off") || events.equalsIgnoreCase("no"));
                    write("Response: Success\r\n" + idLine(id) + "Message: Authentication accepted\r\n\r\n");
                    write("Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 3600\r\nLastReload: 3600\r\n"
                            + "Status: Fully Booted\r\n\r\n");
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
                    String channel = get(m, "Channel");
                    if (channel == null || channel.isEmpty()) {
                        error(id, "Channel not specified");
                        return true;
                    }
                    if (get(m, "Exten") != null && (get(m, "Context") == null)) {
                        // manager.c: exten without context still works (context defaults); keep it simple and strict
                        error(id, "Originate failed");
                        return true;
                    }
                    String async = get(m, "Async");
                    if (async == null || !(async.equalsIgnoreCase("true") || async.equalsIgnoreCase("yes")
                            || async.equals("1"))) {
                        // a synchronous Originate would block this session for the whole ring; the gateway never
                        // sends one, and a test must notice if it does
                        error(id, "Originate failed");
                        return true;
                    }
                    write("Response: Success\r\n" + idLine(id) + "Message: Originate successfully queued\r\n\r\n");
                    originates.add(new Originate(m, this));
                    return true;
                }
                default -> {
                    error(id, "Invalid/unknown command: " + action + ". Use Action: ListCommands to show available commands.");
                    return true;
                }
            }
        }

        /** manager.c authenticate(): the user, its ACL aside; MD5 key over the session's challenge, or the plain secret. */
        private User authenticate(Map<String, String> m) {
            String name = get(m, "Username");
            if (name == null) {
                return null;
            }
            User u = users.get(name.toLowerCase(Locale.ROOT));
            if (u == null) {
                return null;
            }
            String authType = get(m, "AuthType");
            if (authType != null && authType.equalsIgnoreCase("md5")) {
                String key = get(m, "Key");
                if (challenge == null || key == null) {
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
            String secret = get(m, "Secret");
            return secret != null && secret.equals(u.secret()) ? u : null;
        }

        private void error(String id, String message) throws IOException {
            write("Response: Error\r\n" + idLine(id) + "Message: " + message + "\r\n\r\n");
        }

        void event(String eventClass, String text) {
            User u = user;
            if (u == null || !sendEvents || !u.mayRead(eventClass)) {
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

    private static String idLine(String id) {
        return id == null || id.isEmpty() ? "" : "ActionID: " + id + "\r\n";
    }

    static String get(Map<String, String> m, String name) {
        for (var e : m.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String callerIdNum(String callerId) {
        if (callerId == null) {
            return "<unknown>";
        }
        java.util.regex.Matcher mm = java.util.regex.Pattern.compile("<([^>]*)>").matcher(callerId);
        return mm.find() ? mm.group(1) : callerId;
    }
}
