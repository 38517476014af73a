package org.hotline.ops.report;

import org.hotline.booking.Pool;

/**
 * What became of one pool over a facility's day (all its slots summed).
 *
 * @param offered  places the pool had before any move (capacity + moved out − moved in)
 * @param movedOut unused places the release jobs moved to another pool
 * @param movedIn  places moved into this pool from another
 * @param capacity places now (after moves)
 * @param booked   places booked (cancellations gave theirs back; no-shows keep theirs)
 * @param held     places held by a caller right now
 * @param left     places nobody took: capacity − booked − held
 */
public record PoolUse(Pool pool, int slots, int offered, int movedOut, int movedIn, int capacity, int booked, int held,
        int left) {
}
