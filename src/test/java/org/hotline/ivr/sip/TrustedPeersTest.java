package org.hotline.ivr.sip;

import org.hotline.ivr.PeerAddresses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Which SIP peers may vouch for a caller's number (hotline.sip.trusted-peers): addresses and CIDR blocks. */
class TrustedPeersTest {

    static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void addressesAndCidrBlocksMatchExactlyTheirAddresses() throws Exception {
        PeerAddresses t = PeerAddresses.parse(List.of("10.1.0.0/16", "192.0.2.7", "172.16.5.128/25", "fd00:1::/32", "::1"), "hotline.sip.trusted-peers");
        assertThat(t.contains(ip("10.1.0.0"))).isTrue();
        assertThat(t.contains(ip("10.1.255.254"))).isTrue();
        assertThat(t.contains(ip("10.2.0.1"))).isFalse();
        assertThat(t.contains(ip("192.0.2.7"))).isTrue();
        assertThat(t.contains(ip("192.0.2.8"))).isFalse();
        // a prefix that is not a multiple of 8
        assertThat(t.contains(ip("172.16.5.128"))).isTrue();
        assertThat(t.contains(ip("172.16.5.255"))).isTrue();
        assertThat(t.contains(ip("172.16.5.127"))).isFalse();
        assertThat(t.contains(ip("fd00:1:abcd::5"))).isTrue();
        assertThat(t.contains(ip("fd00:2::5"))).isFalse();
        assertThat(t.contains(ip("::1"))).isTrue();
        assertThat(t.contains(ip("127.0.0.1"))).isFalse();
        assertThat(t.contains(null)).isFalse();
    }

    @Test
    void anIpv4PeerSeenAsAnIpv4MappedIpv6AddressMatchesItsIpv4Entry() throws Exception {
        PeerAddresses t = PeerAddresses.parse(List.of("10.1.0.0/16"), "hotline.sip.trusted-peers");
        java.net.Inet6Address mapped = java.net.Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 10, 1, 2, 3}, null);
        assertThat(t.contains(mapped)).isTrue();
        assertThat(PeerAddresses.parse(List.of("10.9.0.0/16"), "hotline.sip.trusted-peers").contains(mapped)).isFalse();
    }

    @Test
    void nothingConfiguredTrustsNoOneAndZeroPrefixTrustsEveryoneOfThatFamily() throws Exception {
        assertThat(PeerAddresses.parse(List.of(), "hotline.sip.trusted-peers").contains(ip("127.0.0.1"))).isFalse();
        assertThat(PeerAddresses.parse(List.of(" ", ""), "hotline.sip.trusted-peers").isEmpty()).isTrue();
        PeerAddresses all4 = PeerAddresses.parse(List.of("0.0.0.0/0"), "hotline.sip.trusted-peers");
        assertThat(all4.contains(ip("203.0.113.9"))).isTrue();
        assertThat(all4.contains(ip("2001:db8::1"))).isFalse();
    }

    @Test
    void aBadEntryStopsStartUpNamingTheSettingAndTheEntry() {
        assertThatThrownBy(() -> PeerAddresses.parse(List.of("pbx.example.org"), "hotline.sip.trusted-peers")).hasMessageContaining(
                "hotline.sip.trusted-peers").hasMessageContaining("pbx.example.org").hasMessageContaining("host names");
        assertThatThrownBy(() -> PeerAddresses.parse(List.of("10.0.0.0/33"), "hotline.sip.trusted-peers")).hasMessageContaining("0..32");
        assertThatThrownBy(() -> PeerAddresses.parse(List.of("10.0.0/8"), "hotline.sip.trusted-peers")).hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> PeerAddresses.parse(List.of("10.0.0.0/x"), "hotline.sip.trusted-peers")).hasMessageContaining("0..32");
        assertThatThrownBy(() -> PeerAddresses.parse(List.of("fd00::/129"), "hotline.sip.trusted-peers")).hasMessageContaining("0..128");
        assertThatThrownBy(() -> PeerAddresses.parse(List.of("999.1.1.1"), "hotline.sip.trusted-peers")).hasMessageContaining("not an IP address");
        // the same check runs when the settings are bound, so a typo stops the service before it answers calls
        assertThatThrownBy(() -> new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 1, 486, null, 30000,
                39999, null, null, null, List.of(), List.of("10.0.0.0/40"))).hasMessageContaining("trusted-peers");
    }

    @Test
    void byDefaultOnlyLoopbackIsTrusted() throws Exception {
        SipProperties p = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 1, 486, null, 30000, 39999, null,
                null, null, List.of());
        PeerAddresses t = PeerAddresses.parse(p.trustedPeers(), "hotline.sip.trusted-peers");
        assertThat(t.contains(ip("127.0.0.1"))).isTrue();
        assertThat(t.contains(ip("::1"))).isTrue();
        assertThat(t.contains(ip("192.168.1.10"))).isFalse();
    }
}
