package org.hotline.ivr;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A set of peer addresses written as single addresses or CIDR blocks ({@code 10.20.0.11},
 * {@code 10.20.0.0/24}, {@code ::1}, {@code fd00::/8}): who may speak to a listener
 * ({@code hotline.agi.allowed-peers}) or whose caller identity is believed ({@code hotline.sip.trusted-peers}).
 * Only literal addresses are taken (never a host name: a name would need a DNS look-up per connection and
 * could be changed by whoever controls that DNS). An IPv4 address seen over an IPv6 socket
 * ({@code ::ffff:10.20.0.11}) matches its IPv4 entry.
 */
public final class PeerAddresses {

    /** 127.0.0.0/8 and ::1: this machine only (the embedded default). */
    public static final List<String> LOOPBACK = List.of("127.0.0.0/8", "::1");

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private record Block(byte[] network, int prefix, String text) {
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
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Block> blocks;

    private PeerAddresses(List<Block> blocks) {
        this.blocks = blocks;
    }

    /**
     * Parses every entry; a wrong one fails with a message naming it and {@code setting} (the property the
     * operator wrote it in). Blank entries are skipped.
     */
    public static PeerAddresses parse(Collection<String> entries, String setting) {
        List<Block> out = new ArrayList<>();
        for (String raw : entries == null ? List.<String>of() : entries) {
            if (raw == null || raw.isBlank()) {
                continue;
            }
            out.add(block(raw.trim(), setting));
        }
        return new PeerAddresses(List.copyOf(out));
    }

    private static Block block(String entry, String setting) {
        int slash = entry.indexOf('/');
        String addr = slash < 0 ? entry : entry.substring(0, slash);
        boolean v4 = IPV4.matcher(addr).matches();
        if (v4) {
            for (String octet : addr.split("\\.")) {
                v4 &= Integer.parseInt(octet) <= 255;
            }
        }
        // checked before InetAddress sees it: anything else would be looked up as a host name
        if (!v4 && !IPV6.matcher(addr).matches()) {
            throw new IllegalStateException(setting + ": '" + entry + "' is not an IP address or CIDR block "
                    + "(host names are not accepted)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress(); // a literal: no look-up
        } catch (UnknownHostException e) {
            throw new IllegalStateException(setting + ": '" + entry + "' is not an IP address", e);
        }
        bytes = unmapped(bytes);
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalStateException(setting + ": '" + entry + "' has a prefix length outside 0.." + max);
            }
        }
        return new Block(bytes, prefix, entry);
    }

    /** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its 4 IPv4 bytes; anything else unchanged. */
    private static byte[] unmapped(byte[] a) {
        if (a.length != 16) {
            return a;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return a;
            }
        }
        if (a[10] != (byte) 0xff || a[11] != (byte) 0xff) {
            return a;
        }
        return new byte[] {a[12], a[13], a[14], a[15]};
    }

    /** True when {@code peer} lies in one of the entries; false for null. */
    public boolean contains(InetAddress peer) {
        if (peer == null) {
            return false;
        }
        byte[] a = peer instanceof Inet6Address || peer instanceof Inet4Address ? unmapped(peer.getAddress())
                : peer.getAddress();
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

    /** The entries as written, for logs and health. */
    public List<String> entries() {
        return blocks.stream().map(Block::text).toList();
    }

    @Override
    public String toString() {
        return String.join(", ", entries());
    }
}
