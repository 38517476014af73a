package org.hotline.booking;

/**
 * The one rule for who may reach a booking by phone, asked by the voice menu and by SMS replies alike: a
 * phone is tied to a booking when it is the booking's SMS number or one of its family phones
 * ({@code booking_phone}), or when the booking was made from it (the calling number, matched by its keyed
 * hash). As SQL over a booking aliased {@code b}, so that a look-up filtered by it does the same work
 * whether the booking does not exist or belongs to someone else.
 */
final class PhoneTie {

    /** Two parameters: the normalised phone, then its keyed hash ({@link #args}). */
    static final String SQL = "(b.id IN (SELECT booking_id FROM booking_phone WHERE phone = ?) OR b.caller_hash = ?)";

    private PhoneTie() {
    }

    static Object[] args(String normalisedPhone, KeyedHash hash) {
        return new Object[] {normalisedPhone, hash.of(normalisedPhone)};
    }
}
