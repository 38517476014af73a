package org.hotline.booking;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

/**
 * The catalogue's reference data as the other modules set it up and change it (what callers may book now is
 * {@link Catalogue}'s). One class, two kinds of caller:
 * <ul>
 * <li>the console's administrators (module {@code admin}): facilities, departments, vaccines and vaccine services
 * added and renamed with every value checked ({@link Invalid} names the field). Every entry added this way is
 * marked {@code spoken_name_required}: the phone menu offers it only once {@link SpokenNames} has its recorded or
 * generated name. Who may change which facility is the caller's business;</li>
 * <li>seeding and lookups by code (the demo data, a policy import) and where each service belongs (schedule
 * generation): {@link #facilityId}, {@link #serviceId}, {@link #serviceHomes}, and the unchecked {@code add…}
 * overloads that take the values as they are (entries that need no spoken name: the committed prompts name them).</li>
 * </ul>
 * Writes run in the caller's transaction, so the console writes its audit row with the change.
 */
@Component
public class CatalogueAdmin {

    public static final String CODE = "[A-Za-z0-9_-]{1,32}";

    /** Why an entry was not stored, with the field it is about and a sentence for the screen. */
    public static final class Invalid extends IllegalArgumentException {
        private final String field;

        public Invalid(String field, String text) {
            super(text);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** Where a service belongs: its facility and the facility's kind. */
    public record ServiceHome(long serviceId, long facilityId, FacilityKind facilityKind) {
    }

    public record NewFacility(String code, String name, FacilityKind kind, String district, String address) {
    }

    public record NewDepartment(long facilityId, String code, String name, String doctorName) {
    }

    public record NewVaccine(String code, String name, int doses, int minIntervalDays, int minAgeYears,
            int maxAgeYears, String bringNote) {
    }

    private final JdbcTemplate jdbc;
    private final Catalogue catalogue;
    private final VaccineSchedule schedules;

    public CatalogueAdmin(JdbcTemplate jdbc, Catalogue catalogue, VaccineSchedule schedules) {
        this.jdbc = jdbc;
        this.catalogue = catalogue;
        this.schedules = schedules;
    }

    public long addFacility(NewFacility f) {
        code("code", f.code());
        name("name", f.name());
        if (f.kind() == null) {
            throw new Invalid("kind", "请选择机构类别");
        }
        return insert("code", "该机构代码已被使用", """
                INSERT INTO facility (code, name, kind, district, address, sort_order, spoken_name_required)
                VALUES (?, ?, ?, ?, ?, 500, TRUE)""", f.code().trim(), f.name().trim(), f.kind().name(),
                blankToNull(f.district()), blankToNull(f.address()));
    }

    public void renameFacility(long facilityId, String name) {
        name("name", name);
        if (jdbc.update("UPDATE facility SET name = ? WHERE id = ?", name.trim(), facilityId) == 0) {
            throw new Invalid("facilityId", "没有这个机构");
        }
    }

    public long addDepartment(NewDepartment d) {
        Facility f = facility(d.facilityId());
        if (f.kind() == FacilityKind.VACCINATION_CLINIC) {
            throw new Invalid("facilityId", "预防接种门诊没有门诊科室，请添加疫苗服务");
        }
        code("code", d.code());
        name("name", d.name());
        if (d.doctorName() != null && d.doctorName().strip().length() > 64) {
            throw new Invalid("doctorName", "医生姓名过长");
        }
        return insert("code", "本机构已有该科室代码", """
                INSERT INTO service (facility_id, code, kind, name, doctor_name, sort_order, spoken_name_required)
                VALUES (?, ?, 'OUTPATIENT', ?, ?, 500, TRUE)""", d.facilityId(), d.code().trim(), d.name().trim(),
                blankToNull(d.doctorName()));
    }

    /** Renames a department or vaccine service (and sets its doctor); the code stays. */
    public void updateService(long serviceId, String name, String doctorName) {
        name("name", name);
        if (jdbc.update("UPDATE service SET name = ?, doctor_name = ? WHERE id = ?", name.trim(),
                blankToNull(doctorName), serviceId) == 0) {
            throw new Invalid("serviceId", "没有这个科室或疫苗服务");
        }
    }

    public long addVaccine(NewVaccine v) {
        code("code", v.code());
        name("name", v.name());
        if (v.doses() < 1 || v.doses() > 10) {
            throw new Invalid("doses", "剂次须在 1 到 10 之间");
        }
        if (v.minIntervalDays() < 0 || v.minAgeYears() < 0 || v.maxAgeYears() < v.minAgeYears() || v.maxAgeYears() > 150) {
            throw new Invalid("minAgeYears", "间隔与年龄范围不正确");
        }
        return insert("code", "该疫苗代码已被使用", """
                INSERT INTO vaccine (code, name, doses, min_interval_days, min_age_years, max_age_years, bring_note,
                  spoken_name_required) VALUES (?, ?, ?, ?, ?, ?, ?, TRUE)""", v.code().trim(), v.name().trim(),
                v.doses(), v.minIntervalDays(), v.minAgeYears(), v.maxAgeYears(), blankToNull(v.bringNote()));
    }

    /** A new vaccine type with its whole schedule (seasons, per-dose intervals and ages, booster), checked. */
    public long addVaccine(NewVaccine v, VaccineSchedule.Schedule schedule) {
        checkSchedule(schedule);
        long id = addVaccine(new NewVaccine(v.code(), v.name(), schedule.doses(), schedule.minIntervalDays(),
                schedule.minAgeYears(), schedule.maxAgeYears(), v.bringNote()));
        schedules.define(id, schedule);
        return id;
    }

    /** Renames a vaccine type and sets its schedule; its code stays. Bookings already made keep their dose. */
    public void updateVaccine(long vaccineId, String name, String bringNote, VaccineSchedule.Schedule schedule) {
        name("name", name);
        checkSchedule(schedule);
        if (jdbc.update("UPDATE vaccine SET name = ?, bring_note = ? WHERE id = ?", name.trim(), blankToNull(bringNote),
                vaccineId) == 0) {
            throw new Invalid("vaccineId", "没有这个疫苗");
        }
        schedules.define(vaccineId, schedule);
    }

    public Optional<Long> vaccineId(String code) {
        return jdbc.queryForList("SELECT id FROM vaccine WHERE code = ?", Long.class, code.trim()).stream().findFirst();
    }

    /**
     * Checks a vaccine schedule is one the rules can apply: 1–10 doses, ages 0–150 (lowest first), intervals 0–3650
     * days (a dose's minimum not above its maximum; the first dose has no previous one), a season with both days
     * and not one day long, a booster only for a series that is not seasonal.
     */
    public static void checkSchedule(VaccineSchedule.Schedule s) {
        if (s.doses() < 1 || s.doses() > 10) {
            throw new Invalid("doses", "剂次须在 1 到 10 之间");
        }
        if (s.minIntervalDays() < 0 || s.minIntervalDays() > 3650) {
            throw new Invalid("minIntervalDays", "剂次间隔须在 0 到 3650 天之间");
        }
        ages("minAgeYears", s.minAgeYears(), s.maxAgeYears());
        if (s.seasonStart() != null && s.seasonStart().equals(s.seasonEnd())) {
            throw new Invalid("seasonEnd", "接种季的开始与结束不能是同一天");
        }
        if (s.boosterAfterDays() != null) {
            if (s.seasonStart() != null) {
                throw new Invalid("boosterAfterDays", "季节性疫苗每季一个系列，不设加强间隔");
            }
            if (s.boosterAfterDays() < 1 || s.boosterAfterDays() > 36500) {
                throw new Invalid("boosterAfterDays", "加强间隔须在 1 到 36500 天之间");
            }
        }
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (VaccineSchedule.Dose d : s.perDose()) {
            if (d.number() < 1 || d.number() > s.doses() || !seen.add(d.number())) {
                throw new Invalid("perDose", "剂次规则的剂次号须在 1 到 " + s.doses() + " 之间且不重复");
            }
            if (d.number() == 1 && (d.minIntervalDays() != null || d.maxIntervalDays() != null)) {
                throw new Invalid("perDose", "第 1 剂没有前一剂，不设间隔");
            }
            for (Integer v : new Integer[] {d.minIntervalDays(), d.maxIntervalDays()}) {
                if (v != null && (v < 0 || v > 3650)) {
                    throw new Invalid("perDose", "第 " + d.number() + " 剂的间隔须在 0 到 3650 天之间");
                }
            }
            int min = d.minIntervalDays() != null ? d.minIntervalDays() : s.minIntervalDays();
            if (d.maxIntervalDays() != null && d.maxIntervalDays() < min) {
                throw new Invalid("perDose", "第 " + d.number() + " 剂的最长间隔短于最短间隔");
            }
            ages("perDose", d.minAgeYears() != null ? d.minAgeYears() : s.minAgeYears(),
                    d.maxAgeYears() != null ? d.maxAgeYears() : s.maxAgeYears());
        }
    }

    private static void ages(String field, int min, int max) {
        if (min < 0 || max > 150 || max < min) {
            throw new Invalid(field, "年龄范围须在 0 到 150 岁之间，且下限不高于上限");
        }
    }

    /** A vaccine offered at a vaccination clinic (or a hospital's or centre's vaccination room). */
    public long addVaccineService(long facilityId, long vaccineId, String code, String name) {
        facility(facilityId);
        Vaccine v = catalogue.vaccines().stream().filter(x -> x.id() == vaccineId).findFirst()
                .orElseThrow(() -> new Invalid("vaccineId", "没有这个疫苗"));
        code("code", code);
        String n = name == null || name.isBlank() ? v.name() : name;
        name("name", n);
        return insert("code", "本机构已有该服务代码", """
                INSERT INTO service (facility_id, code, kind, name, vaccine_id, sort_order, spoken_name_required)
                VALUES (?, ?, 'VACCINE', ?, ?, 500, TRUE)""", facilityId, code.trim(), n.trim(), vaccineId);
    }

    /** The facility's department or service with this code. */
    public Optional<BookableService> serviceByCode(long facilityId, String code) {
        return catalogue.services(facilityId, ServiceKind.OUTPATIENT).stream()
                .filter(s -> s.code().equalsIgnoreCase(code.trim())).findFirst()
                .or(() -> catalogue.services(facilityId, ServiceKind.VACCINE).stream()
                        .filter(s -> s.code().equalsIgnoreCase(code.trim())).findFirst());
    }

    public Optional<Facility> facilityByCode(String code) {
        return jdbc.query("SELECT * FROM facility WHERE code = ?", Catalogue::facility, code.trim()).stream()
                .findFirst();
    }

    /** Every facility, in the catalogue's order. */
    public List<Facility> facilities() {
        return jdbc.query("SELECT * FROM facility ORDER BY sort_order, id", Catalogue::facility);
    }

    /** Whether the phone menu may offer the entry: it has a spoken name, or was not added in the console. */
    public boolean speakable(SpokenNames.Kind kind, long id) {
        String table = switch (kind) {
            case FACILITY -> "facility";
            case SERVICE -> "service";
            case VACCINE -> "vaccine";
        };
        return Boolean.TRUE.equals(jdbc.queryForObject("SELECT NOT spoken_name_required OR EXISTS (SELECT 1 FROM "
                + "name_audio a WHERE a.kind = ? AND a.entry_id = t.id) FROM " + table + " t WHERE t.id = ?",
                Boolean.class, kind.name(), id));
    }

    // ---------------------------------------------------------------- seeding and lookups by code

    public int facilityCount() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM facility", Integer.class);
    }

    public Optional<Long> facilityId(String code) {
        return jdbc.queryForList("SELECT id FROM facility WHERE code = ?", Long.class, code).stream().findFirst();
    }

    public Optional<Long> serviceId(long facilityId, String code) {
        return jdbc.queryForList("SELECT id FROM service WHERE facility_id = ? AND code = ?", Long.class, facilityId,
                code).stream().findFirst();
    }

    /** The facility of a service, if the service exists. */
    public Optional<Long> facilityOf(long serviceId) {
        return jdbc.queryForList("SELECT facility_id FROM service WHERE id = ?", Long.class, serviceId).stream()
                .findFirst();
    }

    /**
     * Every service's home, by service id.
     *
     * @param facilityIds the facilities to look at, null for all
     */
    public Map<Long, ServiceHome> serviceHomes(Collection<Long> facilityIds) {
        String where = facilityIds == null ? ""
                : facilityIds.isEmpty() ? " WHERE 1 = 0"
                        : " WHERE s.facility_id IN ("
                                + facilityIds.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")";
        Map<Long, ServiceHome> homes = new LinkedHashMap<>();
        jdbc.query("SELECT s.id, s.facility_id, f.kind FROM service s JOIN facility f ON f.id = s.facility_id" + where
                + " ORDER BY s.id", rs -> {
                    homes.put(rs.getLong(1), new ServiceHome(rs.getLong(1), rs.getLong(2),
                            FacilityKind.valueOf(rs.getString(3))));
                });
        return homes;
    }

    /** @return the new vaccine's id */
    public long addVaccine(String code, String name, int doses, int minIntervalDays, int minAgeYears,
            int maxAgeYears, String bringNote) {
        jdbc.update("""
                INSERT INTO vaccine (code, name, doses, min_interval_days, min_age_years, max_age_years, bring_note)
                VALUES (?, ?, ?, ?, ?, ?, ?)""", code, name, doses, minIntervalDays, minAgeYears, maxAgeYears,
                bringNote);
        return jdbc.queryForObject("SELECT id FROM vaccine WHERE code = ?", Long.class, code);
    }

    /** @return the new facility's id */
    public long addFacility(String code, String name, FacilityKind kind, String district, String address,
            int sortOrder) {
        jdbc.update("INSERT INTO facility (code, name, kind, district, address, sort_order) VALUES (?, ?, ?, ?, ?, ?)",
                code, name, kind.name(), district, address, sortOrder);
        return facilityId(code).orElseThrow();
    }

    /** @param vaccineCode the vaccine a VACCINE service gives, null for an outpatient department */
    public long addService(long facilityId, String code, ServiceKind kind, String name, String doctorName,
            String vaccineCode, int sortOrder) {
        Long vaccineId = vaccineCode == null ? null
                : jdbc.queryForObject("SELECT id FROM vaccine WHERE code = ?", Long.class, vaccineCode);
        jdbc.update("""
                INSERT INTO service (facility_id, code, kind, name, doctor_name, vaccine_id, sort_order)
                VALUES (?, ?, ?, ?, ?, ?, ?)""", facilityId, code, kind.name(), name, doctorName, vaccineId, sortOrder);
        return serviceId(facilityId, code).orElseThrow();
    }

    // ---------------------------------------------------------------- helpers

    private Facility facility(long id) {
        return catalogue.facility(id).orElseThrow(() -> new Invalid("facilityId", "没有这个机构"));
    }

    private long insert(String field, String duplicate, String sql, Object... args) {
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        try {
            jdbc.update(c -> {
                var ps = c.prepareStatement(sql, java.sql.Statement.RETURN_GENERATED_KEYS);
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                return ps;
            }, key);
        } catch (DuplicateKeyException e) {
            throw new Invalid(field, duplicate);
        }
        return key.getKey().longValue();
    }

    private static void code(String field, String code) {
        if (code == null || !code.trim().matches(CODE)) {
            throw new Invalid(field, "代码须为 1–32 个字母、数字、- 或 _");
        }
    }

    private static void name(String field, String name) {
        if (name == null || name.isBlank() || name.strip().length() > 100) {
            throw new Invalid(field, "名称不能为空，最多 100 个字");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
