package org.hotline.release;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which facilities a release run covers: every facility (what the scheduled jobs do), or a few (an
 * operator re-running one facility, or a test that must not touch anyone else's quota).
 */
public record ReleaseScope(Set<Long> facilityIds) {

    public static final ReleaseScope ALL = new ReleaseScope(null);

    public ReleaseScope {
        facilityIds = facilityIds == null ? null : Set.copyOf(facilityIds);
    }

    public static ReleaseScope facilities(Long... ids) {
        return new ReleaseScope(Set.of(ids));
    }

    /** An {@code AND column IN (…)} clause, empty for all facilities. Ids are numbers, so nothing to escape. */
    String and(String column) {
        if (facilityIds == null) {
            return "";
        }
        if (facilityIds.isEmpty()) {
            return " AND 1 = 0";
        }
        return " AND " + column + " IN (" + facilityIds.stream().map(String::valueOf).collect(Collectors.joining(","))
                + ")";
    }
}
