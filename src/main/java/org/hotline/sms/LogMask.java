package org.hotline.sms;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hotline.booking.PhoneNumber;
import org.hotline.booking.ResidentId;

/**
 * Masks mobile numbers, resident IDs and booking codes inside free text (an SMS body, a reply) before it is
 * logged. A booking code is any run of exactly six digits. Full-width digits (as a phone may send them) are
 * read as ASCII first, so a number keyed in full width is masked like any other.
 */
final class LogMask {

    private static final Pattern ID = Pattern.compile("(?<!\\d)\\d{17}[\\dXx](?!\\d)");
    private static final Pattern MOBILE = Pattern.compile("(?<!\\d)(?:\\+?86)?1[3-9]\\d{9}(?!\\d)");
    private static final Pattern CODE = Pattern.compile("(?<!\\d)\\d{6}(?!\\d)");
    private static final Pattern EDGE_DIGITS = Pattern.compile("^\\d{1,5}|\\d{1,5}$");

    private LogMask() {
    }

    static String text(String s) {
        if (s == null) {
            return "";
        }
        String out = replace(ID.matcher(halfWidth(s)), ResidentId::mask);
        out = replace(MOBILE.matcher(out), PhoneNumber::mask);
        return replace(CODE.matcher(out), LogMask::code);
    }

    /**
     * One part of a long SMS: as {@link #text(String)}, and a digit run at either end is masked too, as it may
     * be half of a code split between two parts.
     */
    static String part(String s) {
        return EDGE_DIGITS.matcher(text(s)).replaceAll(m -> "*".repeat(m.group().length()));
    }

    /** Full-width digits, X and + as their ASCII forms. */
    static String halfWidth(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c >= '０' && c <= '９' ? (char) ('0' + (c - '０'))
                    : c == 'Ｘ' ? 'X' : c == 'ｘ' ? 'x' : c == '＋' ? '+' : c);
        }
        return sb.toString();
    }

    private static String code(String digits) {
        return "****" + digits.substring(digits.length() - 2);
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
