package org.hotline.ops.report;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/**
 * Whether every release ran on time: the release module's audit (planned and actual time of each opening
 * and move) and its planned steps that never ran. Follow-up moves (places that came back after a move)
 * are left out: they run later by design.
 */
@Service
public class ReleaseReports {

    public enum State {
        /** Done; on time or late as {@code late} says. */
        DONE("已执行"),
        /** Due (planned time plus the grace has passed) and still not done. */
        MISSED("逾期未执行"),
        /** Not done because the slot was already over when a job came to it. */
        SKIPPED("未执行（时段已过）");

        private final String label;

        State(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One release of one facility at one planned time: an action on one pool kind, over all the slots it
     * covered.
     *
     * @param audits      audit rows (one per service and clinic day), or steps for MISSED/SKIPPED
     * @param pools       slot pools opened or moved from (steps for MISSED/SKIPPED)
     * @param places      places opened (free at opening) or moved
     * @param delaySeconds from the planned time to the last audit row's actual time (null unless DONE)
     */
    public record ReleaseRun(long facilityId, String facilityName, LocalDateTime plannedAt, String action,
            String pool, String targetPool, State state, int audits, int pools, int places, LocalDateTime firstDone,
            LocalDateTime lastDone, Long delaySeconds, boolean late) {

        public boolean onTime() {
            return state == State.DONE && !late;
        }
    }

    private final JdbcTemplate jdbc;
    private final ReportProperties props;
    private final Clock clock;
    private final SupervisionReports reports;

    public ReleaseReports(JdbcTemplate jdbc, ReportProperties props, Clock clock,
            SupervisionReports reports) {
        this.jdbc = jdbc;
        this.props = props;
        this.clock = clock;
        this.reports = reports;
    }


    /** Releases planned in the range (by planned time), at one facility or all, in planned order. */
    public List<ReleaseRun> releases(ReportRange range) {
        reports.checked(range);
        Duration grace = props.releaseGrace();
        String facility = range.facilityId() == null ? "" : " AND a.facility_id = " + range.facilityId();
        List<ReleaseRun> out = new ArrayList<>(jdbc.query("""
                SELECT a.facility_id, f.name, a.planned_at, a.action, a.pool, a.target_pool, COUNT(*), SUM(a.pools),
                       SUM(a.places), MIN(a.done_at), MAX(a.done_at)
                FROM release_audit a JOIN facility f ON f.id = a.facility_id
                WHERE a.follow_up = FALSE AND a.planned_at >= ? AND a.planned_at < ?""" + facility + """

                GROUP BY a.facility_id, f.name, a.planned_at, a.action, a.pool, a.target_pool""", (rs, i) -> {
                    LocalDateTime planned = rs.getObject(3, LocalDateTime.class);
                    LocalDateTime last = rs.getObject(11, LocalDateTime.class);
                    long delay = Duration.between(planned, last).toSeconds();
                    return new ReleaseRun(rs.getLong(1), rs.getString(2), planned, rs.getString(4), rs.getString(5),
                            rs.getString(6), State.DONE, rs.getInt(7), rs.getInt(8), rs.getInt(9),
                            rs.getObject(10, LocalDateTime.class), last, delay, last.isAfter(planned.plus(grace)));
                }, range.from().atStartOfDay(), range.end().atStartOfDay()));
        LocalDateTime dueBefore = LocalDateTime.now(clock).minus(grace);
        out.addAll(jdbc.query("""
                SELECT st.facility_id, f.name, st.planned_at, st.action, st.pool, st.target_pool, st.status, COUNT(*)
                FROM release_step st JOIN facility f ON f.id = st.facility_id
                WHERE ((st.status = 'PLANNED' AND st.planned_at < ?) OR st.status = 'SKIPPED')
                  AND st.planned_at >= ? AND st.planned_at < ?""" + facility.replace("a.", "st.") + """

                GROUP BY st.facility_id, f.name, st.planned_at, st.action, st.pool, st.target_pool, st.status""",
                (rs, i) -> new ReleaseRun(rs.getLong(1), rs.getString(2), rs.getObject(3, LocalDateTime.class),
                        rs.getString(4), rs.getString(5), rs.getString(6),
                        "SKIPPED".equals(rs.getString(7)) ? State.SKIPPED : State.MISSED, rs.getInt(8), rs.getInt(8), 0,
                        null, null, null, true),
                dueBefore, range.from().atStartOfDay(), range.end().atStartOfDay()));
        out.sort(Comparator.comparing(ReleaseRun::plannedAt).thenComparing(ReleaseRun::facilityId)
                .thenComparing(ReleaseRun::action).thenComparing(ReleaseRun::pool));
        return out;
    }
}
