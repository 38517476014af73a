package org.hotline.ops.report;

import java.time.LocalDate;
import java.util.Map;

import org.hotline.booking.Channel;
import org.hotline.booking.Pool;

/**
 * One facility's clinic day: the bookings for its slots on that day (every booking made, also those
 * cancelled later), where they came from, who they were for, and what became of each pool.
 *
 * @param bookings    bookings made for the day's slots, whatever became of them
 * @param byChannel   those bookings by the channel that made them
 * @param byAgeBand   by the patient's age on the day of the slot
 * @param byPool      by the pool they took
 * @param cancelled   of those, cancelled
 * @param noShows     of those, marked NO_SHOW
 * @param attended    of those, marked ATTENDED
 * @param madeThatDay bookings made on this day (any slot date) at this facility: the hotline's work that day
 */
public record FacilityDay(FacilityRef facility, LocalDate day, int bookings, Map<Channel, Integer> byChannel,
        Map<AgeBand, Integer> byAgeBand, Map<Pool, Integer> byPool, Map<Pool, PoolUse> pools, int cancelled,
        int noShows, int attended, int madeThatDay) {

    public int channel(Channel c) {
        return byChannel.getOrDefault(c, 0);
    }

    public int ageBand(AgeBand b) {
        return byAgeBand.getOrDefault(b, 0);
    }

    public int pool(Pool p) {
        return byPool.getOrDefault(p, 0);
    }

    public PoolUse use(Pool p) {
        return pools.getOrDefault(p, new PoolUse(p, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    public PoolUse onsite() {
        return use(Pool.ONSITE);
    }

    /** The walk-in reserve kept for the day: ONSITE places as a share of every place offered. */
    public double onsiteShare() {
        int all = 0;
        for (PoolUse u : pools.values()) {
            all += u.offered();
        }
        return all == 0 ? 0 : (double) use(Pool.ONSITE).capacity() / all;
    }
}
