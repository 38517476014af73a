package org.hotline.agent;

/** What came of one try to call a caller back. */
public enum CallbackOutcome {
    /** Spoke to the caller and helped them: the call-back is done. */
    REACHED("已接通并处理", "DONE"),
    NO_ANSWER("无人接听", null),
    BUSY("占线", null),
    /** Answered, but nobody spoke or pressed a key (an answering machine, likely); the automatic call-back tries again. */
    SILENCE("接通无声", null),
    /** The number is wrong or out of service: trying again will not help. */
    WRONG_NUMBER("号码错误或停机", "GAVE_UP");

    private final String label;
    private final String closesAs;

    CallbackOutcome(String label, String closesAs) {
        this.label = label;
        this.closesAs = closesAs;
    }

    public String label() {
        return label;
    }

    /** The request's status after this outcome, or null if it stays open (until the attempts run out). */
    public String closesAs() {
        return closesAs;
    }
}
