package org.hotline.ivr.sip;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The SIP peers whose P-Asserted-Identity and From the gateway believes ({@code hotline.sip.trusted-peers}):
 * addresses ({@code 10.1.2.3}, {@code ::1}) or CIDR blocks ({@code 10.1.0.0/16}, {@code fd00::/8}). Literal
 * addresses only, never host names (no DNS on the call path, and a name proves nothing). An IPv4 address seen
 * as an IPv4-mapped IPv6 address ({@code ::ffff:10.1.2.3}) matches its IPv4 entry.
 */
public final class TrustedPeers {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** One block: the network's bytes and the prefix length. */
    private record Block(byte[] network, int prefix) {
        boolean contains(byte[] a) {
            if (a.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (a[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Block> blocks;
    private final List<String> entries;

    private TrustedPeers(List<Block> blocks, List<String> entries) {
        this.blocks = blocks;
        this.entries = entries;
    }

    /**
     * Parses the setting; an entry that is not an address or a CIDR block fails with the setting's name and
     * the entry (the service refuses to start rather than trust the wrong peers).
     */
    public static TrustedPeers of(List<String> entries) {
        List<Block> blocks = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (String raw : entries == null ? List.<String>of() : entries) {
            String e = raw == null ? "" : raw.trim();
            if (e.isEmpty()) {
                continue;
            }
            blocks.add(parse(e));
            kept.add(e);
        }
        return new TrustedPeers(List.copyOf(blocks), List.copyOf(kept));
    }

    private static Block parse(String entry) {
        int slash = entry.indexOf('/');
        String addr = slash < 0 ? entry : entry.substring(0, slash);
        byte[] bytes = literal(addr, entry);
        int prefix = bytes.length * 8;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw bad(entry, "the prefix length is not a number");
            }
            if (prefix < 0 || prefix > bytes.length * 8) {
                throw bad(entry, "the prefix length must be 0.." + bytes.length * 8);
            }
        }
        return new Block(bytes, prefix);
    }

    private static byte[] literal(String addr, String entry) {
        boolean v6 = addr.indexOf(':') >= 0;
        if (!v6 && !IPV4.matcher(addr).matches()) {
            throw bad(entry, "not an IP address (host names are not accepted)");
        }
        if (v6 && !addr.matches("[0-9A-Fa-f:.]+")) {
            throw bad(entry, "not an IP address");
        }
        try {
            // a literal: InetAddress parses it without any name look-up
            return canonical(InetAddress.getByName(addr));
        } catch (UnknownHostException e) {
            throw bad(entry, "not an IP address");
        }
    }

    private static IllegalArgumentException bad(String entry, String why) {
        return new IllegalArgumentException("hotline.sip.trusted-peers: '" + entry + "': " + why);
    }

    /** The address's bytes; an IPv4-mapped IPv6 address as its 4 IPv4 bytes. */
    private static byte[] canonical(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address && b.length == 16) {
            boolean mapped = b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                return new byte[] {b[12], b[13], b[14], b[15]};
            }
        }
        return b;
    }

    /** Whether a request from this address may vouch for the caller's number. Null (unknown source): no. */
    public boolean trusts(InetAddress peer) {
        if (peer == null) {
            return false;
        }
        byte[] a = canonical(peer);
        for (Block b : blocks) {
            if (b.contains(a)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    @Override
    public String toString() {
        return entries.isEmpty() ? "(none)" : String.join(", ", entries);
    }
}
