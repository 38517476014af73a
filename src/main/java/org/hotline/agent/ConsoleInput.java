package org.hotline.agent;

/**
 * The shapes the console API accepts, checked before anything is looked up or held: a value that could never
 * be right (too long for its column, wrong characters, a missing required field) is a 400 with the field's
 * name, never a database error. What the booking rules decide (an ID's check digit, a landline given for SMS)
 * stays their refusal (422).
 */
public final class ConsoleInput {

    public static final int MAX_CODE = 16;
    public static final int MAX_PHONE = 24;
    public static final int MAX_RESIDENT_ID = 32;
    public static final int MAX_TRANSFER_ID = 40;
    public static final int MAX_FAMILY_PHONES = 5;

    private ConsoleInput() {
    }

    /** The request names a field that cannot be right; the API answers 400 with {@code field} and {@code text}. */
    public static class BadInput extends RuntimeException {
        private final String field;

        public BadInput(String field, String text) {
            super(text, null, false, false);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    static void positive(String field, long id) {
        if (id <= 0) {
            throw new BadInput(field, "请选择时段");
        }
    }

    static void maxLength(String field, String value, int max) {
        if (value != null && value.length() > max) {
            throw new BadInput(field, "输入太长（" + field + " 最多 " + max + " 个字符）");
        }
    }

    /** Required; at most 32 characters of digits, X, * and spaces (the rules then check it as an ID). */
    static void residentId(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new BadInput(field, "请输入身份证号");
        }
        maxLength(field, value, MAX_RESIDENT_ID);
        if (!value.strip().matches("[0-9Xx* ]+")) {
            throw new BadInput(field, "身份证号只能包含数字和 X");
        }
    }

    /** Optional; a phone number: digits with an optional leading +, spaces and dashes, 3 to 20 digits. */
    static void phone(String field, String value) {
        if (value == null || value.isBlank()) {
            return;
        }
        maxLength(field, value, MAX_PHONE);
        String s = value.strip().replaceAll("[\\s-]", "");
        if (!s.matches("\\+?\\d{3,20}")) {
            throw new BadInput(field, "电话号码只能包含数字（3 到 20 位）");
        }
    }
}
