package org.hotline.handoff;

/** Why a call left the menu for a person. */
public enum TransferReason {
    /** The caller pressed 0. */
    ASKED_FOR_PERSON,
    /** Three timeouts or invalid keys in a row. */
    REPEATED_FAILURE,
    /** The booking core refused and the menu had no way on the caller took. */
    REFUSAL,
    /** The menu itself cannot do what the caller needs (e.g. no free places anywhere). */
    NOT_IN_MENU,
    /** The caller wanted to check or cancel a booking from a withheld or unverified number. */
    UNVERIFIED_CALLER,
    /** Too many booking codes or resident IDs that found nothing, in this call or from this number today. */
    LOOKUP_LIMIT,
    /** The menu could not go on: its database was away, or a step failed. */
    SYSTEM_FAULT,
    /** The caller wants to make a complaint and it could not be recorded in the menu (issue 16). */
    COMPLAINT
}
