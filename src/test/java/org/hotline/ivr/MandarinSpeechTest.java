package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Values are spoken as a Mandarin speaker says them, from small prompts. */
class MandarinSpeechTest {

    /** Reads composed prompt ids back as characters, so expectations read like the Chinese they say. */
    static final Map<String, String> CHARS = Map.ofEntries(Map.entry("num_0", "零"), Map.entry("num_1", "一"),
            Map.entry("num_2", "二"), Map.entry("num_3", "三"), Map.entry("num_4", "四"), Map.entry("num_5", "五"),
            Map.entry("num_6", "六"), Map.entry("num_7", "七"), Map.entry("num_8", "八"), Map.entry("num_9", "九"),
            Map.entry("num_10", "十"), Map.entry("num_100", "百"), Map.entry("num_1000", "千"),
            Map.entry("num_10000", "万"), Map.entry("num_liang", "两"), Map.entry("digit_yao", "幺"),
            Map.entry("letter_x", "叉"), Map.entry("date_month", "月"), Map.entry("date_day", "日"),
            Map.entry("weekday_1", "星期一"), Map.entry("weekday_2", "星期二"), Map.entry("weekday_3", "星期三"),
            Map.entry("weekday_4", "星期四"), Map.entry("weekday_5", "星期五"), Map.entry("weekday_6", "星期六"),
            Map.entry("weekday_7", "星期天"), Map.entry("time_early", "凌晨"), Map.entry("time_am", "上午"),
            Map.entry("time_noon", "中午"), Map.entry("time_pm", "下午"), Map.entry("time_evening", "晚上"),
            Map.entry("time_oclock", "点"), Map.entry("time_half", "半"), Map.entry("time_minute", "分"));

    static String say(List<String> ids) {
        StringBuilder b = new StringBuilder();
        ids.forEach(id -> b.append(CHARS.getOrDefault(id, "<" + id + ">")));
        return b.toString();
    }

    @Test
    void numbersAreSaidAsSpoken() {
        assertThat(say(MandarinSpeech.number(0))).isEqualTo("零");
        assertThat(say(MandarinSpeech.number(7))).isEqualTo("七");
        assertThat(say(MandarinSpeech.number(10))).isEqualTo("十");
        assertThat(say(MandarinSpeech.number(12))).isEqualTo("十二");
        assertThat(say(MandarinSpeech.number(20))).isEqualTo("二十");
        assertThat(say(MandarinSpeech.number(25))).isEqualTo("二十五");
        assertThat(say(MandarinSpeech.number(100))).isEqualTo("一百");
        assertThat(say(MandarinSpeech.number(105))).isEqualTo("一百零五");
        assertThat(say(MandarinSpeech.number(110))).isEqualTo("一百一十");
        assertThat(say(MandarinSpeech.number(200))).isEqualTo("两百");
        assertThat(say(MandarinSpeech.number(1005))).isEqualTo("一千零五");
        assertThat(say(MandarinSpeech.number(2030))).isEqualTo("两千零三十");
        assertThat(say(MandarinSpeech.number(20_000))).isEqualTo("两万");
        assertThat(say(MandarinSpeech.number(99_999))).isEqualTo("九万九千九百九十九");
        assertThatThrownBy(() -> MandarinSpeech.number(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void codesAndPhoneNumbersAreReadDigitByDigitWithOneAsYao() {
        assertThat(say(MandarinSpeech.digits("13800138000"))).isEqualTo("幺三八零零幺三八零零零");
        assertThat(say(MandarinSpeech.digits("510217"))).isEqualTo("五幺零二幺七");
        assertThat(say(MandarinSpeech.digits("123X"))).isEqualTo("幺二三叉");
        assertThatThrownBy(() -> MandarinSpeech.digits("12#")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void datesSayMonthDayAndWeekday() {
        assertThat(say(MandarinSpeech.date(LocalDate.of(2026, 11, 25)))).isEqualTo("十一月二十五日星期三");
        assertThat(say(MandarinSpeech.date(LocalDate.of(2026, 3, 1)))).isEqualTo("三月一日星期天");
        assertThat(say(MandarinSpeech.date(LocalDate.of(2026, 12, 10)))).isEqualTo("十二月十日星期四");
    }

    @Test
    void timesSayThePartOfTheDay() {
        assertThat(say(MandarinSpeech.time(LocalTime.of(9, 30)))).isEqualTo("上午九点半");
        assertThat(say(MandarinSpeech.time(LocalTime.of(8, 0)))).isEqualTo("上午八点");
        assertThat(say(MandarinSpeech.time(LocalTime.of(12, 0)))).isEqualTo("中午十二点");
        assertThat(say(MandarinSpeech.time(LocalTime.of(14, 0)))).isEqualTo("下午两点");
        assertThat(say(MandarinSpeech.time(LocalTime.of(14, 30)))).isEqualTo("下午两点半");
        assertThat(say(MandarinSpeech.time(LocalTime.of(20, 15)))).isEqualTo("晚上八点十五分");
        assertThat(say(MandarinSpeech.time(LocalTime.of(10, 5)))).isEqualTo("上午十点零五分");
        assertThat(say(MandarinSpeech.time(LocalTime.of(5, 0)))).isEqualTo("凌晨五点");
    }

    @Test
    void everyComposedPromptIsKnownToTheCatalogueList() {
        assertThat(CHARS.keySet()).isEqualTo(MandarinSpeech.PROMPTS);
    }
}
