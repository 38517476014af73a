package org.hotline.ops.report;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

import org.hotline.booking.FacilityKind;
import org.hotline.booking.Pool;

/** The bureau's policy check: each promise of the phone channel answered yes or no, with its evidence. */
@Service
public class PolicyChecks {

    public static final String COMMUNITY_SHARE = "community-share";
    public static final String COMMUNITY_DAYS_AHEAD = "community-days-ahead";
    public static final String ONSITE_NOT_BY_PHONE = "onsite-not-by-phone";

    private final SupervisionReports reports;
    private final JdbcTemplate jdbc;
    private final ReportProperties props;
    private final ModuleTables tables;

    public PolicyChecks(SupervisionReports reports, JdbcTemplate jdbc, ReportProperties props, ModuleTables tables) {
        this.reports = reports;
        this.jdbc = jdbc;
        this.props = props;
        this.tables = tables;
    }

    public List<PolicyCheck> check(ReportRange range) {
        reports.checked(range);
        return List.of(communityShare(range), communityDaysAhead(range), onsiteNotByPhone(range));
    }

    /**
     * 下沉号源 ≥ 40 %: at every district hospital, on every clinic day, the COMMUNITY pools' places as
     * offered (before unused ones moved to PUBLIC) are at least the minimum share of COMMUNITY + PUBLIC.
     */
    PolicyCheck communityShare(ReportRange range) {
        ReportRange all = new ReportRange(range.from(), range.to(), null);
        record Hospital(FacilityRef f, List<FacilityDay> days) {
        }
        Map<Long, Hospital> hospitals = new LinkedHashMap<>();
        for (FacilityDay d : reports.facilityDays(all)) {
            if (d.facility().kind() == FacilityKind.DISTRICT_HOSPITAL
                    && d.use(Pool.COMMUNITY).offered() + d.use(Pool.PUBLIC).offered() > 0) {
                hospitals.computeIfAbsent(d.facility().id(), k -> new Hospital(d.facility(), new ArrayList<>()))
                        .days().add(d);
            }
        }
        double min = props.communityShareMin();
        List<List<String>> rows = new ArrayList<>();
        int failing = 0;
        for (Hospital h : hospitals.values()) {
            int community = 0;
            int pub = 0;
            double lowest = 2;
            LocalDate lowestDay = null;
            List<String> below = new ArrayList<>();
            for (FacilityDay d : h.days()) {
                int c = d.use(Pool.COMMUNITY).offered();
                int p = d.use(Pool.PUBLIC).offered();
                community += c;
                pub += p;
                double share = (double) c / (c + p);
                if (share < lowest) {
                    lowest = share;
                    lowestDay = d.day();
                }
                if (share < min) {
                    below.add(d.day() + "（" + Format.percent(share) + "）");
                }
            }
            if (!below.isEmpty()) {
                failing++;
            }
            rows.add(List.of(h.f().name(), String.valueOf(h.days().size()), String.valueOf(community),
                    String.valueOf(pub), Format.percent((double) community / (community + pub)),
                    Format.percent(lowest) + "（" + lowestDay + "）", below.isEmpty() ? "0"
                            : below.size() + "：" + String.join("、", below.subList(0, Math.min(10, below.size())))
                                    + (below.size() > 10 ? " …" : "")));
        }
        PolicyCheck.Verdict verdict;
        String summary;
        if (hospitals.isEmpty()) {
            verdict = PolicyCheck.Verdict.UNKNOWN;
            summary = "所选日期内没有区级医院的号源。";
        } else if (failing == 0) {
            verdict = PolicyCheck.Verdict.YES;
            summary = hospitals.size() + " 家区级医院每个就诊日的社区号源均不低于可预约号源的 " + Format.percent(min) + "。";
        } else {
            verdict = PolicyCheck.Verdict.NO;
            summary = failing + " 家区级医院有就诊日的社区号源低于 " + Format.percent(min) + "。";
        }
        return new PolicyCheck(COMMUNITY_SHARE, "区级医院社区下沉号源是否不低于 " + Format.percent(min) + "？", verdict,
                summary + "占比 = 社区号源 ÷（社区号源 + 普通号源），按放号时的号源计（未用社区号转入普通号之前），现场号不计入。",
                List.of("医院", "就诊日数", "社区号源", "普通号源", "总占比", "最低日占比", "未达标日"), rows);
    }

    /**
     * 下沉号源提前 14 天放号: every community pool with places at a district hospital was opened by a release
     * (its OPEN step, audited in release_audit with the actual time) at least 14 days before its clinic day.
     */
    PolicyCheck communityDaysAhead(ReportRange range) {
        int ahead = props.communityDaysAhead();
        String question = "社区号源是否提前 " + ahead + " 天放号？";
        if (!tables.has(ModuleTables.RELEASE_AUDIT) || !tables.has(ModuleTables.RELEASE_STEP)) {
            return new PolicyCheck(COMMUNITY_DAYS_AHEAD, question, PolicyCheck.Verdict.UNKNOWN,
                    "这个数据库没有放号审计记录（release 模块未安装），无法从数据判断。", List.of(), List.of());
        }
        // every community pool with places at a district hospital, and the opening its OPEN step recorded
        List<List<String>> rows = new ArrayList<>();
        int failing = 0;
        int hospitals = 0;
        for (Map<String, Object> r : jdbc.queryForList("""
                SELECT f.name, COUNT(*) AS pools, SUM(IFNULL(st.status, '') = 'DONE') AS opened,
                       MIN(CASE WHEN st.status = 'DONE' THEN DATEDIFF(sl.slot_date, DATE(st.done_at)) END) AS min_ahead,
                       SUM(IFNULL(st.status, '') = 'DONE' AND DATEDIFF(sl.slot_date, DATE(st.done_at)) < ?) AS short_pools,
                       SUM(IFNULL(st.status, '') <> 'DONE') AS unopened
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id JOIN service s ON s.id = sl.service_id
                JOIN facility f ON f.id = s.facility_id
                LEFT JOIN release_step st ON st.pool_id = q.id AND st.action = 'OPEN'
                WHERE q.pool = 'COMMUNITY' AND f.kind = 'DISTRICT_HOSPITAL' AND sl.slot_date BETWEEN ? AND ?
                  AND (q.capacity > 0 OR st.places > 0
                       OR EXISTS (SELECT 1 FROM release_step mv WHERE mv.pool_id = q.id AND mv.action <> 'OPEN'
                                  AND mv.places > 0))
                GROUP BY f.id, f.name ORDER BY f.name""", ahead, range.from(), range.to())) {
            hospitals++;
            int shortPools = ((Number) r.get("short_pools")).intValue();
            int unopened = ((Number) r.get("unopened")).intValue();
            if (shortPools > 0 || unopened > 0) {
                failing++;
            }
            rows.add(List.of((String) r.get("name"), String.valueOf(r.get("pools")), String.valueOf(r.get("opened")),
                    r.get("min_ahead") == null ? "—" : r.get("min_ahead") + " 天", String.valueOf(shortPools),
                    String.valueOf(unopened)));
        }
        PolicyCheck.Verdict verdict = hospitals == 0 ? PolicyCheck.Verdict.UNKNOWN
                : failing == 0 ? PolicyCheck.Verdict.YES : PolicyCheck.Verdict.NO;
        String summary = switch (verdict) {
            case UNKNOWN -> "所选日期内没有区级医院的社区号源。";
            case YES -> hospitals + " 家区级医院的每个社区号源时段都按放号审计提前至少 " + ahead + " 天放号。";
            case NO -> failing + " 家区级医院有社区号源提前不足 " + ahead + " 天放号，或没有放号记录。";
        };
        return new PolicyCheck(COMMUNITY_DAYS_AHEAD, question, verdict,
                summary + "提前天数 = 就诊日 − 实际放号日（放号审计的执行时间）。",
                List.of("医院", "社区号时段", "已放号", "最少提前", "提前不足的时段", "无放号记录的时段"), rows);
    }

    /**
     * 现场号不经电话: no booking and no hold ever took an ONSITE place, but the hospital window's own (channel
     * HOSPITAL: a HIS recording its walk-ins over FHIR, docs/his.md).
     */
    PolicyCheck onsiteNotByPhone(ReportRange range) {
        List<List<String>> rows = new ArrayList<>();
        int bookings = 0;
        for (Map<String, Object> r : jdbc.queryForList("""
                SELECT channel, COUNT(*) AS n FROM booking WHERE pool = 'ONSITE' AND slot_date BETWEEN ? AND ?
                  AND channel <> 'HOSPITAL'
                GROUP BY channel ORDER BY channel""", range.from(), range.to())) {
            int n = ((Number) r.get("n")).intValue();
            bookings += n;
            rows.add(List.of("预约（" + Format.channel((String) r.get("channel")) + "）", String.valueOf(n)));
        }
        int holds = jdbc.queryForObject("""
                SELECT COUNT(*) FROM hold h JOIN quota_pool q ON q.id = h.pool_id JOIN slot sl ON sl.id = q.slot_id
                WHERE q.pool = 'ONSITE' AND sl.slot_date BETWEEN ? AND ? AND h.channel <> 'HOSPITAL'""", Integer.class,
                range.from(), range.to());
        Map<String, Object> kept = jdbc.queryForMap("""
                SELECT COUNT(*) AS pools, COALESCE(SUM(q.capacity), 0) AS places, COALESCE(SUM(q.booked + q.held), 0) AS taken
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id
                WHERE q.pool = 'ONSITE' AND sl.slot_date BETWEEN ? AND ?""", range.from(), range.to());
        // the window's own bookings and holds (a hospital system over FHIR, channel HOSPITAL) are what ONSITE is for
        int byWindow = jdbc.queryForObject("""
                SELECT (SELECT COUNT(*) FROM booking WHERE pool = 'ONSITE' AND channel = 'HOSPITAL' AND status <> 'CANCELLED'
                          AND slot_date BETWEEN ? AND ?)
                     + (SELECT COUNT(*) FROM hold h JOIN quota_pool q ON q.id = h.pool_id JOIN slot sl ON sl.id = q.slot_id
                          WHERE q.pool = 'ONSITE' AND h.channel = 'HOSPITAL' AND h.status = 'ACTIVE'
                            AND sl.slot_date BETWEEN ? AND ?)""", Integer.class, range.from(), range.to(), range.from(),
                range.to());
        int taken = ((Number) kept.get("taken")).intValue() - byWindow;
        rows.add(0, List.of("现场号源（时段数 " + kept.get("pools") + "）", String.valueOf(kept.get("places"))));
        rows.add(List.of("电话预约的现场号（合计）", String.valueOf(bookings)));
        rows.add(List.of("占用现场号的锁号（任何状态）", String.valueOf(holds)));
        rows.add(List.of("现场号计数中的已约/锁定", String.valueOf(taken)));
        boolean ok = bookings == 0 && holds == 0 && taken == 0;
        return new PolicyCheck(ONSITE_NOT_BY_PHONE, "现场号是否从未被电话预约？",
                ok ? PolicyCheck.Verdict.YES : PolicyCheck.Verdict.NO,
                ok ? "所选日期内没有任何预约或锁号占用现场号。"
                        : "有 " + bookings + " 个预约、" + holds + " 个锁号占用了现场号。",
                List.of("项目", "数量"), rows);
    }
}
