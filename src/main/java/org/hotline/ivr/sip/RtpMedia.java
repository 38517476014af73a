package org.hotline.ivr.sip;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RTP side of every call on one endpoint: two threads in all, however many calls. A media clock
 * ticks every 20 ms and sends one frame per stream; a selector reads every stream's socket.
 */
final class RtpMedia implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RtpMedia.class);
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final InetAddress bindAddress;
    private final int portMin;
    private final int portMax;
    private final long timeoutNanos;
    private final AtomicInteger nextPort;
    private final Set<RtpStream> streams = ConcurrentHashMap.newKeySet();
    private final Queue<RtpStream> toRegister = new ConcurrentLinkedQueue<>();
    private final Selector selector;
    private final ScheduledExecutorService clock;
    private final Thread reader;
    private final AtomicLong lateTicks = new AtomicLong();
    private volatile boolean running = true;
    private long expectedTick;

    RtpMedia(InetAddress bindAddress, int portMin, int portMax, Duration silenceTimeout, String name) throws IOException {
        this.bindAddress = bindAddress;
        this.portMin = portMin + (portMin & 1);
        this.portMax = portMax;
        this.timeoutNanos = silenceTimeout.toNanos();
        this.nextPort = new AtomicInteger(this.portMin + 2 * (int) (Math.random() * ((portMax - this.portMin) / 2)));
        this.selector = Selector.open();
        this.clock = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-media-clock");
            t.setDaemon(true);
            t.setPriority(Thread.MAX_PRIORITY);
            return t;
        });
        this.reader = new Thread(this::readLoop, name + "-media-reader");
        reader.setDaemon(true);
        reader.start();
        expectedTick = System.nanoTime();
        clock.scheduleAtFixedRate(this::tick, 20, 20, TimeUnit.MILLISECONDS);
    }

    /** A new stream on a free even port of the range. */
    RtpStream open(RtpStream.Events events) throws IOException {
        int span = (portMax - portMin) / 2 + 1;
        for (int attempt = 0; attempt < span; attempt++) {
            int port = portMin + 2 * Math.floorMod(nextPort.getAndAdd(2) - portMin >> 1, span);
            DatagramChannel ch = DatagramChannel.open();
            try {
                ch.bind(new InetSocketAddress(bindAddress, port));
                ch.configureBlocking(false);
            } catch (BindException e) {
                ch.close();
                continue;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            RtpStream s = new RtpStream(ch, port, events, System.nanoTime());
            streams.add(s);
            toRegister.add(s);
            selector.wakeup();
            return s;
        }
        throw new IOException("no free RTP port in " + portMin + ".." + portMax);
    }

    void close(RtpStream s) {
        if (streams.remove(s)) {
            s.close(); // closing the channel also drops it from the selector
        }
    }

    /** Ticks that started more than one frame late (a loaded machine): a health figure for the benchmark. */
    long lateTicks() {
        return lateTicks.get();
    }

    private void tick() {
        long now = System.nanoTime();
        expectedTick += TICK_NANOS;
        if (now - expectedTick > TICK_NANOS) {
            lateTicks.incrementAndGet();
            if (now - expectedTick > 50 * TICK_NANOS) {
                expectedTick = now; // a long stall (suspend, GC): start counting afresh
            }
        }
        for (RtpStream s : streams) {
            try {
                s.tick(now, timeoutNanos);
            } catch (RuntimeException e) {
                log.warn("RTP tick failed for port {}", s.localPort(), e);
            }
        }
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocateDirect(2048);
        while (running) {
            try {
                RtpStream s;
                while ((s = toRegister.poll()) != null) {
                    if (s.channel().isOpen()) {
                        s.channel().register(selector, SelectionKey.OP_READ, s);
                    }
                }
                selector.select(500);
                for (SelectionKey key : selector.selectedKeys()) {
                    RtpStream stream = (RtpStream) key.attachment();
                    if (!key.isValid()) {
                        continue;
                    }
                    for (int i = 0; i < 32; i++) { // drain, but let other streams have a turn
                        buf.clear();
                        SocketAddress from;
                        try {
                            from = stream.channel().receive(buf);
                        } catch (IOException e) {
                            break; // ICMP port unreachable reported on a later receive, or closed
                        }
                        if (from == null) {
                            break;
                        }
                        buf.flip();
                        stream.received(buf, System.nanoTime());
                    }
                }
                selector.selectedKeys().clear();
            } catch (IOException | RuntimeException e) {
                if (running) {
                    log.warn("RTP reader: {}", e.toString());
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        clock.shutdownNow();
        selector.wakeup();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (RtpStream s : streams) {
            s.close();
        }
        streams.clear();
        try {
            selector.close();
        } catch (IOException e) {
            // shutting down
        }
    }
}
