package org.hotline.ivr.agi;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.asteriskjava.util.SocketConnectionFacade;

/**
 * One FastAGI socket from Asterisk. Asterisk writes {@code HANGUP} on its own when the caller hangs up
 * between commands; asterisk-java's reader skips that line, so this connection remembers it and lets
 * the call find out before it sends another command. The environment block was already read (and
 * checked) by {@link AgiConnections} before the call got a thread; it is handed out again here first.
 * No line may be longer than the configured limit: a longer one ends the call as a hang-up would.
 */
final class AgiConnection implements SocketConnectionFacade {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Runnable onClose;
    private final int maxLine;
    private volatile boolean hangupNoticed;

    /**
     * @param header  bytes already read from the socket (the environment block and anything after it)
     * @param maxLine longest line accepted, in bytes without the newline
     */
    AgiConnection(Socket socket, byte[] header, int maxLine, Runnable onClose) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(new Prefixed(header, socket.getInputStream()), 4096);
        this.out = socket.getOutputStream();
        this.onClose = onClose;
        this.maxLine = maxLine;
    }

    /** Asterisk ends every line with a bare LF; a CR before it is dropped. */
    @Override
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (line.size() > maxLine) {
                throw new IOException("a line from Asterisk longer than " + maxLine + " bytes");
            }
            line.write(b);
        }
        if (b == -1 && line.size() == 0) {
            return null;
        }
        String s = line.toString(StandardCharsets.UTF_8);
        if (s.endsWith("\r")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.startsWith("HANGUP")) {
            hangupNoticed = true;
        }
        return s;
    }

    /**
     * True once Asterisk has said HANGUP. Between commands nothing else may arrive, so any waiting
     * line is read here (never blocks when nothing is waiting).
     */
    boolean hangupNoticed() {
        try {
            while (!hangupNoticed && in.available() > 0) {
                if (readLine() == null) {
                    hangupNoticed = true;
                }
            }
        } catch (IOException e) {
            hangupNoticed = true;
        }
        return hangupNoticed;
    }

    @Override
    public void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        try {
            socket.close();
        } finally {
            onClose.run();
        }
    }

    @Override
    public boolean isConnected() {
        return socket.isConnected() && !socket.isClosed();
    }

    @Override
    public InetAddress getLocalAddress() {
        return socket.getLocalAddress();
    }

    @Override
    public int getLocalPort() {
        return socket.getLocalPort();
    }

    @Override
    public InetAddress getRemoteAddress() {
        return socket.getInetAddress();
    }

    @Override
    public int getRemotePort() {
        return socket.getPort();
    }

    /** The bytes read before, then the socket; unlike SequenceInputStream, available() sees the socket too. */
    private static final class Prefixed extends InputStream {
        private final byte[] prefix;
        private int pos;
        private final InputStream rest;

        Prefixed(byte[] prefix, InputStream rest) {
            this.prefix = prefix;
            this.rest = rest;
        }

        @Override
        public int read() throws IOException {
            return pos < prefix.length ? prefix[pos++] & 0xff : rest.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos < prefix.length) {
                int n = Math.min(len, prefix.length - pos);
                System.arraycopy(prefix, pos, b, off, n);
                pos += n;
                return n;
            }
            return rest.read(b, off, len);
        }

        @Override
        public int available() throws IOException {
            return pos < prefix.length ? prefix.length - pos : rest.available();
        }
    }
}
