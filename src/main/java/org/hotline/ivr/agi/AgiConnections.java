package org.hotline.ivr.agi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.asteriskjava.util.ServerSocketFacade;
import org.asteriskjava.util.SocketConnectionFacade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.ivr.PeerAddresses;

/**
 * The listening socket, the connections still sending their environment block, and every open call
 * socket (so that a call can be found by its peer address to see a HANGUP notice, and so that
 * shutdown can cut calls that will not finish).
 *
 * <p>asterisk-java reads the environment block on the call's own thread, so a connection that sends
 * nothing holds a call thread until the read timeout. Here one selector thread accepts every
 * connection, refuses peers outside {@code allowed-peers}, and reads the block within the header
 * limits (time, line length, line count, bytes); only a complete block is handed to the library's
 * accept loop, and so to a call thread. At most {@code max-waiting-connections} wait for their block;
 * one more closes the longest-waiting one (a real Asterisk sends its block within milliseconds of
 * connecting, so under a flood the oldest waiter is the likeliest idle one).
 *
 * <p>Address reuse is on: after calls, the port's closed connections sit in TIME_WAIT for a minute,
 * and a restarted node must be able to listen again at once.
 */
final class AgiConnections implements ServerSocketFacade {

    private static final Logger log = LoggerFactory.getLogger(AgiConnections.class);

    /** How much of a refused line a log message quotes. */
    static final int LOGGED_CHARS = 60;
    /** One log line per refusal reason per this long, with the count of the others. */
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread reader;
    private final PeerAddresses peers;
    private final AgiProperties.Header limits;
    private final int maxWaiting;
    private final CallStats stats;
    private final Map<InetSocketAddress, AgiConnection> open = new ConcurrentHashMap<>();
    /** Connections with a complete block, for the library's accept loop; an empty Optional means closed. */
    private final LinkedBlockingQueue<java.util.Optional<AgiConnection>> ready = new LinkedBlockingQueue<>();
    /** Only the selector thread touches this; in accept order, so the head is the oldest. */
    private final LinkedHashSet<Waiting> waiting = new LinkedHashSet<>();
    private final ByteBuffer readBuffer;
    private final Map<CallStats.Refusal, long[]> lastLogged = new ConcurrentHashMap<>();
    private volatile int readTimeoutMs;
    private volatile boolean closed;

    AgiConnections(InetAddress bind, int port, int backlog, int readTimeoutMs, PeerAddresses peers,
            AgiProperties.Header limits, int maxWaiting, CallStats stats) throws IOException {
        this.peers = peers;
        this.limits = limits;
        this.maxWaiting = maxWaiting;
        this.stats = stats;
        this.readTimeoutMs = readTimeoutMs;
        this.readBuffer = ByteBuffer.allocate(Math.min(limits.maxBytes(), 64 * 1024));
        this.selector = Selector.open();
        ServerSocketChannel s = ServerSocketChannel.open();
        try {
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(new InetSocketAddress(bind, port), backlog);
            s.configureBlocking(false);
            s.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            s.close();
            selector.close();
            throw e;
        }
        this.server = s;
        this.reader = new Thread(this::run, "agi-header");
        reader.setDaemon(true);
        reader.start();
    }

    int localPort() {
        return server.socket().getLocalPort();
    }

    /** The library's accept loop: the next connection whose environment block is complete. */
    @Override
    public SocketConnectionFacade accept() throws IOException {
        try {
            java.util.Optional<AgiConnection> c = ready.take();
            if (c.isEmpty()) {
                ready.offer(c); // for any other waiter
                throw new IOException("FastAGI listener closed");
            }
            return c.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    AgiConnection find(InetAddress peer, int peerPort) {
        return peer == null ? null : open.get(new InetSocketAddress(peer, peerPort));
    }

    /** Call sockets open now (handed to the library; a call thread serves or is about to serve each). */
    int openCount() {
        return open.size();
    }

    /** Connections accepted whose environment block has not arrived yet. */
    int waitingCount() {
        return stats.waiting();
    }

    /** Closes every call socket: each call's next read fails and its flow hears "hung up". */
    void closeAll() {
        for (AgiConnection c : open.values()) {
            try {
                c.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.close();
        } finally {
            selector.close();
            ready.offer(java.util.Optional.empty());
        }
    }

    @Override
    public void setSocketReadTimeout(int socketReadTimeout) {
        this.readTimeoutMs = socketReadTimeout;
    }

    // ---- the selector thread ----

    /** One accepted connection still sending its block. */
    private final class Waiting {
        final SocketChannel channel;
        final InetSocketAddress peer;
        final long deadline;
        SelectionKey key;
        byte[] bytes = new byte[1024];
        int length;
        int lineStart;
        int scanned;
        int lines;

        Waiting(SocketChannel channel, InetSocketAddress peer) {
            this.channel = channel;
            this.peer = peer;
            this.deadline = System.nanoTime() + limits.timeout().toNanos();
        }
    }

    private void run() {
        List<Waiting> complete = new ArrayList<>();
        try {
            while (!closed) {
                try {
                    round(complete);
                } catch (ClosedSelectorException e) {
                    break;
                } catch (IOException | RuntimeException e) {
                    if (closed) {
                        break;
                    }
                    // e.g. out of file descriptors at accept: keep serving, without spinning
                    log.error("FastAGI accept or read failed; carrying on", e);
                    complete.clear();
                    pause();
                }
            }
        } finally {
            for (Waiting w : new ArrayList<>(waiting)) {
                drop(w);
            }
        }
    }

    private void round(List<Waiting> complete) throws IOException {
        long wait = waiting.isEmpty() ? 0
                : Math.max(1, TimeUnit.NANOSECONDS.toMillis(waiting.iterator().next().deadline - System.nanoTime()) + 1);
        selector.select(wait);
        if (closed) {
            return;
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            if (!key.isValid()) {
                continue;
            }
            if (key.isAcceptable()) {
                acceptWaiting(complete);
            } else if (key.isReadable()) {
                tryComplete((Waiting) key.attachment(), complete);
            }
        }
        expire();
        if (!complete.isEmpty()) {
            selector.selectNow(); // deregisters the cancelled keys before the channels turn blocking
            for (Waiting w : complete) {
                handOver(w);
            }
            complete.clear();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads what has arrived on a waiting connection; once its block is complete it leaves the waiting set
     * for {@code complete}. True if so.
     */
    private boolean tryComplete(Waiting w, List<Waiting> complete) {
        try {
            if (read(w)) {
                w.key.cancel();
                waiting.remove(w);
                stats.waiting(waiting.size());
                complete.add(w);
                return true;
            }
        } catch (RuntimeException e) {
            // one connection's trouble must not stop the listener
            log.warn("FastAGI connection from {} dropped: {}", w.peer.getAddress().getHostAddress(), e.toString());
            drop(w);
        }
        return false;
    }

    /**
     * Takes every connection waiting in the backlog, up to a bound per round so reads keep up, and reads
     * each at once (Asterisk's block is usually there already). When too many wait, the oldest is read a
     * last time and closed if its block is still not complete.
     */
    private void acceptWaiting(List<Waiting> complete) throws IOException {
        for (int i = 0; i < 256; i++) {
            SocketChannel ch = server.accept();
            if (ch == null) {
                return;
            }
            InetSocketAddress peer;
            try {
                peer = (InetSocketAddress) ch.getRemoteAddress();
            } catch (IOException gone) {
                quietly(ch);
                continue;
            }
            if (!peers.contains(peer.getAddress())) {
                refuse(ch, CallStats.Refusal.PEER, peer, "not in hotline.agi.allowed-peers (" + peers + ")");
                continue;
            }
            while (waiting.size() >= maxWaiting) {
                Waiting oldest = waiting.iterator().next();
                if (!tryComplete(oldest, complete) && waiting.contains(oldest)) {
                    refuseWaiting(oldest, CallStats.Refusal.OVERFLOW, "closed to make room: " + maxWaiting
                            + " connections were waiting for their environment block"
                            + " (hotline.agi.max-waiting-connections)");
                }
            }
            Waiting w = new Waiting(ch, peer);
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                w.key = ch.register(selector, SelectionKey.OP_READ, w);
            } catch (IOException e) {
                quietly(ch);
                continue;
            }
            waiting.add(w);
            stats.waiting(waiting.size());
            tryComplete(w, complete);
        }
    }

    /** Reads what has arrived; true when the block is complete. Closes the connection on any limit. */
    private boolean read(Waiting w) {
        int n;
        try {
            readBuffer.clear();
            readBuffer.limit(Math.min(readBuffer.capacity(), limits.maxBytes() - w.length + 1));
            n = w.channel.read(readBuffer);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            refuseWaiting(w, CallStats.Refusal.CLOSED_EARLY, null);
            return false;
        }
        if (w.length + n > w.bytes.length) {
            w.bytes = Arrays.copyOf(w.bytes, Math.max(w.length + n, Math.min(w.bytes.length * 2, limits.maxBytes() + 1)));
        }
        readBuffer.flip();
        readBuffer.get(w.bytes, w.length, n);
        w.length += n;
        for (int i = w.scanned; i < w.length; i++) {
            if (w.bytes[i] != '\n') {
                continue;
            }
            int len = i - w.lineStart;
            if (len > 0 && w.bytes[i - 1] == '\r') {
                len--;
            }
            if (len == 0) {
                w.scanned = i + 1;
                return true;
            }
            if (len > limits.maxLineLength()) {
                refuseWaiting(w, CallStats.Refusal.HEADER_TOO_LONG, "a line of " + len + " bytes (hotline.agi.header"
                        + ".max-line-length " + limits.maxLineLength() + "): " + quote(w, w.lineStart));
                return false;
            }
            if (!startsWithAgi(w, w.lineStart, len)) {
                refuseWaiting(w, CallStats.Refusal.NOT_AGI, "not an AGI environment line: " + quote(w, w.lineStart));
                return false;
            }
            if (++w.lines > limits.maxLines()) {
                refuseWaiting(w, CallStats.Refusal.HEADER_TOO_LONG, "more than " + limits.maxLines()
                        + " lines (hotline.agi.header.max-lines)");
                return false;
            }
            w.lineStart = i + 1;
        }
        w.scanned = w.length;
        if (w.length - w.lineStart > limits.maxLineLength()) {
            refuseWaiting(w, CallStats.Refusal.HEADER_TOO_LONG, "a line longer than " + limits.maxLineLength()
                    + " bytes (hotline.agi.header.max-line-length): " + quote(w, w.lineStart));
            return false;
        }
        if (w.length > limits.maxBytes()) {
            refuseWaiting(w, CallStats.Refusal.HEADER_TOO_LONG, "more than " + limits.maxBytes()
                    + " bytes (hotline.agi.header.max-bytes)");
            return false;
        }
        // a partial first line may already show it is not AGI (a port scanner, an HTTP request)
        if (w.lines == 0 && w.length - w.lineStart >= 4 && !startsWithAgi(w, w.lineStart, 4)) {
            refuseWaiting(w, CallStats.Refusal.NOT_AGI, "not an AGI environment line: " + quote(w, w.lineStart));
            return false;
        }
        return false;
    }

    private static boolean startsWithAgi(Waiting w, int from, int len) {
        return len >= 4 && w.bytes[from] == 'a' && w.bytes[from + 1] == 'g' && w.bytes[from + 2] == 'i'
                && w.bytes[from + 3] == '_';
    }

    /** Closes every connection whose block is late (the set is in accept order: stops at the first in time). */
    private void expire() {
        long now = System.nanoTime();
        Iterator<Waiting> it = waiting.iterator();
        List<Waiting> late = new ArrayList<>();
        while (it.hasNext()) {
            Waiting w = it.next();
            if (w.deadline - now > 0) {
                break;
            }
            late.add(w);
        }
        for (Waiting w : late) {
            refuseWaiting(w, CallStats.Refusal.HEADER_TIMEOUT, "no complete environment block within "
                    + limits.timeout() + " (hotline.agi.header.timeout; " + w.lines + " lines, " + w.length + " bytes)");
        }
    }

    private void handOver(Waiting w) {
        waiting.remove(w);
        stats.waiting(waiting.size());
        try {
            SocketChannel ch = w.channel;
            ch.configureBlocking(true);
            ch.socket().setSoTimeout(readTimeoutMs);
            // the block and anything Asterisk sent after it, for the library to read again
            byte[] header = Arrays.copyOf(w.bytes, w.length);
            AgiConnection c = new AgiConnection(ch.socket(), header, limits.maxLineLength(),
                    () -> open.remove(w.peer));
            open.put(w.peer, c);
            if (closed) {
                c.close();
                return;
            }
            ready.offer(java.util.Optional.of(c));
        } catch (IOException | RuntimeException e) {
            open.remove(w.peer);
            quietly(w.channel);
        }
    }

    private void refuseWaiting(Waiting w, CallStats.Refusal reason, String why) {
        waiting.remove(w);
        stats.waiting(waiting.size());
        if (w.key != null) {
            w.key.cancel();
        }
        refuse(w.channel, reason, w.peer, why);
    }

    private void drop(Waiting w) {
        waiting.remove(w);
        stats.waiting(waiting.size());
        quietly(w.channel);
    }

    private void refuse(SocketChannel ch, CallStats.Refusal reason, InetSocketAddress peer, String why) {
        stats.refused(reason);
        quietly(ch);
        if (why != null) {
            logLimited(reason, peer, why);
        }
    }

    /** At most one line per reason per minute, naming how many were refused since the last one. */
    private void logLimited(CallStats.Refusal reason, InetSocketAddress peer, String why) {
        long now = System.nanoTime();
        long[] last = lastLogged.computeIfAbsent(reason, r -> new long[] {now - LOG_EVERY_NANOS, 0});
        if (now - last[0] < LOG_EVERY_NANOS) {
            last[1]++;
            return;
        }
        long others = last[1];
        last[0] = now;
        last[1] = 0;
        log.warn("FastAGI connection from {} refused ({}): {}{}", peer.getAddress().getHostAddress(),
                reason.tag(), why, others == 0 ? "" : " [" + others + " more refused for this reason in the last minute]");
    }

    /** The start of a line, printable characters only, cut to {@link #LOGGED_CHARS}. */
    private static String quote(Waiting w, int from) {
        int to = Math.min(w.length, from + LOGGED_CHARS);
        StringBuilder b = new StringBuilder("'");
        for (int i = from; i < to && w.bytes[i] != '\n'; i++) {
            int c = w.bytes[i] & 0xff;
            b.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
        }
        b.append('\'');
        if (w.length - from > LOGGED_CHARS) {
            b.append("...");
        }
        return b.toString();
    }

    private static void quietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // gone already
        }
    }
}
