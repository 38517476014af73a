package org.hotline.booking;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.Period;
import java.util.Optional;

/**
 * An 18-character resident ID (GB 11643). On a phone keypad the final X is keyed as {@code *}.
 * {@link #toString()} is masked so that an ID never lands whole in a log line.
 */
public final class ResidentId {

    private static final int[] WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    private static final char[] CHECK = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

    private final String value;
    private final LocalDate birthDate;

    private ResidentId(String value, LocalDate birthDate) {
        this.value = value;
        this.birthDate = birthDate;
    }

    /** Result of parsing keyed or typed input: the ID, or why it is not one. */
    public record Parsed(ResidentId id, Refusal refusal) {
        public boolean valid() {
            return id != null;
        }
    }

    public static Parsed parse(String input) {
        if (input == null) {
            return new Parsed(null, Refusal.ID_INVALID);
        }
        String s = input.trim().replace('*', 'X').replace('x', 'X');
        if (!s.matches("\\d{17}[\\dX]")) {
            return new Parsed(null, Refusal.ID_INVALID);
        }
        LocalDate birth;
        try {
            birth = LocalDate.of(Integer.parseInt(s.substring(6, 10)), Integer.parseInt(s.substring(10, 12)),
                    Integer.parseInt(s.substring(12, 14)));
        } catch (DateTimeException e) {
            return new Parsed(null, Refusal.ID_INVALID);
        }
        if (birth.getYear() < 1880) {
            return new Parsed(null, Refusal.ID_INVALID);
        }
        if (s.charAt(17) != checkDigit(s)) {
            return new Parsed(null, Refusal.ID_CHECK_DIGIT);
        }
        return new Parsed(new ResidentId(s, birth), null);
    }

    /** Parses input known to be valid (tests, demo data); throws otherwise. */
    public static ResidentId of(String input) {
        Parsed p = parse(input);
        if (!p.valid()) {
            throw new IllegalArgumentException("not a valid resident ID: " + p.refusal());
        }
        return p.id();
    }

    /** The GB 11643 check character for the first 17 digits. */
    public static char checkDigit(String first17) {
        int sum = 0;
        for (int i = 0; i < 17; i++) {
            sum += (first17.charAt(i) - '0') * WEIGHTS[i];
        }
        return CHECK[sum % 11];
    }

    public static Optional<ResidentId> tryParse(String input) {
        return Optional.ofNullable(parse(input).id());
    }

    public String value() {
        return value;
    }

    public LocalDate birthDate() {
        return birthDate;
    }

    public int ageOn(LocalDate date) {
        return Period.between(birthDate, date).getYears();
    }

    /**
     * {@code **************123X}: only the last four (the end of the sequence number and the check
     * character), for display, read-out ("the ID ending 123X") and logs. Nothing of the region or the
     * birth date: those, with the birth year or age that is stored and the hash key, would give the
     * whole ID back (docs/security.md).
     */
    public String masked() {
        return mask(value);
    }

    public static String mask(String id) {
        if (id == null || id.length() < 8) {
            return "****";
        }
        return "*".repeat(id.length() - 4) + id.substring(id.length() - 4);
    }

    /** The last four characters, as {@link #masked()} shows them. */
    public String lastFour() {
        return value.substring(value.length() - 4);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResidentId r && r.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return masked();
    }
}
