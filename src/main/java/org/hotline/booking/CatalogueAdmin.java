package org.hotline.booking;

import java.util.List;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

/**
 * Adds and renames catalogue entries (facilities, departments, vaccines and vaccine services) for the console's
 * administrators. Every entry added here is marked {@code spoken_name_required}: the phone menu offers it only
 * once {@link SpokenNames} has its recorded or generated name. Runs in the caller's transaction, so the console
 * writes its audit row with the change. Checks that a value is well formed and unique; who may change which
 * facility is the caller's business.
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

    public record NewFacility(String code, String name, FacilityKind kind, String district, String address) {
    }

    public record NewDepartment(long facilityId, String code, String name, String doctorName) {
    }

    public record NewVaccine(String code, String name, int doses, int minIntervalDays, int minAgeYears,
            int maxAgeYears, String bringNote) {
    }

    private final JdbcTemplate jdbc;
    private final Catalogue catalogue;

    public CatalogueAdmin(JdbcTemplate jdbc, Catalogue catalogue) {
        this.jdbc = jdbc;
        this.catalogue = catalogue;
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
