package org.hotline.outbound.ami;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.asteriskjava.manager.ManagerConnection;
import org.asteriskjava.manager.ManagerConnectionFactory;
import org.asteriskjava.manager.ManagerConnectionState;
import org.asteriskjava.manager.ResponseEvents;
import org.asteriskjava.manager.action.OriginateAction;
import org.asteriskjava.manager.action.QueueSummaryAction;
import org.asteriskjava.manager.event.ConnectEvent;
import org.asteriskjava.manager.event.DisconnectEvent;
import org.asteriskjava.manager.event.ManagerEvent;
import org.asteriskjava.manager.event.OriginateResponseEvent;
import org.asteriskjava.manager.event.QueueSummaryEvent;
import org.asteriskjava.manager.event.ResponseEvent;
import org.asteriskjava.manager.response.ManagerError;
import org.asteriskjava.manager.response.ManagerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Asterisk's Manager Interface: a logged-in {@link ManagerConnection} kept up with back-off. asterisk-java
 * logs in with {@code Challenge} (MD5) and {@code Login}, then asks the version ({@code CoreSettings}: the user
 * needs write class {@code reporting}, else it tries {@code Command} and guesses after ~2 s). When the
 * connection drops, the library would reconnect on its own at a fixed pace; this link instead drops that
 * connection ({@code logoff} stops the library's loop) and logs in on a new one after reconnect-min, doubling
 * up to reconnect-max, so that an Asterisk being restarted is not hammered and its health reads DOWN meanwhile.
 *
 * <p>Events (queue events, member status) go to the listener on one thread per link, in the order Asterisk sent
 * them; the library's reader thread never waits for the database.
 */
public final class AmiLink {

    private static final Logger log = LoggerFactory.getLogger(AmiLink.class);

    /** What came of an asynchronous Originate: Asterisk's OriginateResponse (Reason as in pbx.c/channel.h). */
    public record OriginateResult(boolean success, int reason, String uniqueId, String error) {
        /** AST_CONTROL_ANSWER: the callee answered. */
        public static final int ANSWERED = 4;
        /** AST_CONTROL_BUSY. */
        public static final int BUSY = 5;
        /** AST_CONTROL_RINGING: it rang until the Originate timeout. */
        public static final int RINGING = 3;
        /** AST_CONTROL_CONGESTION. */
        public static final int CONGESTION = 8;
        /** AST_CONTROL_HANGUP: the far end refused or hung up before answering. */
        public static final int HANGUP = 1;
    }

    /** A queue as {@code QueueSummary} reports it (app_queue.c manager_queues_summary). */
    public record QueueFigures(String queue, int loggedIn, int available, int callers, int holdTime,
            int longestHoldTime) {
    }

    private final AmiProperties.Server server;
    private final AmiProperties props;
    private final Consumer<ManagerEvent> listener;
    private final ScheduledExecutorService supervisor;
    private final ExecutorService events;
    private final AtomicLong logins = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong eventCount = new AtomicLong();
    private volatile ManagerConnection connection;
    private volatile boolean connected;
    private volatile boolean stopped = true;
    private volatile String lastError;
    private volatile Duration nextWait;

    AmiLink(AmiProperties.Server server, AmiProperties props, Consumer<ManagerEvent> listener) {
        this.server = server;
        this.props = props;
        this.listener = listener;
        this.supervisor = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "ami-" + server.name()));
        this.events = Executors.newSingleThreadExecutor(r -> daemon(r, "ami-events-" + server.name()));
        this.nextWait = props.reconnectMin();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public String name() {
        return server.name();
    }

    public String address() {
        return server.host() + ":" + server.port();
    }

    public boolean connected() {
        return connected;
    }

    public long logins() {
        return logins.get();
    }

    public long failures() {
        return failures.get();
    }

    public long events() {
        return eventCount.get();
    }

    public String lastError() {
        return lastError;
    }

    void start() {
        stopped = false;
        supervisor.execute(this::connect);
    }

    void stop() {
        stopped = true;
        supervisor.shutdownNow();
        ManagerConnection c = connection;
        connection = null;
        connected = false;
        if (c != null) {
            drop(c);
        }
        events.shutdown();
    }

    private void connect() {
        if (stopped) {
            return;
        }
        ManagerConnection c = new ManagerConnectionFactory(server.host(), server.port(), server.username(),
                server.secret()).createManagerConnection();
        c.addEventListener(e -> onEvent(c, e));
        c.registerUserEventClass(AgentConnectWithVariables.class);
        try {
            c.login();
            if (stopped) {
                drop(c);
                return;
            }
            connection = c;
            connected = true;
            lastError = null;
            nextWait = props.reconnectMin();
            logins.incrementAndGet();
            log.info("AMI {} ({}): logged in as {}", server.name(), address(), server.username());
        } catch (Exception e) {
            failures.incrementAndGet();
            lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
            drop(c);
            retryLater("login failed: " + lastError);
        }
    }

    private void retryLater(String why) {
        if (stopped) {
            return;
        }
        Duration wait = nextWait;
        Duration doubled = wait.multipliedBy(2);
        nextWait = doubled.compareTo(props.reconnectMax()) > 0 ? props.reconnectMax() : doubled;
        log.warn("AMI {} ({}): {}; connecting again in {} ms", server.name(), address(), why, wait.toMillis());
        try {
            supervisor.schedule(this::connect, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    private void onEvent(ManagerConnection c, ManagerEvent e) {
        if (e instanceof ConnectEvent) {
            return;
        }
        if (e instanceof DisconnectEvent) {
            if (c == connection) {
                connected = false;
                connection = null;
                failures.incrementAndGet();
                lastError = "connection lost";
                // the library now reconnects at its own pace: stop it, and connect with back-off instead
                supervisor.execute(() -> {
                    drop(c);
                    retryLater("connection lost");
                });
            }
            return;
        }
        eventCount.incrementAndGet();
        try {
            events.execute(() -> {
                try {
                    listener.accept(e);
                } catch (RuntimeException ex) {
                    log.warn("AMI {}: event {} not handled: {}", server.name(), e.getClass().getSimpleName(), ex.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException ex) {
            // stopping
        }
    }

    private static void drop(ManagerConnection c) {
        try {
            ManagerConnectionState s = c.getState();
            if (s == ManagerConnectionState.CONNECTED || s == ManagerConnectionState.RECONNECTING) {
                c.logoff();
            }
        } catch (RuntimeException e) {
            // already gone
        }
    }

    /**
     * Originate with {@code Async: true}: Asterisk answers at once ("Originate successfully queued") and later
     * sends {@code OriginateResponse} with our ActionID (manager.c fast_originate). Blocks until that event,
     * at most {@code timeout}. A link that is down answers a failure at once.
     */
    public OriginateResult originate(OriginateAction action, Duration timeout) {
        ManagerConnection c = connection;
        if (c == null || !connected) {
            return new OriginateResult(false, 0, null, "AMI " + server.name() + " not connected");
        }
        action.setAsync(true);
        try {
            ResponseEvents r = c.sendEventGeneratingAction(action, timeout.toMillis());
            ManagerResponse resp = r.getResponse();
            if (resp instanceof ManagerError || resp == null || !"Success".equalsIgnoreCase(resp.getResponse())) {
                return new OriginateResult(false, 0, null, resp == null ? "no response" : resp.getMessage());
            }
            for (ResponseEvent ev : r.getEvents()) {
                if (ev instanceof OriginateResponseEvent o) {
                    int reason = o.getReason() == null ? 0 : o.getReason();
                    // fast_originate: a call that was not answered has no channel: Uniqueid "<unknown>"
                    String uid = o.getUniqueId();
                    return new OriginateResult("Success".equalsIgnoreCase(o.getResponse()), reason,
                            uid == null || uid.startsWith("<") ? null : uid, null);
                }
            }
            return new OriginateResult(false, 0, null, "no OriginateResponse");
        } catch (Exception e) {
            return new OriginateResult(false, 0, null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The queue's live figures ({@code QueueSummary}); empty when the link is down or Asterisk did not say. */
    public Optional<QueueFigures> queueSummary(String queue) {
        ManagerConnection c = connection;
        if (c == null || !connected) {
            return Optional.empty();
        }
        try {
            ResponseEvents r = c.sendEventGeneratingAction(new QueueSummaryAction(queue),
                    props.responseTimeout().toMillis());
            for (ResponseEvent ev : r.getEvents()) {
                if (ev instanceof QueueSummaryEvent q && queue.equals(q.getQueue())) {
                    return Optional.of(new QueueFigures(q.getQueue(), nz(q.getLoggedIn()), nz(q.getAvailable()),
                            nz(q.getCallers()), nz(q.getHoldTime()), nz(q.getLongestHoldTime())));
                }
            }
            return Optional.empty();
        } catch (Exception e) {
            log.warn("AMI {}: QueueSummary failed: {}", server.name(), e.toString());
            return Optional.empty();
        }
    }

    private static int nz(Integer i) {
        return i == null ? 0 : i;
    }

    /** For health: what a supervisor needs to see (no secret). */
    public Map<String, Object> details() {
        return Map.of("address", address(), "user", server.username(), "connected", connected, "logins",
                logins.get(), "failures", failures.get(), "events", eventCount.get(), "lastError",
                lastError == null ? "" : lastError);
    }

    static List<String> names(List<AmiLink> links) {
        return links.stream().map(AmiLink::name).toList();
    }
}
