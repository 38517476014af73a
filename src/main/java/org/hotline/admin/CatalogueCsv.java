package org.hotline.admin;

import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.agent.Actor;
import org.hotline.agent.ConsoleRole;
import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.CatalogueAdmin;
import org.hotline.booking.Facility;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.SpokenNames;
import org.hotline.booking.Vaccine;
import org.hotline.booking.VaccineSchedule;
import org.hotline.admin.RosterCsv.Problem;
import org.hotline.release.BureauRules;
import org.hotline.release.BureauRules.Breach;
import org.hotline.release.ReleasePolicies;
import org.hotline.release.ReleasePolicy;
import org.hotline.release.RosterAdmin;

/**
 * The rest of the catalogue as CSV, beside {@link RosterCsv} (departments and rosters), with the same rules
 * (docs/operations.md): the header names the columns, every line is checked first and the report names each
 * problem's line (header = line 1) and column; only a clean file is stored, all of it in one transaction with its
 * audit row ({@code CATALOGUE_IMPORT}).
 * <ul>
 * <li><b>facilities</b> ({@link #FACILITY_HEADER}; import ADMIN only): a new code is a new facility (its spoken name
 * generated when asked), a known code takes the file's name;</li>
 * <li><b>vaccines</b> ({@link #VACCINE_HEADER}; import ADMIN only): the vaccine types with their schedules
 * ({@link VaccineSchedule}): season as MM-DD, booster in days, and per-dose rules in {@code dose_rules} as
 * {@code number:min-max:minAge-maxAge} parts joined by {@code ;} (any bound may be empty, e.g.
 * {@code 2:60-180:} for the shingles second dose 60 to 180 days after the first);</li>
 * <li><b>policies</b> ({@link #POLICY_HEADER}; one facility, its administrators): the release policy of the
 * facility (empty {@code service_code}) or of one of its services. The bureau's rules are checked per line
 * ({@link BureauRules#policy}); a line that breaks them is refused naming the rule, unless an ADMIN gives an
 * override reason, recorded per line as from the screen.</li>
 * </ul>
 */
@Component
public class CatalogueCsv {

    public static final List<String> FACILITY_HEADER = List.of("code", "name", "kind", "district", "address");
    public static final List<String> VACCINE_HEADER = List.of("code", "name", "doses", "min_interval_days",
            "min_age_years", "max_age_years", "season_start", "season_end", "booster_after_days", "dose_rules",
            "bring_note");
    public static final List<String> POLICY_HEADER = List.of("service_code", "public_days_ahead", "public_opens_at",
            "community_days_ahead", "community_opens_at", "community_to_public_days_before", "community_to_public_at",
            "close_before_minutes", "phone_to_onsite_at");

    /** What an import found and did. */
    public record Report(boolean stored, int lines, int added, int updated, List<Problem> problems,
            List<Problem> overridden, int namesGenerated, List<String> nameFailures) {
    }

    private final Catalogue catalogue;
    private final CatalogueAdmin entries;
    private final VaccineSchedule schedules;
    private final ReleasePolicies policies;
    private final RosterAdmin rosters;
    private final BureauRules rules;
    private final HospitalAdmin admin;
    private final TransactionTemplate tx;

    public CatalogueCsv(Catalogue catalogue, CatalogueAdmin entries, VaccineSchedule schedules,
            ReleasePolicies policies, RosterAdmin rosters, BureauRules rules, HospitalAdmin admin,
            TransactionTemplate tx) {
        this.catalogue = catalogue;
        this.entries = entries;
        this.schedules = schedules;
        this.policies = policies;
        this.rosters = rosters;
        this.rules = rules;
        this.admin = admin;
        this.tx = tx;
    }

    // ------------------------------------------------------------------ facilities

    public String exportFacilities(Actor a) {
        StringBuilder out = new StringBuilder(String.join(",", FACILITY_HEADER)).append('\n');
        for (Facility f : admin.facilities(a)) {
            out.append(RosterCsv.row(f.code(), f.name(), f.kind().name(), f.district(), f.address())).append('\n');
        }
        return out.toString();
    }

    private record FacilityLine(int no, String code, String name, FacilityKind kind, String district,
            String address) {
    }

    public Report importFacilities(Actor a, String csv, String reason, boolean dryRun, boolean generateNames) {
        if (!HospitalAdmin.isAdmin(a)) {
            throw new HospitalAdmin.Forbidden("只有管理员可以导入机构");
        }
        if (!dryRun) {
            HospitalAdmin.requireReason(reason);
        }
        List<Problem> problems = new ArrayList<>();
        List<FacilityLine> lines = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Row r : rows(csv, FACILITY_HEADER, problems)) {
            int before = problems.size();
            String code = r.get(0);
            if (!code.matches(CatalogueAdmin.CODE)) {
                problems.add(new Problem(r.no(), "code", "机构代码须为 1–32 个字母、数字、- 或 _"));
            } else if (seen.putIfAbsent(code.toUpperCase(), r.no()) != null) {
                problems.add(new Problem(r.no(), "code", "机构代码 " + code + " 与第 " + seen.get(code.toUpperCase())
                        + " 行重复"));
            }
            String name = r.get(1);
            if (name.isEmpty() || name.length() > 100) {
                problems.add(new Problem(r.no(), "name", "机构名称不能为空，最多 100 个字"));
            }
            FacilityKind kind = null;
            try {
                kind = FacilityKind.valueOf(r.get(2).toUpperCase());
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(r.no(), "kind", "类别须为 DISTRICT_HOSPITAL、COMMUNITY_CENTRE 或 VACCINATION_CLINIC"));
            }
            if (r.get(3).length() > 64) {
                problems.add(new Problem(r.no(), "district", "区最多 64 个字"));
            }
            if (r.get(4).length() > 200) {
                problems.add(new Problem(r.no(), "address", "地址最多 200 个字"));
            }
            if (problems.size() == before) {
                Optional<Facility> existing = entries.facilityByCode(code);
                if (existing.isPresent() && existing.get().kind() != kind) {
                    problems.add(new Problem(r.no(), "kind", "已有机构 " + code + " 的类别是 " + existing.get().kind()
                            + "，不能在导入中改变"));
                } else {
                    lines.add(new FacilityLine(r.no(), code, name, kind, r.get(3), r.get(4)));
                }
            }
        }
        if (!problems.isEmpty() || dryRun) {
            return refused(lines.size(), problems, List.of());
        }
        record Stored(List<Long> added, int updated) {
        }
        Stored stored = tx.execute(s -> {
            List<Long> added = new ArrayList<>();
            int updated = 0;
            for (FacilityLine l : lines) {
                Optional<Facility> existing = entries.facilityByCode(l.code());
                if (existing.isPresent()) {
                    entries.renameFacility(existing.get().id(), l.name());
                    updated++;
                } else {
                    added.add(entries.addFacility(new CatalogueAdmin.NewFacility(l.code(), l.name(), l.kind(),
                            l.district(), l.address())));
                }
            }
            admin.record(a, "CATALOGUE_IMPORT", "OK", "导入机构：" + lines.size() + " 行，新机构 " + added.size() + "，更新 "
                    + updated + "；原因：" + reason.strip());
            return new Stored(added, updated);
        });
        int names = 0;
        List<String> failures = new ArrayList<>();
        if (generateNames) {
            for (long id : stored.added()) {
                try {
                    admin.generateName(a, id, SpokenNames.Kind.FACILITY, id, "导入时生成名称语音：" + reason.strip());
                    names++;
                } catch (RuntimeException e) {
                    failures.add(id + "：" + e.getMessage());
                }
            }
        }
        return new Report(true, lines.size(), stored.added().size(), stored.updated(), List.of(), List.of(), names,
                failures);
    }

    // ------------------------------------------------------------------ vaccines

    public String exportVaccines(Actor a) {
        requireAdminRole(a);
        StringBuilder out = new StringBuilder(String.join(",", VACCINE_HEADER)).append('\n');
        for (Vaccine v : catalogue.vaccines()) {
            VaccineSchedule.Schedule s = schedules.of(v.id());
            List<String> doses = new ArrayList<>();
            for (VaccineSchedule.Dose d : s.perDose()) {
                doses.add(d.number() + ":" + bound(d.minIntervalDays()) + "-" + bound(d.maxIntervalDays()) + ":"
                        + bound(d.minAgeYears()) + "-" + bound(d.maxAgeYears()));
            }
            out.append(RosterCsv.row(v.code(), v.name(), String.valueOf(s.doses()), String.valueOf(s.minIntervalDays()),
                    String.valueOf(s.minAgeYears()), String.valueOf(s.maxAgeYears()),
                    HospitalAdmin.monthDay(s.seasonStart()), HospitalAdmin.monthDay(s.seasonEnd()),
                    s.boosterAfterDays() == null ? "" : String.valueOf(s.boosterAfterDays()), String.join(";", doses),
                    v.bringNote())).append('\n');
        }
        return out.toString();
    }

    private record VaccineLine(int no, String code, String name, String bringNote, VaccineSchedule.Schedule schedule) {
    }

    public Report importVaccines(Actor a, String csv, String reason, boolean dryRun) {
        if (!HospitalAdmin.isAdmin(a)) {
            throw new HospitalAdmin.Forbidden("只有管理员可以导入疫苗品种");
        }
        if (!dryRun) {
            HospitalAdmin.requireReason(reason);
        }
        List<Problem> problems = new ArrayList<>();
        List<VaccineLine> lines = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Row r : rows(csv, VACCINE_HEADER, problems)) {
            int before = problems.size();
            String code = r.get(0);
            if (!code.matches(CatalogueAdmin.CODE)) {
                problems.add(new Problem(r.no(), "code", "疫苗代码须为 1–32 个字母、数字、- 或 _"));
            } else if (seen.putIfAbsent(code.toUpperCase(), r.no()) != null) {
                problems.add(new Problem(r.no(), "code", "疫苗代码 " + code + " 与第 " + seen.get(code.toUpperCase())
                        + " 行重复"));
            }
            String name = r.get(1);
            if (name.isEmpty() || name.length() > 100) {
                problems.add(new Problem(r.no(), "name", "疫苗名称不能为空，最多 100 个字"));
            }
            Integer doses = r.integer(2, problems, 1, 10);
            Integer interval = r.integer(3, problems, 0, 3650);
            Integer minAge = r.integer(4, problems, 0, 150);
            Integer maxAge = r.integer(5, problems, 0, 150);
            Integer booster = r.get(8).isEmpty() ? null : r.integer(8, problems, 1, 36500);
            List<VaccineSchedule.Dose> perDose = doseRules(r, problems);
            if (r.get(10).length() > 200) {
                problems.add(new Problem(r.no(), "bring_note", "须携带说明最多 200 个字"));
            }
            if (problems.size() == before) {
                try {
                    lines.add(new VaccineLine(r.no(), code, name, r.get(10), HospitalAdmin.schedule(doses, interval,
                            minAge, maxAge, r.get(6), r.get(7), booster, perDose)));
                } catch (CatalogueAdmin.Invalid e) {
                    problems.add(new Problem(r.no(), column(e.field()), e.getMessage()));
                }
            }
        }
        if (!problems.isEmpty() || dryRun) {
            return refused(lines.size(), problems, List.of());
        }
        int[] counts = tx.execute(s -> {
            int added = 0;
            int updated = 0;
            for (VaccineLine l : lines) {
                Optional<Long> existing = entries.vaccineId(l.code());
                if (existing.isPresent()) {
                    entries.updateVaccine(existing.get(), l.name(), l.bringNote(), l.schedule());
                    updated++;
                } else {
                    entries.addVaccine(new CatalogueAdmin.NewVaccine(l.code(), l.name(), l.schedule().doses(),
                            l.schedule().minIntervalDays(), l.schedule().minAgeYears(), l.schedule().maxAgeYears(),
                            l.bringNote()), l.schedule());
                    added++;
                }
            }
            admin.record(a, "CATALOGUE_IMPORT", "OK", "导入疫苗品种：" + lines.size() + " 行，新品种 " + added + "，更新 "
                    + updated + "；原因：" + reason.strip());
            return new int[] {added, updated};
        });
        return new Report(true, lines.size(), counts[0], counts[1], List.of(), List.of(), 0, List.of());
    }

    /** {@code dose_rules}: {@code n:min-max:minAge-maxAge} joined by {@code ;}, any bound empty. */
    private static List<VaccineSchedule.Dose> doseRules(Row r, List<Problem> problems) {
        List<VaccineSchedule.Dose> out = new ArrayList<>();
        String text = r.get(9);
        if (text.isEmpty()) {
            return out;
        }
        for (String part : text.split(";")) {
            String[] p = part.strip().split(":", -1);
            try {
                if (p.length < 2 || p.length > 3) {
                    throw new NumberFormatException();
                }
                int n = Integer.parseInt(p[0].strip());
                Integer[] interval = range(p[1]);
                Integer[] ages = p.length == 3 ? range(p[2]) : new Integer[] {null, null};
                out.add(new VaccineSchedule.Dose(n, interval[0], interval[1], ages[0], ages[1]));
            } catch (NumberFormatException e) {
                problems.add(new Problem(r.no(), "dose_rules", "各剂规则须为 剂次:最短-最长间隔天数:最小-最大年龄，用 ; 分开"
                        + "（如 2:60-180:）：" + RosterCsv.shorten(part)));
                return out;
            }
        }
        return out;
    }

    private static Integer[] range(String text) {
        String t = text.strip();
        if (t.isEmpty()) {
            return new Integer[] {null, null};
        }
        int dash = t.indexOf('-');
        if (dash < 0) {
            throw new NumberFormatException();
        }
        String lo = t.substring(0, dash).strip();
        String hi = t.substring(dash + 1).strip();
        return new Integer[] {lo.isEmpty() ? null : Integer.valueOf(lo), hi.isEmpty() ? null : Integer.valueOf(hi)};
    }

    private static String bound(Integer v) {
        return v == null ? "" : String.valueOf(v);
    }

    /** The CSV column of a field the schedule check names. */
    private static String column(String field) {
        return switch (field) {
            case "doses" -> "doses";
            case "minIntervalDays" -> "min_interval_days";
            case "minAgeYears" -> "min_age_years";
            case "seasonStart" -> "season_start";
            case "seasonEnd" -> "season_end";
            case "boosterAfterDays" -> "booster_after_days";
            case "perDose" -> "dose_rules";
            default -> "code";
        };
    }

    // ------------------------------------------------------------------ policies

    public String exportPolicies(Actor a, long facilityId) {
        admin.facility(a, facilityId);
        StringBuilder out = new StringBuilder(String.join(",", POLICY_HEADER)).append('\n');
        out.append(policyRow("", rosters.policy(facilityId, null))).append('\n');
        for (ServiceKind k : ServiceKind.values()) {
            for (BookableService s : catalogue.services(facilityId, k)) {
                Optional<ReleasePolicy> own = policies.stored(facilityId, s.id());
                own.ifPresent(p -> out.append(policyRow(s.code(), p)).append('\n'));
            }
        }
        return out.toString();
    }

    private static String policyRow(String service, ReleasePolicy p) {
        return RosterCsv.row(service, String.valueOf(p.publicDaysAhead()), p.publicOpensAt().toString(),
                String.valueOf(p.communityDaysAhead()), p.communityOpensAt().toString(),
                String.valueOf(p.communityToPublicDaysBefore()), p.communityToPublicAt().toString(),
                String.valueOf(p.closeBefore().toMinutes()), p.phoneToOnsiteAt() == null ? "" : p.phoneToOnsiteAt()
                        .toString());
    }

    private record PolicyLine(int no, String serviceCode, Long serviceId, ReleasePolicy policy,
            List<Breach> breaches) {
    }

    public Report importPolicies(Actor a, long facilityId, String csv, String reason, String overrideReason,
            boolean dryRun) {
        FacilityKind kind = admin.facility(a, facilityId).kind();
        if (!dryRun) {
            HospitalAdmin.requireReason(reason);
        }
        List<Problem> problems = new ArrayList<>();
        List<Problem> ruleProblems = new ArrayList<>();
        List<PolicyLine> lines = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Row r : rows(csv, POLICY_HEADER, problems)) {
            int before = problems.size();
            String code = r.get(0);
            Long serviceId = null;
            if (!code.isEmpty()) {
                Optional<BookableService> s = entries.serviceByCode(facilityId, code);
                if (s.isEmpty()) {
                    problems.add(new Problem(r.no(), "service_code", "本机构没有科室或疫苗服务 " + RosterCsv.shorten(code)));
                } else {
                    serviceId = s.get().id();
                }
            }
            if (seen.putIfAbsent(code.toUpperCase(), r.no()) != null) {
                problems.add(new Problem(r.no(), "service_code", (code.isEmpty() ? "机构放号策略" : code) + " 与第 "
                        + seen.get(code.toUpperCase()) + " 行重复"));
            }
            Integer publicDays = r.integer(1, problems, 0, 365);
            LocalTime publicAt = r.time(2, problems, false);
            Integer communityDays = r.integer(3, problems, 0, 365);
            LocalTime communityAt = r.time(4, problems, false);
            Integer moveDays = r.integer(5, problems, 0, 365);
            LocalTime moveAt = r.time(6, problems, false);
            Integer closeMinutes = r.integer(7, problems, 0, 7 * 24 * 60);
            LocalTime onsiteAt = r.time(8, problems, true);
            if (problems.size() == before) {
                ReleasePolicy p = new ReleasePolicy(publicDays, publicAt, communityDays, communityAt, moveDays, moveAt,
                        Duration.ofMinutes(closeMinutes), onsiteAt);
                List<Breach> breaches = rules.policy(kind, p);
                for (Breach b : breaches) {
                    ruleProblems.add(new Problem(r.no(), b.rule() == BureauRules.Rule.PUBLIC_AFTER_COMMUNITY
                            ? "public_days_ahead" : "community_days_ahead", b.rule().name() + "：" + b.text()));
                }
                lines.add(new PolicyLine(r.no(), code, serviceId, p, breaches));
            }
        }
        boolean override = !ruleProblems.isEmpty() && HospitalAdmin.isAdmin(a) && overrideReason != null
                && !overrideReason.isBlank();
        List<Problem> all = new ArrayList<>(problems);
        if (!override) {
            all.addAll(ruleProblems);
        }
        all.sort(Comparator.comparingInt(Problem::line));
        if (!all.isEmpty() || dryRun) {
            return refused(lines.size(), all, override ? ruleProblems : List.of());
        }
        int stored = tx.execute(s -> {
            int n = 0;
            for (PolicyLine l : lines) {
                RosterAdmin.Outcome o = rosters.savePolicy(facilityId, l.serviceId(), l.policy(),
                        l.breaches().isEmpty() ? null : overrideReason, a.username(), HospitalAdmin.isAdmin(a));
                if (!o.stored()) {
                    throw new IllegalStateException("policy line " + l.no() + " refused after its check");
                }
                n++;
            }
            admin.record(a, "CATALOGUE_IMPORT", override ? "OVERRIDE" : "OK", "导入放号策略 机构 " + facilityId + "："
                    + lines.size() + " 行" + (override ? "；违反规则 " + ruleProblems.size() + " 处，越权理由：" + overrideReason
                    : "") + "；原因：" + reason.strip());
            return n;
        });
        return new Report(true, lines.size(), 0, stored, List.of(), override ? ruleProblems : List.of(), 0,
                List.of());
    }

    // ------------------------------------------------------------------ lines

    private static Report refused(int lines, List<Problem> problems, List<Problem> overridden) {
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt(Problem::line));
        return new Report(false, lines, 0, 0, sorted, overridden, 0, List.of());
    }

    private static void requireAdminRole(Actor a) {
        if (!(a.role() == ConsoleRole.ADMIN || a.role() == ConsoleRole.HOSPITAL_ADMIN)) {
            throw new HospitalAdmin.Forbidden("无权导出");
        }
    }

    /** One line of a file with the right number of columns, stripped, and its columns' names for the report. */
    private record Row(int no, List<String> fields, List<String> header) {

        String get(int col) {
            return fields.get(col).strip();
        }

        Integer integer(int col, List<Problem> problems, int min, int max) {
            try {
                int v = Integer.parseInt(get(col));
                if (v < min || v > max) {
                    problems.add(new Problem(no, header.get(col), "须在 " + min + " 到 " + max + " 之间"));
                    return null;
                }
                return v;
            } catch (NumberFormatException e) {
                problems.add(new Problem(no, header.get(col), "不是整数：" + RosterCsv.shorten(get(col))));
                return null;
            }
        }

        LocalTime time(int col, List<Problem> problems, boolean optional) {
            if (optional && get(col).isEmpty()) {
                return null;
            }
            try {
                return LocalTime.parse(get(col));
            } catch (DateTimeParseException e) {
                problems.add(new Problem(no, header.get(col), "时间须为 HH:mm：" + RosterCsv.shorten(get(col))));
                return null;
            }
        }
    }

    /** The file's lines after its header (checked), blank and {@code #} lines skipped; bad shapes reported. */
    private static List<Row> rows(String csv, List<String> header, List<Problem> problems) {
        List<Row> out = new ArrayList<>();
        if (csv == null || csv.isBlank()) {
            problems.add(new Problem(1, header.get(0), "文件为空"));
            return out;
        }
        String[] lines = csv.replace("\uFEFF", "").split("\r?\n", -1);
        if (lines.length > RosterCsv.MAX_LINES) {
            problems.add(new Problem(RosterCsv.MAX_LINES, header.get(0), "文件过长（最多 " + RosterCsv.MAX_LINES + " 行）"));
            return out;
        }
        List<String> got = RosterCsv.fields(lines[0]).stream().map(h -> h.strip().toLowerCase()).toList();
        if (!got.equals(header)) {
            problems.add(new Problem(1, header.get(0), "表头须为：" + String.join(",", header)));
            return out;
        }
        for (int i = 1; i < lines.length; i++) {
            int no = i + 1;
            if (lines[i].isBlank() || lines[i].startsWith("#")) {
                continue;
            }
            List<String> f = RosterCsv.fields(lines[i]);
            if (f.size() != header.size()) {
                problems.add(new Problem(no, f.size() < header.size() ? header.get(f.size()) : header.get(header.size() - 1),
                        "应有 " + header.size() + " 列，实际 " + f.size() + " 列"));
                continue;
            }
            out.add(new Row(no, f, header));
        }
        return out;
    }
}
