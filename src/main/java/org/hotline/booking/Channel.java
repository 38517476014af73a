package org.hotline.booking;

import java.util.List;

/** Where a booking action comes from. Decides which quota pools it may take from. */
public enum Channel {
    /** The voice menu (FastAGI or direct SIP). */
    PHONE_MENU(List.of(Pool.PUBLIC)),
    /** A call-centre agent in the console. */
    AGENT(List.of(Pool.PUBLIC)),
    /** A community doctor booking an upward referral: the reserved community share first. */
    COMMUNITY_DOCTOR(List.of(Pool.COMMUNITY, Pool.PUBLIC)),
    /** An SMS reply (cancellations only). */
    SMS_REPLY(List.of()),
    /**
     * A hospital system over FHIR (module his): the window's bookings into the walk-in reserve, cancellations and
     * check-ins of its own facilities' bookings. The only channel that may take from ONSITE.
     */
    HOSPITAL(List.of(Pool.ONSITE));

    private final List<Pool> pools;

    Channel(List<Pool> pools) {
        this.pools = pools;
    }

    /** Pools this channel may book from, in the order it should try them. ONSITE only for {@link #HOSPITAL}. */
    public List<Pool> pools() {
        return pools;
    }

    public boolean mayBook(Pool pool) {
        return pools.contains(pool);
    }
}
