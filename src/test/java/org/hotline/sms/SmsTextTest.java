package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** UCS2 splitting, reply parsing and log masking, without a database. */
class SmsTextTest {

    @Test
    void seventyCharactersFitOneMessageSeventyOneNeedTwoPartsOfAtMostSixtySeven() {
        String seventy = "汉".repeat(70);
        List<Ucs2Message.Part> one = Ucs2Message.parts(seventy, 7);
        assertThat(one).hasSize(1);
        assertThat(one.get(0).udhi()).isFalse();
        assertThat(one.get(0).shortMessage()).hasSize(140).isEqualTo(seventy.getBytes(StandardCharsets.UTF_16BE));

        String seventyOne = "字".repeat(71);
        List<Ucs2Message.Part> two = Ucs2Message.parts(seventyOne, 0xAB);
        assertThat(two).hasSize(2);
        assertThat(two.get(0).shortMessage()).hasSize(6 + 134).startsWith(5, 0, 3, 0xAB, 2, 1);
        assertThat(two.get(1).shortMessage()).hasSize(6 + 8).startsWith(5, 0, 3, 0xAB, 2, 2);
        assertThat(two).allMatch(Ucs2Message.Part::udhi);
        assertThat(two.get(0).text() + two.get(1).text()).isEqualTo(seventyOne);
    }

    @Test
    void aSurrogatePairIsNeverCutBetweenParts() {
        String text = "a".repeat(66) + "😀" + "b".repeat(10);
        List<Ucs2Message.Part> parts = Ucs2Message.parts(text, 1);
        assertThat(parts.get(0).text()).hasSize(66);
        assertThat(parts.get(1).text()).startsWith("😀");
        assertThat(String.join("", parts.stream().map(Ucs2Message.Part::text).toList())).isEqualTo(text);
    }

    @Test
    void receivedPartsDecodeWithTheirHeader() {
        List<Ucs2Message.Part> parts = Ucs2Message.parts("测".repeat(100), 9);
        byte[] sm = parts.get(1).shortMessage();
        assertThat(Ucs2Message.concatHeader(sm, true)).containsExactly(9, 2, 2);
        assertThat(Ucs2Message.decode(sm, (byte) 8, true)).isEqualTo("测".repeat(33));
        assertThat(Ucs2Message.decode("QX123456".getBytes(StandardCharsets.ISO_8859_1), (byte) 0, false))
                .isEqualTo("QX123456");
    }

    @Test
    void cancelRepliesAreRecognisedInTheirUsualShapes() {
        for (String ok : List.of("取消 123456", "取消123456", "QX123456", "qx 123456", "ＱＸ１２３４５６", "取消预约 123456。",
                " 取消：123456 ")) {
            assertThat(SmsReplies.parse(ok)).as(ok).isEqualTo(new SmsReplies.Command.Cancel("123456"));
        }
        for (String no : List.of("取消", "取消 12345", "取消 1234567", "QX", "你好", "123456", "")) {
            assertThat(SmsReplies.parse(no)).as(no).isInstanceOf(SmsReplies.Command.Unknown.class);
        }
    }

    @Test
    void logTextMasksNumbersAndIdsInside() {
        assertThat(LogMask.text("请联系13912345678或+8613812345678，身份证11010519491231002X"))
                .isEqualTo("请联系139****5678或138****5678，身份证**************002X");
    }

    @Test
    void logTextMasksBookingCodesInside() {
        // a confirmation names the code; a reply keys it, also in full-width digits
        assertThat(LogMask.text("预约码123456，回复“取消 654321”可取消；ＱＸ１２３４５６"))
                .isEqualTo("预约码****56，回复“取消 ****21”可取消；ＱX****56")
                .doesNotContain("123456").doesNotContain("654321").doesNotContain("１２３４５６");
        // not a code: longer digit runs and times stay as they are (phones are masked by their own rule)
        assertThat(LogMask.text("09:30 第2剂 2026年12月8日 1234567")).isEqualTo("09:30 第2剂 2026年12月8日 1234567");
        // an ID or a mobile keyed in full width is masked like any other
        assertThat(LogMask.text("身份证１１０１０５１９４９１２３１００２Ｘ，电话＋８６１３９１２３４５６７８"))
                .isEqualTo("身份证**************002X，电话139****5678");
        // a long SMS may split a code between two parts: the digits at each end of a part are masked as well
        assertThat(LogMask.part("预约码1234")).isEqualTo("预约码****");
        assertThat(LogMask.part("56。请携带身份证")).isEqualTo("**。请携带身份证");
    }

    @Test
    void receiptStatesMapToPartStates() {
        assertThat(SmsStore.partStatusOf("DELIVRD")).isEqualTo("DELIVERED");
        assertThat(SmsStore.partStatusOf("EXPIRED")).isEqualTo("EXPIRED");
        assertThat(SmsStore.partStatusOf("UNDELIV")).isEqualTo("FAILED");
        assertThat(SmsStore.partStatusOf("REJECTD")).isEqualTo("FAILED");
        assertThat(SmsStore.partStatusOf("ENROUTE")).isNull();
        assertThat(SmsStore.hexValue("00000000ff")).isEqualByComparingTo("255");
        assertThat(SmsStore.hexValue("not-hex")).isNull();
    }
}
