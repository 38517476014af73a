package org.hotline.ivr;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Speaks values in Mandarin by composing small prompts, so every channel can say any number, date,
 * time or code from the same few recordings: 25 → 二 十 五, 十一月二十五日 星期三, 上午 九 点 半,
 * a phone number or booking code digit by digit with 1 read as 幺 (as Chinese read numbers aloud).
 */
public final class MandarinSpeech {

    /** Every prompt this class can produce; the catalogue must hold them all. */
    public static final Set<String> PROMPTS;

    static {
        List<String> all = new ArrayList<>();
        for (int i = 0; i <= 10; i++) {
            all.add("num_" + i);
        }
        all.addAll(List.of("num_100", "num_1000", "num_10000", "num_liang", "digit_yao", "date_month", "date_day",
                "time_early", "time_am", "time_noon", "time_pm", "time_evening", "time_oclock", "time_half",
                "time_minute", "letter_x"));
        for (int i = 1; i <= 7; i++) {
            all.add("weekday_" + i);
        }
        PROMPTS = Set.copyOf(all);
    }

    private MandarinSpeech() {
    }

    /** A cardinal number 0 … 99 999 as it is said: 10 十, 12 十二, 20 二十, 105 一百零五, 2000 两千. */
    public static List<String> number(int n) {
        if (n < 0 || n > 99_999) {
            throw new IllegalArgumentException("cannot speak " + n);
        }
        List<String> out = new ArrayList<>();
        if (n == 0) {
            out.add("num_0");
            return out;
        }
        int[] units = {10_000, 1000, 100, 10, 1};
        String[] names = {"num_10000", "num_1000", "num_100", "num_10", null};
        boolean started = false;
        boolean zeroPending = false;
        for (int i = 0; i < units.length; i++) {
            int d = n / units[i] % 10;
            if (d == 0) {
                if (started) {
                    zeroPending = true;
                }
                continue;
            }
            if (zeroPending) {
                out.add("num_0");
                zeroPending = false;
            }
            boolean leadingTen = !started && units[i] == 10 && d == 1;
            if (!leadingTen) {
                // 两 before 百, 千, 万; 二 before 十 and on its own
                out.add(d == 2 && units[i] >= 100 ? "num_liang" : "num_" + d);
            }
            if (names[i] != null) {
                out.add(names[i]);
            }
            started = true;
        }
        return out;
    }

    /** The key a caller presses, as a menu says it ("请按一"): one digit, 1 read as 一. */
    public static List<String> key(int digit) {
        if (digit < 0 || digit > 9) {
            throw new IllegalArgumentException("no key " + digit);
        }
        return List.of("num_" + digit);
    }

    /** A code or a phone number digit by digit; 1 is 幺, X (keyed as *) is 叉. */
    public static List<String> digits(String s) {
        List<String> out = new ArrayList<>();
        for (char c : s.toCharArray()) {
            if (c == '1') {
                out.add("digit_yao");
            } else if (c >= '0' && c <= '9') {
                out.add("num_" + c);
            } else if (c == 'X' || c == 'x' || c == '*') {
                out.add("letter_x");
            } else {
                throw new IllegalArgumentException("cannot speak digit '" + c + "'");
            }
        }
        return out;
    }

    /** 十一月二十五日 星期三. */
    public static List<String> date(LocalDate d) {
        List<String> out = new ArrayList<>(number(d.getMonthValue()));
        out.add("date_month");
        out.addAll(number(d.getDayOfMonth()));
        out.add("date_day");
        out.add(weekday(d.getDayOfWeek()));
        return out;
    }

    public static String weekday(DayOfWeek d) {
        return "weekday_" + d.getValue();
    }

    /** 上午九点半, 下午两点, 中午十二点, 晚上八点十五分. */
    public static List<String> time(LocalTime t) {
        int h = t.getHour();
        List<String> out = new ArrayList<>();
        out.add(h < 6 ? "time_early" : h < 12 ? "time_am" : h < 13 ? "time_noon" : h < 18 ? "time_pm"
                : "time_evening");
        int spoken = h > 12 ? h - 12 : h;
        out.addAll(spoken == 2 ? List.of("num_liang") : number(spoken));
        out.add("time_oclock");
        int m = t.getMinute();
        if (m == 30) {
            out.add("time_half");
        } else if (m > 0) {
            if (m < 10) {
                out.add("num_0");
            }
            out.addAll(number(m));
            out.add("time_minute");
        }
        return out;
    }
}
