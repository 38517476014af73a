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
    SMS_REPLY(List.of());

    private final List<Pool> pools;

    Channel(List<Pool> pools) {
        this.pools = pools;
    }

    /** Pools this channel may book from, in the order it should try them. ONSITE is never among them. */
    public List<Pool> pools() {
        return pools;
    }

    public boolean mayBook(Pool pool) {
        return pools.contains(pool);
    }
}
