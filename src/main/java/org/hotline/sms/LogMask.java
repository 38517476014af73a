package org.hotline.sms;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hotline.booking.PhoneNumber;
import org.hotline.booking.ResidentId;

/** Masks mobile numbers and resident IDs inside free text (an SMS body, a reply) before it is logged. */
final class LogMask {

    private static final Pattern ID = Pattern.compile("(?<!\\d)\\d{17}[\\dXx](?!\\d)");
    private static final Pattern MOBILE = Pattern.compile("(?<!\\d)(?:\\+?86)?1[3-9]\\d{9}(?!\\d)");

    private LogMask() {
    }

    static String text(String s) {
        if (s == null) {
            return "";
        }
        String out = replace(ID.matcher(s), ResidentId::mask);
        return replace(MOBILE.matcher(out), PhoneNumber::mask);
    }

    private static String replace(Matcher m, java.util.function.UnaryOperator<String> f) {
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(f.apply(m.group())));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
