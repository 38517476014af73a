package org.hotline.agent;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a console password must be: at least {@code min-password-length} characters, at most 72 bytes
 * (bcrypt reads no further), not a common password (with digits or signs around it, or in leetspeak), not a
 * keyboard or alphabet run or one repeated character, and not the user name (or the name with a few
 * easy characters around it). Judged by {@link #strength}: the characters a guesser cannot predict from the
 * one before.
 */
public final class PasswordRule {

    /** Unpredictable characters a password (and what is left of it without the user name) must have. */
    static final int MIN_STRENGTH = 5;
    static final int MAX_BYTES = 72;

    /** Rows a finger runs along, both ways. */
    private static final String[] RUNS = {"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
            "abcdefghijklmnopqrstuvwxyz", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp",
            "1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0", "a1s2d3f4g5h6j7k8l9"};

    /** Words at the heart of the most common leaked passwords (English and pinyin), lower case. */
    private static final Set<String> COMMON = Set.of("password", "passwort", "passw0rd", "qwerty", "admin",
            "administrator", "root", "welcome", "letmein", "iloveyou", "woaini", "monkey", "dragon", "sunshine",
            "princess", "football", "baseball", "master", "superman", "batman", "trustno", "changeme", "secret",
            "default", "hotline", "hospital", "doctor", "test", "guest", "user", "login", "abc", "abcd", "abcde",
            "qwe", "asd", "zxc", "qweasd", "qweasdzxc", "asdasd", "qazwsx", "zaq", "zaqxsw", "aini", "wodemima",
            "mima", "pass", "shadow", "michael", "jordan", "hello", "hellokitty", "loveyou", "love", "lovely",
            "nihao", "china", "beijing", "shanghai", "zhongguo", "yiyuan", "rexian", "jiankang", "daoyi",
            "asdfgh", "qwertyu", "computer", "internet", "starwars", "whatever", "freedom", "access");

    private PasswordRule() {
    }

    /** Why this password may not be used by this user, or empty. */
    public static Optional<UserProblem> check(String username, String password, int minLength) {
        if (password == null || password.length() < minLength) {
            return Optional.of(UserProblem.PASSWORD_TOO_SHORT);
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return Optional.of(UserProblem.PASSWORD_TOO_LONG);
        }
        String p = password.toLowerCase(Locale.ROOT);
        String name = username == null ? "" : username.strip().toLowerCase(Locale.ROOT);
        if (strength(p) < MIN_STRENGTH || common(p)) {
            return Optional.of(UserProblem.PASSWORD_TOO_COMMON);
        }
        if (name.length() >= 3) {
            String withoutName = p.replace(name, "").replace(new StringBuilder(name).reverse().toString(), "");
            if (name.contains(p) || strength(withoutName) < MIN_STRENGTH || common(withoutName)) {
                return Optional.of(UserProblem.PASSWORD_LIKE_USERNAME);
            }
        }
        return Optional.empty();
    }

    /**
     * Characters not predictable from the one before: the first, and each that neither repeats one of the last
     * two nor follows the previous one along a keyboard row or the alphabet (either way), counted once per
     * distinct character.
     */
    static int strength(String s) {
        Set<Character> seen = new java.util.HashSet<>();
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean predictable = i > 0 && (c == s.charAt(i - 1) || (i > 1 && c == s.charAt(i - 2))
                    || adjacent(s.charAt(i - 1), c));
            if (!predictable && seen.add(c)) {
                n++;
            }
        }
        return n;
    }

    private static boolean adjacent(char a, char b) {
        for (String run : RUNS) {
            int i = run.indexOf(a);
            while (i >= 0) {
                if ((i + 1 < run.length() && run.charAt(i + 1) == b) || (i > 0 && run.charAt(i - 1) == b)) {
                    return true;
                }
                i = run.indexOf(a, i + 1);
            }
        }
        return false;
    }

    /** A common word, once digits and signs around it are taken off and leetspeak is read back. */
    private static boolean common(String s) {
        if (s.matches("\\d+")) {
            // pinyin-era favourites ("5201314": I love you for life), or a few digits shuffled
            return s.contains("5201314") || s.contains("1314520") || s.contains("147258369")
                    || s.chars().distinct().count() <= 3;
        }
        String core = trim(s);
        String unleet = trim(unleet(core));
        String letters = s.replaceAll("[^\\p{L}]", "");
        return COMMON.contains(core) || COMMON.contains(unleet) || COMMON.contains(letters)
                || COMMON.contains(trim(unleet(s))) || repeatsOne(letters) || repeatsOne(unleet);
    }

    private static String trim(String s) {
        return s.replaceAll("^[^\\p{L}]+|[^\\p{L}]+$", "");
    }

    private static String unleet(String s) {
        return s.replace('@', 'a').replace('4', 'a').replace('$', 's').replace('5', 's').replace('0', 'o')
                .replace('1', 'i').replace('3', 'e').replace('!', 'i').replace('7', 't');
    }

    /** "passwordpassword", "adminadmin": a common word said twice or more. */
    private static boolean repeatsOne(String letters) {
        for (String w : COMMON) {
            if (letters.length() > w.length() && letters.length() % w.length() == 0 && letters.equals(w.repeat(
                    letters.length() / w.length()))) {
                return true;
            }
        }
        return false;
    }
}
