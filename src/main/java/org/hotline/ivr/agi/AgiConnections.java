package org.hotline.ivr.agi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.asteriskjava.util.ServerSocketFacade;
import org.asteriskjava.util.SocketConnectionFacade;

/**
 * The listening socket and every open call socket, so that a call can be found by its peer address
 * (to see a HANGUP notice) and so that shutdown can cut calls that will not finish.
 */
final class AgiConnections implements ServerSocketFacade {

    private final ServerSocket server;
    private final Map<InetSocketAddress, AgiConnection> open = new ConcurrentHashMap<>();
    private volatile int readTimeoutMs;

    AgiConnections(InetAddress bind, int port, int backlog, int readTimeoutMs) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(false);
        server.bind(new InetSocketAddress(bind, port), backlog);
        this.readTimeoutMs = readTimeoutMs;
    }

    int localPort() {
        return server.getLocalPort();
    }

    @Override
    public SocketConnectionFacade accept() throws IOException {
        Socket s = server.accept();
        s.setSoTimeout(readTimeoutMs);
        s.setTcpNoDelay(true);
        InetSocketAddress peer = new InetSocketAddress(s.getInetAddress(), s.getPort());
        AgiConnection c = new AgiConnection(s, () -> open.remove(peer));
        open.put(peer, c);
        return c;
    }

    AgiConnection find(InetAddress peer, int peerPort) {
        return peer == null ? null : open.get(new InetSocketAddress(peer, peerPort));
    }

    int openCount() {
        return open.size();
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
        server.close();
    }

    @Override
    public void setSocketReadTimeout(int socketReadTimeout) {
        this.readTimeoutMs = socketReadTimeout;
    }
}
