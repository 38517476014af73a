package org.hotline.booking;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The catalogue's reference data as the other modules set it up: facilities, services and vaccines by code
 * (a policy import, the demo's seeding) and where each service belongs (schedule generation). What callers may
 * book now is {@link Catalogue}'s. Writes run in the caller's transaction.
 */
@Component
public class CatalogueSetup {

    /** Where a service belongs: its facility and the facility's kind. */
    public record ServiceHome(long serviceId, long facilityId, FacilityKind facilityKind) {
    }

    private final JdbcTemplate jdbc;

    public CatalogueSetup(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

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
}
