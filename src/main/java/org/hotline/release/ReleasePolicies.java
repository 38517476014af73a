package org.hotline.release;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Time;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.booking.BookingProperties;
import org.hotline.booking.CatalogueAdmin;

/**
 * Release policies as stored in {@code release_policy}: a row per facility, optionally one per service
 * that overrides it; a facility without a row follows {@code hotline.release.defaults}.
 */
@Component
public class ReleasePolicies {

    private final JdbcTemplate jdbc;
    private final CatalogueAdmin catalogue;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final ReleasePolicy defaults;

    public ReleasePolicies(JdbcTemplate jdbc, TransactionTemplate tx, Clock clock, ReleaseProperties props,
            BookingProperties booking, CatalogueAdmin catalogue) {
        this.jdbc = jdbc;
        this.catalogue = catalogue;
        this.tx = tx;
        this.clock = clock;
        ReleaseProperties.Defaults d = props.defaults();
        this.defaults = new ReleasePolicy(d.publicDaysAhead(), d.publicOpensAt(), d.communityDaysAhead(),
                d.communityOpensAt(), d.communityToPublicDaysBefore(), d.communityToPublicAt(),
                d.closeBefore() != null ? d.closeBefore() : booking.cancelCutoff(), d.phoneToOnsiteAt());
    }

    /** The policy of a facility (and service) that has no row of its own. */
    public ReleasePolicy defaults() {
        return defaults;
    }

    /** The policy a service's slots are released by: its own row, else its facility's, else the defaults. */
    public ReleasePolicy effective(long serviceId) {
        Optional<Long> facilityId = catalogue.facilityOf(serviceId);
        if (facilityId.isEmpty()) {
            return defaults;
        }
        List<ReleasePolicy> rows = jdbc.query("""
                SELECT p.* FROM release_policy p
                WHERE p.facility_id = ? AND (p.service_id = ? OR p.service_id IS NULL)
                ORDER BY p.service_key DESC LIMIT 1""", ReleasePolicies::policy, facilityId.get(), serviceId);
        return rows.isEmpty() ? defaults : rows.get(0);
    }

    /** The row stored for exactly this facility (service null) or service, if any. */
    public Optional<ReleasePolicy> stored(long facilityId, Long serviceId) {
        return jdbc.query("SELECT * FROM release_policy WHERE facility_id = ? AND service_key = ?",
                ReleasePolicies::policy, facilityId, serviceId == null ? 0 : serviceId).stream().findFirst();
    }

    /** Stores (or replaces) the policy of a facility, or of one of its services. */
    public void save(long facilityId, Long serviceId, ReleasePolicy p) {
        jdbc.update("""
                INSERT INTO release_policy (facility_id, service_id, public_days_ahead, public_opens_at,
                  community_days_ahead, community_opens_at, community_to_public_days_before, community_to_public_at,
                  close_before_minutes, phone_to_onsite_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE public_days_ahead = VALUES(public_days_ahead),
                  public_opens_at = VALUES(public_opens_at), community_days_ahead = VALUES(community_days_ahead),
                  community_opens_at = VALUES(community_opens_at),
                  community_to_public_days_before = VALUES(community_to_public_days_before),
                  community_to_public_at = VALUES(community_to_public_at),
                  close_before_minutes = VALUES(close_before_minutes), phone_to_onsite_at = VALUES(phone_to_onsite_at),
                  updated_at = VALUES(updated_at)""",
                facilityId, serviceId, p.publicDaysAhead(), p.publicOpensAt(), p.communityDaysAhead(),
                p.communityOpensAt(), p.communityToPublicDaysBefore(), p.communityToPublicAt(),
                p.closeBefore().toMinutes(), p.phoneToOnsiteAt(), LocalDateTime.now(clock));
    }

    /**
     * Imports policies from CSV: a header line, then
     * {@code facility,service,public_days_ahead,public_opens_at,community_days_ahead,community_opens_at,
     * community_to_public_days_before,community_to_public_at,close_before_minutes,phone_to_onsite_at}
     * with facility and service by code; an empty service is the whole facility, an empty value takes the
     * default. All rows or none: a bad line rejects the file, naming the line.
     *
     * @return the facilities whose policies were stored
     */
    public Set<Long> importCsv(Reader source) throws IOException {
        List<String[]> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(source)) {
            String line;
            boolean header = true;
            while ((line = in.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (header) {
                    header = false;
                    continue;
                }
                lines.add(line.split(",", -1));
            }
        }
        Set<Long> facilities = new LinkedHashSet<>();
        tx.executeWithoutResult(s -> {
            int n = 0;
            for (String[] f : lines) {
                n++;
                try {
                    if (f.length != 10) {
                        throw new IllegalArgumentException("expected 10 fields, found " + f.length);
                    }
                    Long facilityId = catalogue.facilityId(f[0].trim()).orElse(null);
                    if (facilityId == null) {
                        throw new IllegalArgumentException("unknown facility " + f[0].trim());
                    }
                    Long serviceId = null;
                    if (!f[1].isBlank()) {
                        serviceId = catalogue.serviceId(facilityId, f[1].trim()).orElse(null);
                        if (serviceId == null) {
                            throw new IllegalArgumentException("unknown service " + f[1].trim());
                        }
                    }
                    ReleasePolicy d = defaults;
                    save(facilityId, serviceId, new ReleasePolicy(
                            intOr(f[2], d.publicDaysAhead()), timeOr(f[3], d.publicOpensAt()),
                            intOr(f[4], d.communityDaysAhead()), timeOr(f[5], d.communityOpensAt()),
                            intOr(f[6], d.communityToPublicDaysBefore()), timeOr(f[7], d.communityToPublicAt()),
                            f[8].isBlank() ? d.closeBefore() : Duration.ofMinutes(Integer.parseInt(f[8].trim())),
                            f[9].isBlank() ? null : LocalTime.parse(f[9].trim())));
                    facilities.add(facilityId);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("release policy line " + n + ": " + e.getMessage(), e);
                }
            }
        });
        return facilities;
    }

    private static int intOr(String v, int d) {
        return v.isBlank() ? d : Integer.parseInt(v.trim());
    }

    private static LocalTime timeOr(String v, LocalTime d) {
        return v.isBlank() ? d : LocalTime.parse(v.trim());
    }

    static ReleasePolicy policy(ResultSet rs, int row) throws SQLException {
        Time onsite = rs.getTime("phone_to_onsite_at");
        return new ReleasePolicy(rs.getInt("public_days_ahead"), rs.getTime("public_opens_at").toLocalTime(),
                rs.getInt("community_days_ahead"), rs.getTime("community_opens_at").toLocalTime(),
                rs.getInt("community_to_public_days_before"), rs.getTime("community_to_public_at").toLocalTime(),
                Duration.ofMinutes(rs.getInt("close_before_minutes")), onsite == null ? null : onsite.toLocalTime());
    }
}
