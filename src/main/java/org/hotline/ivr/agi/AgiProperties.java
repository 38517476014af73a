package org.hotline.ivr.agi;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;

import org.hotline.ivr.PeerAddresses;

/**
 * The FastAGI listener ({@code hotline.agi.*}).
 *
 * @param enabled           open the FastAGI port at all
 * @param bindAddress       address to listen on. Unset: 127.0.0.1; set but empty (the production profile
 *                          without {@code HOTLINE_AGI_BIND_ADDRESS}): start-up fails, so a production node never
 *                          listens on every address by accident
 * @param port              TCP port ({@code agi://host:port/script}); 0 picks a free one (tests)
 * @param script            the script name in the dialplan's AGI URL
 * @param soundPrefix       prepended to a prompt id to name the Asterisk sound file
 *                          (no extension; Asterisk picks the format)
 * @param maxCalls          calls served at once; each call holds one thread for its whole length
 * @param socketReadTimeout a call whose Asterisk says nothing for this long is treated as hung up
 *                          (must exceed the longest single command: a prompt plus a key timeout)
 * @param drainTimeout      on shutdown, how long running calls may finish before they are cut
 * @param allowedPeers      addresses or CIDR blocks of the Asterisk servers; a connection from anywhere else
 *                          is closed at accept. Unset: loopback only; set but empty: start-up fails
 * @param header            limits on the environment block Asterisk sends before a call starts
 * @param maxWaitingConnections connections accepted whose environment block is not complete yet; when one more
 *                          arrives the longest-waiting one is closed (a real Asterisk sends its block at once)
 */
@ConfigurationProperties("hotline.agi")
public record AgiProperties(Boolean enabled, String bindAddress, Integer port, String script, String soundPrefix,
        Integer maxCalls, Duration socketReadTimeout, Duration drainTimeout, List<String> allowedPeers,
        Header header, Integer maxWaitingConnections) {

    /**
     * What Asterisk's res_agi.c sends first: {@code agi_network: yes}, {@code agi_network_script}, then
     * {@code setup_env()}'s 20 {@code agi_*} lines and one {@code agi_arg_N} per AGI() argument, then an
     * empty line. Every limit leaves a wide margin over what a real Asterisk can send:
     * <ul>
     * <li>{@code maxLineLength} 16 KiB: the only long values are {@code agi_request} and the
     * {@code agi_arg_N}, and both come from the AGI() application data, which pbx.c substitutes into
     * a buffer of {@code EXT_DATA_SIZE} = 8192 bytes; channel names, unique ids and caller ids are far
     * shorter. Twice 8 KiB.
     * <li>{@code maxLines} 256: 22 fixed lines plus at most {@code MAX_ARGS - 1} = 127 arguments (res_agi.c).
     * <li>{@code maxBytes} 64 KiB: the arguments share those 8 KiB of application data and agi_request
     * repeats it once, so a real block stays under ~20 KiB.
     * <li>{@code timeout} 5 s: Asterisk writes the block right after its connect succeeds (it waits at
     * most {@code MAX_AGI_CONNECT} = 2 s to connect); a real block takes milliseconds.
     * </ul>
     * Lines of a running call (Asterisk's replies) are held to {@code maxLineLength} too.
     *
     * @param timeout       time from accept to the empty line ending the block
     * @param maxLineLength bytes in one line, without its newline
     * @param maxLines      lines in the block
     * @param maxBytes      bytes in the whole block
     */
    public record Header(Duration timeout, Integer maxLineLength, Integer maxLines, Integer maxBytes) {

        public Header {
            timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
            maxLineLength = maxLineLength == null ? 16 * 1024 : maxLineLength;
            maxLines = maxLines == null ? 256 : maxLines;
            maxBytes = maxBytes == null ? 64 * 1024 : maxBytes;
            if (timeout.isNegative() || timeout.isZero() || maxLineLength < 256 || maxLines < 8
                    || maxBytes < maxLineLength) {
                throw new IllegalStateException("hotline.agi.header: timeout must be positive, max-line-length at "
                        + "least 256, max-lines at least 8, max-bytes at least max-line-length");
            }
        }
    }

    @ConstructorBinding
    public AgiProperties {
        enabled = enabled == null || enabled;
        if (bindAddress != null && bindAddress.isBlank() && enabled) {
            throw new IllegalStateException("hotline.agi.bind-address is empty: set HOTLINE_AGI_BIND_ADDRESS to the "
                    + "address Asterisk reaches this node on (FastAGI never listens on every address by default)");
        }
        bindAddress = bindAddress == null || bindAddress.isBlank() ? "127.0.0.1" : bindAddress.trim();
        if (allowedPeers != null && allowedPeers.stream().allMatch(p -> p == null || p.isBlank()) && enabled) {
            throw new IllegalStateException("hotline.agi.allowed-peers is empty: set HOTLINE_AGI_ALLOWED_PEERS to the "
                    + "addresses (or CIDR blocks) of the Asterisk servers, comma-separated");
        }
        allowedPeers = allowedPeers == null ? PeerAddresses.LOOPBACK : List.copyOf(allowedPeers);
        PeerAddresses.parse(allowedPeers, "hotline.agi.allowed-peers"); // fails early on a wrong entry
        port = port == null ? 4573 : port;
        script = script == null || script.isBlank() ? "hotline" : script;
        soundPrefix = soundPrefix == null ? "hotline/zh-CN/" : soundPrefix;
        maxCalls = maxCalls == null ? 1200 : maxCalls;
        socketReadTimeout = socketReadTimeout == null ? Duration.ofMinutes(10) : socketReadTimeout;
        drainTimeout = drainTimeout == null ? Duration.ofSeconds(20) : drainTimeout;
        header = header == null ? new Header(null, null, null, null) : header;
        maxWaitingConnections = maxWaitingConnections == null ? 256 : maxWaitingConnections;
        if (port < 0 || port > 65535) {
            throw new IllegalStateException("hotline.agi.port must be 0..65535, not " + port);
        }
        if (maxCalls < 1) {
            throw new IllegalStateException("hotline.agi.max-calls must be at least 1");
        }
        if (maxWaitingConnections < 1) {
            throw new IllegalStateException("hotline.agi.max-waiting-connections must be at least 1");
        }
    }

    /** The allowed peers, parsed. */
    public PeerAddresses peers() {
        return PeerAddresses.parse(allowedPeers, "hotline.agi.allowed-peers");
    }
}
