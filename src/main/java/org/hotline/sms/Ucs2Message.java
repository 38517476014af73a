package org.hotline.sms;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A text as UCS2 short messages (data_coding 0x08): up to 70 UTF-16 units in one, otherwise parts of
 * at most 67 units, each behind a concatenation UDH {@code 05 00 03 ref total seq} (sent with UDHI).
 * A surrogate pair is never cut between two parts.
 */
public final class Ucs2Message {

    public static final int SINGLE_MAX = 70;
    public static final int PART_MAX = 67;

    /** One short_message body; {@code udhi} when it starts with a UDH. */
    public record Part(int seq, int total, byte[] shortMessage, boolean udhi, String text) {
    }

    private Ucs2Message() {
    }

    public static int partCount(String text) {
        return chunks(text).size();
    }

    /** All parts, with {@code ref} (0..255) as the concatenation reference. */
    public static List<Part> parts(String text, int ref) {
        List<String> chunks = chunks(text);
        int total = chunks.size();
        List<Part> out = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            byte[] body = chunks.get(i).getBytes(StandardCharsets.UTF_16BE);
            if (total == 1) {
                out.add(new Part(1, 1, body, false, chunks.get(i)));
                continue;
            }
            byte[] sm = new byte[6 + body.length];
            sm[0] = 5;
            sm[1] = 0;
            sm[2] = 3;
            sm[3] = (byte) ref;
            sm[4] = (byte) total;
            sm[5] = (byte) (i + 1);
            System.arraycopy(body, 0, sm, 6, body.length);
            out.add(new Part(i + 1, total, sm, true, chunks.get(i)));
        }
        return out;
    }

    static List<String> chunks(String text) {
        String s = text == null ? "" : text;
        if (s.length() <= SINGLE_MAX) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            int end = Math.min(s.length(), i + PART_MAX);
            if (end < s.length() && Character.isHighSurrogate(s.charAt(end - 1))) {
                end--;
            }
            out.add(s.substring(i, end));
            i = end;
        }
        if (out.size() > 255) {
            throw new IllegalArgumentException("text too long for one concatenated SMS: " + s.length() + " units");
        }
        return out;
    }

    /** Decodes a received short message (UDH stripped when {@code udhi}) by its data_coding. */
    public static String decode(byte[] sm, byte dataCoding, boolean udhi) {
        if (sm == null) {
            return "";
        }
        int off = 0;
        if (udhi && sm.length > 0) {
            off = Math.min(sm.length, 1 + (sm[0] & 0xFF));
        }
        byte[] body = java.util.Arrays.copyOfRange(sm, off, sm.length);
        int dc = dataCoding & 0xFF;
        if (dc == 0x08 || (dc & 0xCC) == 0x08) { // general group, alphabet bits 10 = UCS2
            return new String(body, StandardCharsets.UTF_16BE);
        }
        if (dc == 0x03) {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
        // GSM default alphabet: digits, Latin letters and spaces (all a reply needs) map to ASCII
        return new String(body, StandardCharsets.ISO_8859_1);
    }

    /** The concatenation header of a received part: {ref, total, seq}, or null when it has none. */
    static int[] concatHeader(byte[] sm, boolean udhi) {
        if (!udhi || sm == null || sm.length < 1) {
            return null;
        }
        int udhl = sm[0] & 0xFF;
        int i = 1;
        while (i + 1 < 1 + udhl && i + 1 < sm.length) {
            int iei = sm[i] & 0xFF;
            int len = sm[i + 1] & 0xFF;
            if (iei == 0x00 && len == 3 && i + 4 < sm.length) {
                return new int[] {sm[i + 2] & 0xFF, sm[i + 3] & 0xFF, sm[i + 4] & 0xFF};
            }
            if (iei == 0x08 && len == 4 && i + 5 < sm.length) {
                return new int[] {((sm[i + 2] & 0xFF) << 8) | (sm[i + 3] & 0xFF), sm[i + 4] & 0xFF, sm[i + 5] & 0xFF};
            }
            i += 2 + len;
        }
        return null;
    }
}
