package org.hotline.ivr.agi;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.asteriskjava.fastagi.DefaultAgiServer;
import org.asteriskjava.fastagi.MappingStrategy;
import org.asteriskjava.util.ServerSocketFacade;

/**
 * asterisk-java's FastAGI server with what it lacks for us: it binds on its own thread and only logs a
 * busy port, so the bind result goes to a future the listener waits for; its pool stops at 500
 * calls, so ours is sized by {@code hotline.agi.max-calls}; its sockets are ours, so shutdown can
 * find and cut calls that do not finish, and a connection reaches a call thread only once its
 * environment block is complete ({@link AgiConnections}).
 */
final class HotlineAgiServer extends DefaultAgiServer {

    /** Room for a burst of calls arriving while threads start. */
    private static final int BACKLOG = 1024;

    final CompletableFuture<AgiConnections> bound = new CompletableFuture<>();
    private final InetAddress bindAddress;
    private final int bindPort;
    private final int readTimeoutMs;
    private final int maxCalls;
    private final AgiProperties props;
    private final CallStats stats;
    private volatile ThreadPoolExecutor pool;

    HotlineAgiServer(MappingStrategy mapping, InetAddress bindAddress, AgiProperties props, CallStats stats) {
        super(mapping);
        int port = props.port();
        this.bindAddress = bindAddress;
        this.bindPort = port;
        this.readTimeoutMs = (int) Math.min(Integer.MAX_VALUE, props.socketReadTimeout().toMillis());
        this.maxCalls = props.maxCalls();
        this.props = props;
        this.stats = stats;
        setPort(port); // only for the library's own log lines; binding is ours
        setAddress(bindAddress);
        setPoolSize(Math.min(16, maxCalls));
        setMaximumPoolSize(maxCalls);
    }

    @Override
    protected ServerSocketFacade createServerSocket() throws IOException {
        try {
            AgiConnections c = new AgiConnections(bindAddress, bindPort, BACKLOG, readTimeoutMs, props.peers(),
                    props.header(), props.maxWaitingConnections(), stats);
            stats.openCalls(c::openCount);
            bound.complete(c);
            return c;
        } catch (IOException | RuntimeException e) {
            bound.completeExceptionally(e);
            throw e;
        }
    }

    @Override
    protected ThreadPoolExecutor createPool() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor p = new ThreadPoolExecutor(Math.min(16, maxCalls), maxCalls, 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "agi-call-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool = p;
        return p;
    }

    @Override
    protected void execute(Runnable command) throws RejectedExecutionException {
        try {
            super.execute(command);
        } catch (RejectedExecutionException e) {
            stats.rejected();
            throw e;
        }
    }

    /** Null until the first call arrives (asterisk-java makes the pool lazily). */
    ThreadPoolExecutor pool() {
        return pool;
    }
}
