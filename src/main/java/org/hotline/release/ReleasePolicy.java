package org.hotline.release;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;

/**
 * When a facility's (or one service's) quota opens, moves and closes. Days are counted back from the
 * slot's date; times are local (Asia/Shanghai).
 *
 * @param publicDaysAhead             PUBLIC opens this many days before the slot's date …
 * @param publicOpensAt               … at this time
 * @param communityDaysAhead          COMMUNITY (district hospitals only) opens this many days before …
 * @param communityOpensAt            … at this time
 * @param communityToPublicDaysBefore unused COMMUNITY places move to PUBLIC this many days before …
 * @param communityToPublicAt         … at this time
 * @param closeBefore                 phone booking closes this long before the slot starts
 * @param phoneToOnsiteAt             on the slot's day at this time unused phone quota (PUBLIC, COMMUNITY) moves to
 *                                    ONSITE for walk-ins; null: it does not move
 */
public record ReleasePolicy(int publicDaysAhead, LocalTime publicOpensAt, int communityDaysAhead,
        LocalTime communityOpensAt, int communityToPublicDaysBefore, LocalTime communityToPublicAt,
        Duration closeBefore, LocalTime phoneToOnsiteAt) {

    public ReleasePolicy {
        if (publicDaysAhead < 0 || communityDaysAhead < 0 || communityToPublicDaysBefore < 0) {
            throw new IllegalArgumentException("days ahead must not be negative");
        }
        if (publicOpensAt == null || communityOpensAt == null || communityToPublicAt == null || closeBefore == null
                || closeBefore.isNegative()) {
            throw new IllegalArgumentException("a release policy needs its opening and moving times and a cut-off");
        }
    }

    public LocalDateTime publicOpens(LocalDate slotDate) {
        return slotDate.minusDays(publicDaysAhead).atTime(publicOpensAt);
    }

    public LocalDateTime communityOpens(LocalDate slotDate) {
        return slotDate.minusDays(communityDaysAhead).atTime(communityOpensAt);
    }

    public LocalDateTime communityToPublic(LocalDate slotDate) {
        return slotDate.minusDays(communityToPublicDaysBefore).atTime(communityToPublicAt);
    }

    public LocalDateTime closes(LocalDateTime slotStart) {
        return slotStart.minus(closeBefore);
    }

    /** Null when unused phone quota stays where it is. */
    public LocalDateTime phoneToOnsite(LocalDate slotDate) {
        return phoneToOnsiteAt == null ? null : slotDate.atTime(phoneToOnsiteAt);
    }
}
