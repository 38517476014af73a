package org.hotline.sms;

/** Why a message is sent. Decides its template and whether a failure is worth an agent's notice. */
public enum SmsKind {
    /** To the patient's SMS number after booking. */
    CONFIRMATION,
    /** A copy of the confirmation to a family phone; the patient shown masked. */
    FAMILY_COPY,
    /** To the patient and every family phone when a booking is cancelled (also the answer to a reply). */
    CANCELLATION,
    /**
     * The hospital cancelled the session (停诊): to the patient and every family phone, with the nearest free slice
     * and "reply 1 to move to it".
     */
    HOSPITAL_CANCELLATION,
    /** The day before the visit, to the patient and family phones. */
    REMINDER,
    /** Vaccines: the next dose may be booked from a date (sent on that date). */
    NEXT_DOSE,
    /** The answer to an SMS reply that did not cancel (help text, refusal). */
    REPLY,
    /** To the configured agent phones: a number could not be reached. */
    AGENT_NOTICE,
    /** A freed place held for someone on the waitlist: reply with the code to book it (issue 16). */
    WAITLIST_OFFER;

    /**
     * Not an answer to something the caller just did, but sent on our own schedule: held back during the
     * quiet hours ({@link QuietHours}).
     */
    public boolean keepsQuietHours() {
        return this == REMINDER || this == NEXT_DOSE;
    }

    /** A failure of these means a patient or family did not hear from us: agents should know. */
    boolean worthANotice() {
        return this != REPLY && this != AGENT_NOTICE;
    }
}
