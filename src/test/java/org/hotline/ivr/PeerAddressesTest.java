package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

class PeerAddressesTest {

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void singleAddressesAndCidrBlocksOfBothFamilies() throws Exception {
        PeerAddresses p = PeerAddresses.parse(List.of("10.20.0.11", "192.168.4.0/22", "fd00:1::/32", " ::1 "), "x");
        assertThat(p.contains(ip("10.20.0.11"))).isTrue();
        assertThat(p.contains(ip("10.20.0.12"))).isFalse();
        assertThat(p.contains(ip("192.168.4.1"))).isTrue();
        assertThat(p.contains(ip("192.168.7.255"))).isTrue();
        assertThat(p.contains(ip("192.168.8.0"))).isFalse();
        assertThat(p.contains(ip("fd00:1:ffff::5"))).isTrue();
        assertThat(p.contains(ip("fd00:2::5"))).isFalse();
        assertThat(p.contains(ip("::1"))).isTrue();
        assertThat(p.contains(null)).isFalse();
        assertThat(p.entries()).containsExactly("10.20.0.11", "192.168.4.0/22", "fd00:1::/32", "::1");
    }

    @Test
    void anIpv4AddressSeenOverIpv6MatchesItsIpv4Entry() throws Exception {
        PeerAddresses p = PeerAddresses.parse(List.of("10.20.0.0/24"), "x");
        // InetAddress folds ::ffff:a.b.c.d to IPv4 itself; the raw 16-byte form must match too
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[13] = 20;
        mapped[15] = 7;
        assertThat(p.contains(java.net.Inet6Address.getByAddress(null, mapped, -1))).isTrue();
        assertThat(p.contains(ip("::ffff:10.20.1.7"))).isFalse();
    }

    @Test
    void zeroPrefixMatchesEveryAddressOfItsFamilyOnly() throws Exception {
        PeerAddresses p = PeerAddresses.parse(List.of("0.0.0.0/0"), "x");
        assertThat(p.contains(ip("203.0.113.9"))).isTrue();
        assertThat(p.contains(ip("2001:db8::1"))).isFalse();
    }

    @Test
    void hostNamesAndMalformedEntriesAreRefusedWithTheSettingNamed() {
        for (String bad : List.of("asterisk.example.org", "localhost", "10.20.0", "300.1.1.1", "10.0.0.0/33",
                "::1/129", "10.0.0.0/x")) {
            assertThatThrownBy(() -> PeerAddresses.parse(List.of(bad), "hotline.sip.trusted-peers"))
                    .as(bad).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("hotline.sip.trusted-peers").hasMessageContaining(bad);
        }
        assertThat(PeerAddresses.parse(List.of(" ", ""), "x").isEmpty()).isTrue();
    }
}
