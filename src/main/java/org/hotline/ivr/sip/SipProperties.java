package org.hotline.ivr.sip;

import org.hotline.ivr.PeerAddresses;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;

/**
 * Settings of the direct SIP adapter ({@code hotline.sip.*}, documented in docs/configuration.md).
 *
 * @param enabled           answer SIP calls at all
 * @param bindAddress       the local address the endpoint listens on (UDP and TCP) and sends RTP from
 * @param advertisedAddress the address put in Contact and SDP (a NAT's public address); blank = bindAddress
 * @param port              SIP port for UDP and TCP; 0 picks a free one (tests)
 * @param transports        which of {@code udp}, {@code tcp} to listen on
 * @param maxCalls          calls handled at once; the next INVITE gets {@code busyStatus}
 * @param busyStatus        486 (Busy Here) or 503 (Service Unavailable, with Retry-After)
 * @param answerDelay       time between 180 Ringing and 200 OK (0 = answer at once)
 * @param rtpPortMin        lowest RTP port (even); RTP ports are taken from [min, max]
 * @param rtpPortMax        highest RTP port
 * @param rtpTimeout        no RTP from the caller for this long (and not on hold) ends the call
 * @param agentUri          where a transfer to a person is REFERred to, e.g. sip:agents@pbx.example:5060
 * @param transferTimeout   how long to wait for the REFER's outcome before hanging up anyway
 * @param acceptedUsers     Request-URI users answered (the hotline's numbers); empty = any
 * @param trustedPeers      peers (addresses or CIDR blocks) whose P-Asserted-Identity / From count as a verified
 *                          calling number; from anyone else the number is unverified (docs/security.md). Default:
 *                          loopback only
 * @param outboundUri       where calls the gateway places itself go without Asterisk, e.g.
 *                          {@code sip:{number}@carrier.example:5060} ({@code {number}}: the digits dialled); blank
 *                          (the default): the outbound module dials over Asterisk's AMI
 */
@ConfigurationProperties("hotline.sip")
public record SipProperties(Boolean enabled, String bindAddress, String advertisedAddress, Integer port,
        List<String> transports, Integer maxCalls, Integer busyStatus, Duration answerDelay, Integer rtpPortMin,
        Integer rtpPortMax, Duration rtpTimeout, String agentUri, Duration transferTimeout,
        List<String> acceptedUsers, List<String> trustedPeers, String outboundUri) {

    /** Without an outbound URI. */
    public SipProperties(Boolean enabled, String bindAddress, String advertisedAddress, Integer port,
            List<String> transports, Integer maxCalls, Integer busyStatus, Duration answerDelay, Integer rtpPortMin,
            Integer rtpPortMax, Duration rtpTimeout, String agentUri, Duration transferTimeout,
            List<String> acceptedUsers, List<String> trustedPeers) {
        this(enabled, bindAddress, advertisedAddress, port, transports, maxCalls, busyStatus, answerDelay, rtpPortMin,
                rtpPortMax, rtpTimeout, agentUri, transferTimeout, acceptedUsers, trustedPeers, null);
    }

    /** Without trusted peers: loopback only. */
    public SipProperties(Boolean enabled, String bindAddress, String advertisedAddress, Integer port,
            List<String> transports, Integer maxCalls, Integer busyStatus, Duration answerDelay, Integer rtpPortMin,
            Integer rtpPortMax, Duration rtpTimeout, String agentUri, Duration transferTimeout,
            List<String> acceptedUsers) {
        this(enabled, bindAddress, advertisedAddress, port, transports, maxCalls, busyStatus, answerDelay, rtpPortMin,
                rtpPortMax, rtpTimeout, agentUri, transferTimeout, acceptedUsers, null);
    }

    @ConstructorBinding
    public SipProperties {
        enabled = enabled == null || enabled;
        bindAddress = blank(bindAddress) ? "127.0.0.1" : bindAddress.trim();
        advertisedAddress = blank(advertisedAddress) ? bindAddress : advertisedAddress.trim();
        port = port == null ? 5060 : port;
        transports = transports == null || transports.isEmpty() ? List.of("udp", "tcp")
                : transports.stream().map(t -> t.trim().toLowerCase()).toList();
        maxCalls = maxCalls == null ? 200 : maxCalls;
        busyStatus = busyStatus == null ? 486 : busyStatus;
        answerDelay = answerDelay == null ? Duration.ofMillis(300) : answerDelay;
        rtpPortMin = rtpPortMin == null ? 20000 : rtpPortMin;
        rtpPortMax = rtpPortMax == null ? 29999 : rtpPortMax;
        rtpTimeout = rtpTimeout == null ? Duration.ofSeconds(60) : rtpTimeout;
        agentUri = blank(agentUri) ? "sip:agents@127.0.0.1:5080" : agentUri.trim();
        transferTimeout = transferTimeout == null ? Duration.ofSeconds(10) : transferTimeout;
        acceptedUsers = acceptedUsers == null ? List.of() : List.copyOf(acceptedUsers);
        outboundUri = blank(outboundUri) ? "" : outboundUri.trim();
        if (!outboundUri.isEmpty() && !outboundUri.startsWith("sip:")) {
            throw new IllegalArgumentException("hotline.sip.outbound-uri: a sip: URI, not " + outboundUri);
        }
        trustedPeers = trustedPeers == null ? PeerAddresses.LOOPBACK : List.copyOf(trustedPeers);
        PeerAddresses.parse(trustedPeers, "hotline.sip.trusted-peers"); // fails at start-up with the setting's name on a bad entry
        if (busyStatus != 486 && busyStatus != 503) {
            throw new IllegalArgumentException("hotline.sip.busy-status must be 486 or 503, not " + busyStatus);
        }
        for (String t : transports) {
            if (!t.equals("udp") && !t.equals("tcp")) {
                throw new IllegalArgumentException("hotline.sip.transports: udp and/or tcp, not " + t);
            }
        }
        if (rtpPortMin < 1024 || rtpPortMax > 65534 || rtpPortMin >= rtpPortMax) {
            throw new IllegalArgumentException("hotline.sip.rtp-port-min/max: a range within 1024..65534");
        }
        if (maxCalls < 1) {
            throw new IllegalArgumentException("hotline.sip.max-calls must be at least 1");
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
