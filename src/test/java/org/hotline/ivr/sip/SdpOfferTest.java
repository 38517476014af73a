package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SdpOfferTest {

    static final String OFFER = """
            v=0
            o=- 1 1 IN IP4 10.0.0.5
            s=-
            c=IN IP4 10.0.0.5
            t=0 0
            m=video 5000 RTP/AVP 96
            m=audio 4000 RTP/AVP 18 8 0 101
            a=rtpmap:18 G729/8000
            a=rtpmap:8 PCMA/8000
            a=rtpmap:101 telephone-event/8000
            a=fmtp:101 0-16
            a=sendonly
            """;

    @Test
    void picksTheCallersFirstG711AndItsTelephoneEventType() {
        SdpOffer.Choice c = SdpOffer.parse(OFFER).negotiate().orElseThrow();
        assertThat(c.codec()).isEqualTo(G711.PCMA);
        assertThat(c.codecPayloadType()).isEqualTo(8);
        assertThat(c.telephoneEvent()).isEqualTo(101);
        assertThat(c.remoteAddress()).isEqualTo("10.0.0.5");
        assertThat(c.remotePort()).isEqualTo(4000);
        assertThat(c.mediaIndex()).isEqualTo(1);
        assertThat(c.weMustNotSend()).isTrue(); // the caller put us on hold
    }

    @Test
    void answerKeepsTheOffersStreamsInOrderAndRefusesTheVideo() {
        SdpOffer offer = SdpOffer.parse(OFFER);
        String answer = offer.answer(offer.negotiate().orElseThrow(), "192.0.2.1", 20000, 7, 2);
        assertThat(answer).contains("c=IN IP4 192.0.2.1\r\n", "m=video 0 RTP/AVP 96\r\n",
                "m=audio 20000 RTP/AVP 8 101\r\n", "a=rtpmap:101 telephone-event/8000\r\n", "a=recvonly\r\n",
                "o=hotline 7 2 IN IP4 192.0.2.1");
        assertThat(answer.indexOf("m=video")).isLessThan(answer.indexOf("m=audio"));
    }

    @Test
    void noG711OrSecureRtpMeansNoChoice() {
        assertThat(SdpOffer.parse(OFFER.replace("18 8 0 101", "18")).negotiate()).isEmpty();
        assertThat(SdpOffer.parse(OFFER.replace("RTP/AVP 18 8 0 101", "RTP/SAVP 0")).negotiate()).isEmpty();
    }

    @Test
    void staticPayloadTypesNeedNoRtpmap() {
        SdpOffer.Choice c = SdpOffer.parse("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 9 RTP/AVP 0\r\n").negotiate()
                .orElseThrow();
        assertThat(c.codec()).isEqualTo(G711.PCMU);
        assertThat(c.telephoneEvent()).isEqualTo(-1);
    }

    @Test
    void textThatIsNotSdpIsRefused() {
        assertThatThrownBy(() -> SdpOffer.parse("hello")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SdpOffer.parse("v=0\r\nm=audio 9 RTP/AVP 0\r\n"))
                .hasMessageContaining("no c= line");
        assertThatThrownBy(() -> SdpOffer.parse("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n"))
                .hasMessageContaining("port");
    }
}
