package org.hotline.booking;

/** What came of checking a patient in at the facility's desk (到诊签到). */
public sealed interface CheckInOutcome {

    /** The booking is now ATTENDED: it never counts as a no-show. */
    record CheckedIn(Booking booking) implements CheckInOutcome {
    }

    /** Not checked in, and why, with the booking when one was found (to show the desk which it is). */
    record Refused(Reason reason, Booking booking) implements CheckInOutcome {
    }

    /** Why not, in the words the desk's screen shows. */
    enum Reason {
        NOT_FOUND("没有找到该预约码"),
        OTHER_FACILITY("该预约不在本机构就诊"),
        NOT_TODAY("该预约不是今天的号"),
        ALREADY_CHECKED_IN("该预约已经签到"),
        NOT_ACTIVE("该预约已取消或已记为爽约");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }
}
