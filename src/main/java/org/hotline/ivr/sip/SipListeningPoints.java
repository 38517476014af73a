package org.hotline.ivr.sip;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sip.ListeningPoint;
import javax.sip.SipFactory;
import javax.sip.SipListener;
import javax.sip.SipProvider;
import javax.sip.SipStack;
import javax.sip.address.AddressFactory;
import javax.sip.header.HeaderFactory;
import javax.sip.message.MessageFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JAIN-SIP stack the endpoint hosts: the port it chose, one listening point per transport on it,
 * the provider, and the message, header and address factories.
 */
final class SipListeningPoints {

    private static final Logger log = LoggerFactory.getLogger(SipListeningPoints.class);
    private static final AtomicInteger STACKS = new AtomicInteger();

    private final SipProperties props;
    private SipStack stack;
    private SipProvider provider;
    private MessageFactory messages;
    private HeaderFactory headers;
    private AddressFactory addresses;
    private InetAddress bind;
    private String name;
    private volatile int port;

    SipListeningPoints(SipProperties props) {
        this.props = props;
    }

    /**
     * Chooses the port (a free one for {@code hotline.sip.port=0}) and names the stack; a fixed port is
     * checked before jain-sip is touched.
     */
    void choosePort() throws IOException {
        bind = InetAddress.getByName(props.bindAddress());
        port = props.port() == 0 ? freePort(bind) : props.port();
        name = "hotline-sip-" + STACKS.incrementAndGet();
        if (props.port() != 0) {
            ensureFree(bind, port, props.transports());
        }
    }

    /** Starts the stack, binds every transport and hands what arrives to {@code listener}. */
    void open(SipListener listener) throws Exception {
        Properties p = new Properties();
        p.setProperty("javax.sip.STACK_NAME", name);
        p.setProperty("javax.sip.AUTOMATIC_DIALOG_SUPPORT", "on");
        p.setProperty("gov.nist.javax.sip.STACK_LOGGER", JainSipStackLog.class.getName());
        p.setProperty("gov.nist.javax.sip.SERVER_LOGGER", JainSipMessageLog.class.getName());
        p.setProperty("gov.nist.javax.sip.TRACE_LEVEL",
                LoggerFactory.getLogger(JainSipMessageLog.LOGGER).isTraceEnabled() ? "32" : "0");
        p.setProperty("gov.nist.javax.sip.REENTRANT_LISTENER", "true");
        p.setProperty("gov.nist.javax.sip.THREAD_POOL_SIZE", "4");
        p.setProperty("gov.nist.javax.sip.DELIVER_UNSOLICITED_NOTIFY", "true");
        p.setProperty("gov.nist.javax.sip.MAX_MESSAGE_SIZE", "65536");
        p.setProperty("gov.nist.javax.sip.READ_TIMEOUT", "5000");
        p.setProperty("gov.nist.javax.sip.CACHE_CLIENT_CONNECTIONS", "true");
        p.setProperty("gov.nist.javax.sip.AUTOMATIC_DIALOG_ERROR_HANDLING", "false");
        SipFactory factory = SipFactory.getInstance();
        factory.setPathName("gov.nist");
        stack = factory.createSipStack(p);
        stack.start(); // started first, so that a failure below can stop it (its event scanner is no daemon)
        messages = factory.createMessageFactory();
        headers = factory.createHeaderFactory();
        addresses = factory.createAddressFactory();
        List<ListeningPoint> points = new ArrayList<>();
        for (String transport : props.transports()) {
            points.add(stack.createListeningPoint(props.bindAddress(), port, transport));
        }
        provider = stack.createSipProvider(points.get(0));
        for (int i = 1; i < points.size(); i++) {
            provider.addListeningPoint(points.get(i));
        }
        provider.addSipListener(listener);
    }

    /** Lets go of the listening points and stops the stack (quietly: it is going anyway). */
    void close(SipListener listener) {
        if (stack != null) {
            try {
                if (provider != null) {
                    provider.removeSipListener(listener);
                    for (ListeningPoint lp : provider.getListeningPoints()) {
                        try {
                            provider.removeListeningPoint(lp);
                        } catch (Exception e) {
                            // stopping anyway
                        }
                    }
                    stack.deleteSipProvider(provider);
                }
            } catch (Exception e) {
                log.debug("SIP provider cleanup: {}", e.toString());
            }
            stack.stop();
        }
    }

    /**
     * Where the stack listens now, by transport; empty when not {@code running}, or when the stack's own
     * threads have ended although we did not close it.
     */
    Map<String, String> listening(boolean running) {
        SipStack s = stack;
        SipProvider p = provider;
        Map<String, String> out = new java.util.TreeMap<>();
        if (!running || s == null || p == null
                || (s instanceof gov.nist.javax.sip.stack.SIPTransactionStack ts && !ts.isAlive())) {
            return out;
        }
        for (ListeningPoint lp : p.getListeningPoints()) {
            out.put(lp.getTransport().toLowerCase(Locale.ROOT), lp.getIPAddress() + ":" + lp.getPort());
        }
        return out;
    }

    int port() {
        return port;
    }

    /** The address the stack and the RTP ports bind to. */
    InetAddress bindAddress() {
        return bind;
    }

    /** The stack's name ({@code hotline-sip-N}), also the prefix of its threads. */
    String name() {
        return name;
    }

    SipProvider provider() {
        return provider;
    }

    MessageFactory messages() {
        return messages;
    }

    HeaderFactory headers() {
        return headers;
    }

    AddressFactory addresses() {
        return addresses;
    }

    /** How others reach us: the advertised address and our port ({@code [v6]:port} for IPv6). */
    String hostPort() {
        String host = props.advertisedAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Fails with the port's name before jain-sip is touched: a stack that failed to bind leaves its event
     * scanner (not a daemon thread) running, and the JVM would never exit.
     */
    private void ensureFree(InetAddress bind, int port, List<String> transports) {
        try {
            if (transports.contains("udp")) {
                new DatagramSocket(new InetSocketAddress(bind, port)).close();
            }
            if (transports.contains("tcp")) {
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(bind, port));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("SIP user agent cannot listen on " + props.bindAddress() + ":" + port
                    + " (hotline.sip.port, " + String.join("+", transports) + "): " + e.getMessage(), e);
        }
    }

    /** A port free for both UDP and TCP on the address: jain-sip cannot bind port 0 itself. */
    static int freePort(InetAddress bind) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int candidate;
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(bind, 0))) {
                candidate = udp.getLocalPort();
                try (ServerSocket tcp = new ServerSocket()) {
                    tcp.bind(new InetSocketAddress(bind, candidate));
                    return candidate;
                } catch (IOException taken) {
                    // TCP side busy: try another
                }
            }
        }
        throw new IOException("no free SIP port on " + bind);
    }
}
