package org.hotline.ivr.sip;

import java.util.Locale;

/** Keys sent in SIP INFO bodies: {@code application/dtmf-relay} ({@code Signal=5}) and {@code application/dtmf}. */
final class DtmfRelay {

    private DtmfRelay() {
    }

    /** The key in a dtmf-relay body, or {@code 0} when there is none. */
    static char signal(String body) {
        for (String line : body.split("\r?\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).trim().equalsIgnoreCase("Signal")) {
                return key(line.substring(eq + 1).trim());
            }
        }
        return 0;
    }

    /** The key in an application/dtmf body (the key itself, or its event number). */
    static char plain(String body) {
        return key(body.trim());
    }

    private static char key(String v) {
        String s = v.toUpperCase(Locale.ROOT);
        if (s.length() == 1 && "0123456789*#ABCD".indexOf(s.charAt(0)) >= 0) {
            return s.charAt(0);
        }
        return switch (s) {
            case "10" -> '*';
            case "11" -> '#';
            default -> 0;
        };
    }
}
