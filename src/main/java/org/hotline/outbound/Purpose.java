package org.hotline.outbound;

/** Why the gateway calls someone. */
public enum Purpose {
    /** The day-before reminder of a booking (ref: booking id), ivr-flows/reminder.yaml. */
    REMINDER,
    /** A person asked to be called back (ref: call-back request id): hello, then the agents' queue, first in line. */
    CALLBACK,
    /** A session was cancelled (停诊) (ref: the cancelled booking's id): ivr-flows/session_cancelled.yaml, the offer. */
    SESSION_CANCELLED,
    /** A place freed up for someone on a waiting list (ref: the waitlist entry's id): ivr-flows/waitlist_offer.yaml. */
    WAITLIST_OFFER
}
