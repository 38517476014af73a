package org.hotline.booking;

/** Phone number helpers: which numbers can take an SMS, and how a number is shown in logs. */
public final class PhoneNumber {

    private PhoneNumber() {
    }

    /** Strips spaces, dashes and a leading +86 / 86 / 0086 country code. */
    public static String normalise(String raw) {
        if (raw == null) {
            return null;
        }
        String s = raw.replaceAll("[\\s-]", "");
        if (s.startsWith("+86")) {
            s = s.substring(3);
        } else if (s.startsWith("0086")) {
            s = s.substring(4);
        } else if (s.startsWith("86") && s.length() == 13) {
            s = s.substring(2);
        }
        return s;
    }

    /** A mainland mobile number, the only kind an SMS can reach: 1[3-9] and nine more digits. */
    public static boolean isMobile(String raw) {
        String s = normalise(raw);
        return s != null && s.matches("1[3-9]\\d{9}");
    }

    /** {@code 138****8000}; landlines and short numbers keep only their last digits. */
    public static String mask(String raw) {
        if (raw == null || raw.isEmpty()) {
            return "-";
        }
        String s = normalise(raw);
        if (s.length() >= 11) {
            return s.substring(0, 3) + "*".repeat(s.length() - 7) + s.substring(s.length() - 4);
        }
        if (s.length() > 4) {
            return "*".repeat(s.length() - 4) + s.substring(s.length() - 4);
        }
        return "****";
    }
}
