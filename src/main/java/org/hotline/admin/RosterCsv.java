package org.hotline.admin;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.agent.Actor;
import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.CatalogueAdmin;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.SpokenNames;
import org.hotline.release.BureauRules;
import org.hotline.release.BureauRules.Breach;
import org.hotline.release.RosterAdmin;
import org.hotline.release.ScheduleGenerator.WeeklyTemplate;

/**
 * One facility's departments and weekly rosters as CSV, for onboarding a hospital in one go and for taking its
 * current state out (docs/operations.md). One line per roster line; a department with no roster yet is a line with
 * the roster columns empty:
 *
 * <pre>
 * department_code,department_name,doctor_name,weekday,period,starts,ends,slot_minutes,onsite,community,public
 * NK,内科,,1,MORNING,08:00,12:00,30,2,4,6
 * </pre>
 *
 * All lines or none: the import checks every line first and answers a report naming each problem's line (as in the
 * file, header = line 1) and column; only a clean file (or one whose only problems are the bureau's rules, with an
 * ADMIN's override reason) is stored, in one transaction with its audit row. A department that exists (same code)
 * keeps its id and takes the file's name. The calendar is then regenerated per department, and names are generated
 * with espeak-ng for the new departments when asked.
 */
@Component
public class RosterCsv {

    public static final List<String> HEADER = List.of("department_code", "department_name", "doctor_name", "weekday",
            "period", "starts", "ends", "slot_minutes", "onsite", "community", "public");
    static final int MAX_LINES = 5000;

    /** One problem of an import: its line in the file (header = 1), column and what is wrong. */
    public record Problem(int line, String column, String text) {
    }

    /** What an import found and did. */
    public record Report(boolean stored, int lines, int departmentsAdded, int departmentsUpdated, int rosterLines,
            List<Problem> problems, List<Problem> overridden, int namesGenerated, List<String> nameFailures,
            int slotsAdded) {
    }

    private final Catalogue catalogue;
    private final CatalogueAdmin entries;
    private final RosterAdmin rosters;
    private final BureauRules rules;
    private final HospitalAdmin admin;
    private final TransactionTemplate tx;

    public RosterCsv(Catalogue catalogue, CatalogueAdmin entries, RosterAdmin rosters, BureauRules rules,
            HospitalAdmin admin, TransactionTemplate tx) {
        this.catalogue = catalogue;
        this.entries = entries;
        this.rosters = rosters;
        this.rules = rules;
        this.admin = admin;
        this.tx = tx;
    }

    public String export(Actor a, long facilityId) {
        admin.facility(a, facilityId);
        StringBuilder out = new StringBuilder(String.join(",", HEADER)).append('\n');
        for (BookableService s : catalogue.services(facilityId, ServiceKind.OUTPATIENT)) {
            List<RosterAdmin.RosterLine> lines = rosters.lines(s.id());
            if (lines.isEmpty()) {
                out.append(row(s.code(), s.name(), s.doctorName(), "", "", "", "", "", "", "", "")).append('\n');
            }
            for (RosterAdmin.RosterLine l : lines) {
                out.append(row(s.code(), s.name(), s.doctorName(), String.valueOf(l.day().getValue()), l.period(),
                        l.starts().toString(), l.ends().toString(), String.valueOf(l.slotMinutes()),
                        String.valueOf(l.onsite()), String.valueOf(l.community()), String.valueOf(l.pub())))
                        .append('\n');
            }
        }
        return out.toString();
    }

    private record Line(int no, String code, String name, String doctor, HospitalAdmin.RosterInput roster) {
    }

    /**
     * Checks, and when clean stores, a facility's departments and rosters.
     *
     * @param dryRun         check only: nothing is stored
     * @param overrideReason an ADMIN's reason to store lines that break the bureau's rules (recorded per line)
     * @param generateNames  give each new department a spoken name with espeak-ng (when installed)
     */
    public Report importCsv(Actor a, long facilityId, String csv, String reason, String overrideReason, boolean dryRun,
            boolean generateNames) {
        FacilityKind kind = admin.facility(a, facilityId).kind();
        if (!dryRun) {
            HospitalAdmin.requireReason(reason);
        }
        List<Problem> problems = new ArrayList<>();
        List<Problem> ruleProblems = new ArrayList<>();
        List<Line> lines = parse(csv, problems);
        Map<String, Line> departments = new LinkedHashMap<>();
        Set<String> rosterKeys = new HashSet<>();
        for (Line l : lines) {
            Line first = departments.putIfAbsent(l.code().toUpperCase(), l);
            if (first != null && !first.name().equals(l.name())) {
                problems.add(new Problem(l.no(), "department_name", "同一科室代码 " + l.code() + " 的名称与第 " + first.no()
                        + " 行不同"));
            }
            if (l.roster() != null) {
                if (!rosterKeys.add(l.code().toUpperCase() + "/" + l.roster().day() + "/" + l.roster().period())) {
                    problems.add(new Problem(l.no(), "period", "科室 " + l.code() + " 周" + l.roster().day().getValue()
                            + " " + l.roster().period() + " 重复"));
                }
                for (Breach b : rules.roster(kind, l.roster().onsite(), l.roster().community(), l.roster().pub())) {
                    ruleProblems.add(new Problem(l.no(), b.rule() == BureauRules.Rule.ONSITE_QUOTA ? "onsite" : "community",
                            b.rule().name() + "：" + b.text()));
                }
            }
        }
        if (kind == FacilityKind.VACCINATION_CLINIC && !lines.isEmpty()) {
            problems.add(new Problem(2, "department_code", "预防接种门诊没有门诊科室"));
        }
        boolean override = !ruleProblems.isEmpty() && HospitalAdmin.isAdmin(a) && overrideReason != null
                && !overrideReason.isBlank();
        List<Problem> all = new ArrayList<>(problems);
        if (!override) {
            all.addAll(ruleProblems);
        }
        all.sort(java.util.Comparator.comparingInt(Problem::line));
        if (!all.isEmpty() || dryRun) {
            return new Report(false, lines.size(), 0, 0, 0, all, override ? ruleProblems : List.of(), 0, List.of(), 0);
        }
        record Stored(List<Long> services, List<Long> added, int updated, int roster) {
        }
        Stored stored = tx.execute(s -> {
            List<Long> services = new ArrayList<>();
            List<Long> added = new ArrayList<>();
            int updated = 0;
            List<WeeklyTemplate> templates = new ArrayList<>();
            for (Line d : departments.values()) {
                Optional<BookableService> existing = catalogue.services(facilityId, ServiceKind.OUTPATIENT).stream()
                        .filter(x -> x.code().equalsIgnoreCase(d.code())).findFirst();
                long id;
                if (existing.isPresent()) {
                    id = existing.get().id();
                    entries.updateService(id, d.name(), d.doctor());
                    updated++;
                } else {
                    id = entries.addDepartment(new CatalogueAdmin.NewDepartment(facilityId, d.code(), d.name(), d.doctor()));
                    added.add(id);
                }
                services.add(id);
                for (Line l : lines) {
                    if (l.code().equalsIgnoreCase(d.code()) && l.roster() != null) {
                        templates.add(HospitalAdmin.template(id, l.roster()));
                    }
                }
            }
            rosters.storeChecked(templates, override ? overrideReason : null, a.username());
            admin.record(a, "CATALOGUE_IMPORT", override ? "OVERRIDE" : "OK", "导入 机构 " + facilityId + "：" + lines.size()
                    + " 行，新科室 " + added.size() + "，更新 " + updated + "，排班 " + templates.size()
                    + (override ? "；违反规则 " + ruleProblems.size() + " 行，越权理由：" + overrideReason : "") + "；原因：" + reason);
            return new Stored(services, added, updated, templates.size());
        });
        int slots = 0;
        for (long id : stored.services()) {
            slots += rosters.regenerate(id, true).slotsAdded();
        }
        java.util.concurrent.atomic.AtomicInteger names = new java.util.concurrent.atomic.AtomicInteger();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        if (generateNames && !stored.added().isEmpty()) {
            // espeak-ng and sox are separate processes: two at a time (the machine's other work goes on)
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (long id : stored.added()) {
                    done.add(pool.submit(() -> {
                        try {
                            admin.generateName(a, facilityId, SpokenNames.Kind.SERVICE, id, "导入时生成名称语音：" + reason);
                            names.incrementAndGet();
                        } catch (RuntimeException e) {
                            failures.add(catalogue.service(id).map(BookableService::code).orElse("?") + "：" + e.getMessage());
                        }
                    }));
                }
                for (var f : done) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                failures.add(e.getMessage());
            } finally {
                pool.shutdownNow();
            }
        }
        return new Report(true, lines.size(), stored.added().size(), stored.updated(), stored.roster(), List.of(),
                override ? ruleProblems : List.of(), names.get(), List.copyOf(failures), slots);
    }

    private List<Line> parse(String csv, List<Problem> problems) {
        List<Line> out = new ArrayList<>();
        if (csv == null || csv.isBlank()) {
            problems.add(new Problem(1, "department_code", "文件为空"));
            return out;
        }
        String[] rows = csv.replace("\uFEFF", "").split("\r?\n", -1);
        if (rows.length > MAX_LINES) {
            problems.add(new Problem(MAX_LINES, "department_code", "文件过长（最多 " + MAX_LINES + " 行）"));
            return out;
        }
        List<String> header = fields(rows[0]).stream().map(h -> h.strip().toLowerCase()).toList();
        if (!header.equals(HEADER)) {
            problems.add(new Problem(1, "department_code", "表头须为：" + String.join(",", HEADER)));
            return out;
        }
        for (int i = 1; i < rows.length; i++) {
            int no = i + 1;
            if (rows[i].isBlank() || rows[i].startsWith("#")) {
                continue;
            }
            List<String> f = fields(rows[i]);
            if (f.size() != HEADER.size()) {
                // named by the first column missing, or the last one expected when there are too many
                problems.add(new Problem(no, f.size() < HEADER.size() ? HEADER.get(f.size())
                        : HEADER.get(HEADER.size() - 1), "应有 " + HEADER.size() + " 列，实际 " + f.size() + " 列"));
                continue;
            }
            int before = problems.size();
            String code = f.get(0).strip();
            if (!code.matches(CatalogueAdmin.CODE)) {
                problems.add(new Problem(no, "department_code", "科室代码须为 1–32 个字母、数字、- 或 _"));
            }
            String name = f.get(1).strip();
            if (name.isEmpty() || name.length() > 100) {
                problems.add(new Problem(no, "department_name", "科室名称不能为空，最多 100 个字"));
            }
            String doctor = f.get(2).strip();
            if (doctor.length() > 64) {
                problems.add(new Problem(no, "doctor_name", "医生姓名最多 64 个字"));
            }
            boolean noRoster = f.subList(3, 11).stream().allMatch(String::isBlank);
            HospitalAdmin.RosterInput roster = null;
            if (!noRoster) {
                Integer day = integer(f, 3, no, problems, 1, 7);
                String period = f.get(4).strip().toUpperCase();
                if (!List.of("MORNING", "AFTERNOON", "EVENING").contains(period)) {
                    problems.add(new Problem(no, "period", "时段须为 MORNING、AFTERNOON 或 EVENING"));
                }
                LocalTime starts = time(f, 5, no, problems);
                LocalTime ends = time(f, 6, no, problems);
                if (starts != null && ends != null && !ends.isAfter(starts)) {
                    problems.add(new Problem(no, "ends", "结束时间须晚于开始时间"));
                }
                Integer minutes = integer(f, 7, no, problems, 5, 240);
                Integer onsite = integer(f, 8, no, problems, 0, 500);
                Integer community = integer(f, 9, no, problems, 0, 500);
                Integer pub = integer(f, 10, no, problems, 0, 500);
                if (problems.size() == before) {
                    roster = new HospitalAdmin.RosterInput(DayOfWeek.of(day), period, starts, ends, minutes, onsite,
                            community, pub);
                }
            }
            if (problems.size() == before) {
                out.add(new Line(no, code, name, doctor, roster));
            }
        }
        return out;
    }

    private static Integer integer(List<String> f, int col, int no, List<Problem> problems, int min, int max) {
        try {
            int v = Integer.parseInt(f.get(col).strip());
            if (v < min || v > max) {
                problems.add(new Problem(no, HEADER.get(col), "须在 " + min + " 到 " + max + " 之间"));
                return null;
            }
            return v;
        } catch (NumberFormatException e) {
            problems.add(new Problem(no, HEADER.get(col), "不是整数：" + shorten(f.get(col))));
            return null;
        }
    }

    private static LocalTime time(List<String> f, int col, int no, List<Problem> problems) {
        try {
            return LocalTime.parse(f.get(col).strip());
        } catch (DateTimeParseException e) {
            problems.add(new Problem(no, HEADER.get(col), "时间须为 HH:mm：" + shorten(f.get(col))));
            return null;
        }
    }

    static String shorten(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "…" : s;
    }

    /** RFC 4180 fields of one line: commas, double quotes around a field, "" for a quote inside one. */
    static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /** A CSV line; a field with a comma, quote or leading formula sign is quoted (and a formula sign neutralised). */
    static String row(String... values) {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            String s = v == null ? "" : v;
            if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 && !s.matches("-?\\d+")) {
                s = "'" + s; // opened in a spreadsheet, a cell is never a formula
            }
            if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
                s = "\"" + s.replace("\"", "\"\"") + "\"";
            }
            out.add(s);
        }
        return String.join(",", out);
    }
}
