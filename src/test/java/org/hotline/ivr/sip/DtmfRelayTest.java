package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DtmfRelayTest {

    @Test
    void readsTheSignalLine() {
        assertThat(DtmfRelay.signal("Signal=5\r\nDuration=160\r\n")).isEqualTo('5');
        assertThat(DtmfRelay.signal("Duration=160\nsignal= *\n")).isEqualTo('*');
        assertThat(DtmfRelay.signal("Signal=11\r\n")).isEqualTo('#');
        assertThat(DtmfRelay.signal("Signal=\r\n")).isEqualTo((char) 0);
        assertThat(DtmfRelay.signal("Duration=160")).isEqualTo((char) 0);
        assertThat(DtmfRelay.plain("#")).isEqualTo('#');
        assertThat(DtmfRelay.plain("10")).isEqualTo('*');
    }
}
