package org.hotline.ivr.sip;

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
        TrustedPeers t = TrustedPeers.of(List.of("10.1.0.0/16", "192.0.2.7", "172.16.5.128/25", "fd00:1::/32", "::1"));
        assertThat(t.trusts(ip("10.1.0.0"))).isTrue();
        assertThat(t.trusts(ip("10.1.255.254"))).isTrue();
        assertThat(t.trusts(ip("10.2.0.1"))).isFalse();
        assertThat(t.trusts(ip("192.0.2.7"))).isTrue();
        assertThat(t.trusts(ip("192.0.2.8"))).isFalse();
        // a prefix that is not a multiple of 8
        assertThat(t.trusts(ip("172.16.5.128"))).isTrue();
        assertThat(t.trusts(ip("172.16.5.255"))).isTrue();
        assertThat(t.trusts(ip("172.16.5.127"))).isFalse();
        assertThat(t.trusts(ip("fd00:1:abcd::5"))).isTrue();
        assertThat(t.trusts(ip("fd00:2::5"))).isFalse();
        assertThat(t.trusts(ip("::1"))).isTrue();
        assertThat(t.trusts(ip("127.0.0.1"))).isFalse();
        assertThat(t.trusts(null)).isFalse();
    }

    @Test
    void anIpv4PeerSeenAsAnIpv4MappedIpv6AddressMatchesItsIpv4Entry() throws Exception {
        TrustedPeers t = TrustedPeers.of(List.of("10.1.0.0/16"));
        java.net.Inet6Address mapped = java.net.Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 10, 1, 2, 3}, null);
        assertThat(t.trusts(mapped)).isTrue();
        assertThat(TrustedPeers.of(List.of("10.9.0.0/16")).trusts(mapped)).isFalse();
    }

    @Test
    void nothingConfiguredTrustsNoOneAndZeroPrefixTrustsEveryoneOfThatFamily() throws Exception {
        assertThat(TrustedPeers.of(List.of()).trusts(ip("127.0.0.1"))).isFalse();
        assertThat(TrustedPeers.of(List.of(" ", "")).isEmpty()).isTrue();
        TrustedPeers all4 = TrustedPeers.of(List.of("0.0.0.0/0"));
        assertThat(all4.trusts(ip("203.0.113.9"))).isTrue();
        assertThat(all4.trusts(ip("2001:db8::1"))).isFalse();
    }

    @Test
    void aBadEntryStopsStartUpNamingTheSettingAndTheEntry() {
        assertThatThrownBy(() -> TrustedPeers.of(List.of("pbx.example.org"))).hasMessageContaining(
                "hotline.sip.trusted-peers").hasMessageContaining("pbx.example.org").hasMessageContaining("host names");
        assertThatThrownBy(() -> TrustedPeers.of(List.of("10.0.0.0/33"))).hasMessageContaining("0..32");
        assertThatThrownBy(() -> TrustedPeers.of(List.of("10.0.0/8"))).hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> TrustedPeers.of(List.of("10.0.0.0/x"))).hasMessageContaining("not a number");
        assertThatThrownBy(() -> TrustedPeers.of(List.of("fd00::/129"))).hasMessageContaining("0..128");
        assertThatThrownBy(() -> TrustedPeers.of(List.of("999.1.1.1"))).hasMessageContaining("not an IP address");
        // the same check runs when the settings are bound, so a typo stops the service before it answers calls
        assertThatThrownBy(() -> new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 1, 486, null, 30000,
                39999, null, null, null, List.of(), List.of("10.0.0.0/40"))).hasMessageContaining("trusted-peers");
    }

    @Test
    void byDefaultOnlyLoopbackIsTrusted() throws Exception {
        SipProperties p = new SipProperties(true, "127.0.0.1", null, 0, List.of("udp"), 1, 486, null, 30000, 39999, null,
                null, null, List.of());
        TrustedPeers t = TrustedPeers.of(p.trustedPeers());
        assertThat(t.trusts(ip("127.0.0.1"))).isTrue();
        assertThat(t.trusts(ip("::1"))).isTrue();
        assertThat(t.trusts(ip("192.168.1.10"))).isFalse();
    }
}
