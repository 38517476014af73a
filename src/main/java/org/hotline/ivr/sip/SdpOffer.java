package org.hotline.ivr.sip;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A caller's SDP offer (RFC 4566), as far as a G.711 voice menu needs it: the media lines, their
 * address, payload types, rtpmap names and direction. {@link #parse} rejects text that is not SDP.
 */
public record SdpOffer(String sessionAddress, List<Media> media) {

    /** Which way media flows, as one side declares it. */
    public enum Direction {
        SENDRECV, SENDONLY, RECVONLY, INACTIVE;

        /** What we answer to an offer with this direction. */
        Direction answer() {
            return switch (this) {
                case SENDONLY -> RECVONLY;
                case RECVONLY -> SENDONLY;
                default -> this;
            };
        }

        String attribute() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One {@code m=} line. {@code rtpmap} maps payload type to lower-case {@code name/rate}. */
    public record Media(String type, int port, String proto, List<String> formats, String address,
            Map<Integer, String> rtpmap, Direction direction) {
    }

    /** What both sides agreed: our codec, the caller's telephone-event type (-1: none) and where to send. */
    public record Choice(G711 codec, int codecPayloadType, int telephoneEvent, String remoteAddress, int remotePort,
            Direction remoteDirection, int mediaIndex) {

        /** The caller has put us on hold (or disabled media): send nothing. */
        public boolean weMustNotSend() {
            return remoteDirection == Direction.SENDONLY || remoteDirection == Direction.INACTIVE
                    || remotePort == 0 || "0.0.0.0".equals(remoteAddress);
        }

        /** The caller says it sends nothing, so silence means nothing. */
        public boolean callerSendsNothing() {
            return remoteDirection == Direction.RECVONLY || remoteDirection == Direction.INACTIVE;
        }
    }

    public static SdpOffer parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty SDP");
        }
        String[] lines = text.split("\r?\n");
        if (!lines[0].trim().equals("v=0")) {
            throw new IllegalArgumentException("SDP must start with v=0");
        }
        String sessionAddress = null;
        Direction sessionDirection = Direction.SENDRECV;
        List<MediaBuilder> media = new ArrayList<>();
        MediaBuilder current = null;
        for (String raw : lines) {
            String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.length() < 2 || line.charAt(1) != '=') {
                throw new IllegalArgumentException("not an SDP line: " + abbreviate(line));
            }
            char kind = line.charAt(0);
            String value = line.substring(2).trim();
            switch (kind) {
                case 'c' -> {
                    String addr = connectionAddress(value);
                    if (current == null) {
                        sessionAddress = addr;
                    } else {
                        current.address = addr;
                    }
                }
                case 'm' -> {
                    String[] f = value.split("\\s+");
                    if (f.length < 4) {
                        throw new IllegalArgumentException("m= line needs media, port, proto and formats");
                    }
                    current = new MediaBuilder();
                    current.type = f[0].toLowerCase(Locale.ROOT);
                    try {
                        current.port = Integer.parseInt(f[1].contains("/") ? f[1].substring(0, f[1].indexOf('/')) : f[1]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad m= port " + abbreviate(f[1]));
                    }
                    if (current.port < 0 || current.port > 65535) {
                        throw new IllegalArgumentException("bad m= port " + current.port);
                    }
                    current.proto = f[2];
                    current.formats = List.of(f).subList(3, f.length);
                    current.direction = sessionDirection;
                    media.add(current);
                }
                case 'a' -> {
                    Direction d = direction(value);
                    if (d != null) {
                        if (current == null) {
                            sessionDirection = d;
                        } else {
                            current.direction = d;
                        }
                    } else if (value.startsWith("rtpmap:") && current != null) {
                        String[] f = value.substring(7).trim().split("\\s+", 2);
                        try {
                            int pt = Integer.parseInt(f[0]);
                            if (f.length == 2) {
                                current.rtpmap.put(pt, f[1].toLowerCase(Locale.ROOT));
                            }
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("bad rtpmap " + abbreviate(value));
                        }
                    }
                }
                default -> {
                    // v, o, s, t, b, i, u, e, p, k, r, z: nothing a voice menu acts on
                }
            }
        }
        if (media.isEmpty()) {
            throw new IllegalArgumentException("SDP has no m= line");
        }
        List<Media> out = new ArrayList<>();
        for (MediaBuilder m : media) {
            String addr = m.address != null ? m.address : sessionAddress;
            if (addr == null) {
                throw new IllegalArgumentException("SDP has no c= line for its " + m.type + " stream");
            }
            out.add(new Media(m.type, m.port, m.proto, m.formats, addr, Map.copyOf(m.rtpmap), m.direction));
        }
        return new SdpOffer(sessionAddress, List.copyOf(out));
    }

    /** The first audio stream we can serve: RTP/AVP with PCMU or PCMA, in the caller's order of preference. */
    public Optional<Choice> negotiate() {
        for (int i = 0; i < media.size(); i++) {
            Media m = media.get(i);
            if (!m.type.equals("audio") || m.port == 0 || !m.proto.equalsIgnoreCase("RTP/AVP")) {
                continue;
            }
            int te = -1;
            for (String f : m.formats) {
                int pt = payloadType(f);
                if (pt >= 96 && "telephone-event/8000".equals(m.rtpmap.get(pt)) && te < 0) {
                    te = pt;
                }
            }
            for (String f : m.formats) {
                int pt = payloadType(f);
                G711 codec = codecOf(pt, m.rtpmap.get(pt));
                if (codec != null) {
                    return Optional.of(new Choice(codec, pt, te, m.address, m.port, m.direction, i));
                }
            }
        }
        return Optional.empty();
    }

    private static G711 codecOf(int pt, String rtpmap) {
        if (rtpmap != null) {
            return rtpmap.equals("pcmu/8000") || rtpmap.equals("pcmu/8000/1") ? G711.PCMU
                    : rtpmap.equals("pcma/8000") || rtpmap.equals("pcma/8000/1") ? G711.PCMA : null;
        }
        return pt < 96 ? G711.forPayloadType(pt) : null;
    }

    /**
     * Our answer: the chosen audio stream on our RTP port, every other stream refused with port 0 (the
     * answer keeps the offer's m= lines in order, RFC 3264 §6).
     */
    public String answer(Choice choice, String ourAddress, int ourPort, long sessionId, long version) {
        StringBuilder s = new StringBuilder();
        String ipv = ourAddress.contains(":") ? "IP6" : "IP4";
        s.append("v=0\r\n");
        s.append("o=hotline ").append(sessionId).append(' ').append(version).append(" IN ").append(ipv).append(' ')
                .append(ourAddress).append("\r\n");
        s.append("s=hotline\r\n");
        s.append("c=IN ").append(ipv).append(' ').append(ourAddress).append("\r\n");
        s.append("t=0 0\r\n");
        for (int i = 0; i < media.size(); i++) {
            Media m = media.get(i);
            if (i != choice.mediaIndex()) {
                s.append("m=").append(m.type).append(" 0 ").append(m.proto).append(' ').append(m.formats.get(0))
                        .append("\r\n");
                continue;
            }
            s.append("m=audio ").append(ourPort).append(" RTP/AVP ").append(choice.codecPayloadType());
            if (choice.telephoneEvent() >= 0) {
                s.append(' ').append(choice.telephoneEvent());
            }
            s.append("\r\n");
            s.append("a=rtpmap:").append(choice.codecPayloadType()).append(' ').append(choice.codec().name())
                    .append("/8000\r\n");
            if (choice.telephoneEvent() >= 0) {
                s.append("a=rtpmap:").append(choice.telephoneEvent()).append(" telephone-event/8000\r\n");
                s.append("a=fmtp:").append(choice.telephoneEvent()).append(" 0-15\r\n");
            }
            s.append("a=ptime:20\r\n");
            s.append("a=").append(choice.remoteDirection().answer().attribute()).append("\r\n");
        }
        return s.toString();
    }

    /** Our offer, for an INVITE that came without one (the caller answers in its ACK). */
    public static String offer(String ourAddress, int ourPort, long sessionId, long version) {
        String ipv = ourAddress.contains(":") ? "IP6" : "IP4";
        return "v=0\r\n"
                + "o=hotline " + sessionId + " " + version + " IN " + ipv + " " + ourAddress + "\r\n"
                + "s=hotline\r\n"
                + "c=IN " + ipv + " " + ourAddress + "\r\n"
                + "t=0 0\r\n"
                + "m=audio " + ourPort + " RTP/AVP 8 0 101\r\n"
                + "a=rtpmap:8 PCMA/8000\r\n"
                + "a=rtpmap:0 PCMU/8000\r\n"
                + "a=rtpmap:101 telephone-event/8000\r\n"
                + "a=fmtp:101 0-15\r\n"
                + "a=ptime:20\r\n"
                + "a=sendrecv\r\n";
    }

    private static int payloadType(String f) {
        try {
            int pt = Integer.parseInt(f);
            return pt >= 0 && pt <= 127 ? pt : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String connectionAddress(String value) {
        String[] f = value.split("\\s+");
        if (f.length < 3 || !f[0].equals("IN") || !(f[1].equals("IP4") || f[1].equals("IP6"))) {
            throw new IllegalArgumentException("bad c= line " + abbreviate(value));
        }
        String addr = f[2];
        int slash = addr.indexOf('/');
        return slash > 0 ? addr.substring(0, slash) : addr;
    }

    private static Direction direction(String attr) {
        return switch (attr.toLowerCase(Locale.ROOT)) {
            case "sendrecv" -> Direction.SENDRECV;
            case "sendonly" -> Direction.SENDONLY;
            case "recvonly" -> Direction.RECVONLY;
            case "inactive" -> Direction.INACTIVE;
            default -> null;
        };
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static final class MediaBuilder {
        String type;
        int port;
        String proto;
        List<String> formats;
        String address;
        Map<Integer, String> rtpmap = new LinkedHashMap<>();
        Direction direction;
    }
}
