package org.hotline.his.fhir;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;

import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/** FHIR search parameters we read: date ranges with their prefixes ({@code ge}, {@code lt}, …) and references. */
final class FhirParams {

    /** [from, to) in local time; either may be null (open). */
    record Range(LocalDateTime from, LocalDateTime to) {
    }

    private FhirParams() {
    }

    /** The range of one or more {@code date}-typed values: {@code ge2026-12-07}, {@code lt2026-12-14T00:00:00+08:00}. */
    static Range range(List<String> values, ZoneId zone) {
        LocalDateTime from = null;
        LocalDateTime to = null;
        if (values == null) {
            return new Range(null, null);
        }
        for (String raw : values) {
            if (raw == null || raw.isBlank()) {
                continue;
            }
            String prefix = raw.length() > 2 && Character.isLetter(raw.charAt(0)) ? raw.substring(0, 2) : "eq";
            String v = prefix.equals("eq") && Character.isDigit(raw.charAt(0)) ? raw : raw.substring(2);
            boolean dayOnly = v.matches("\\d{4}-\\d{2}-\\d{2}");
            LocalDateTime at = parse(v, zone);
            LocalDateTime after = dayOnly ? at.plusDays(1) : at.plusNanos(1_000_000);
            switch (prefix) {
                case "ge", "sa" -> from = max(from, prefix.equals("sa") ? after : at);
                case "gt" -> from = max(from, after);
                case "lt", "eb" -> to = min(to, at);
                case "le" -> to = min(to, after);
                case "eq" -> {
                    from = max(from, at);
                    to = min(to, after);
                }
                default -> throw new FhirProblem(400, IssueType.INVALID, "date prefix " + prefix + " is not supported");
            }
        }
        return new Range(from, to);
    }

    static LocalDateTime parse(String v, ZoneId zone) {
        try {
            if (v.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return LocalDate.parse(v).atStartOfDay();
            }
            if (v.matches(".*(Z|[+-]\\d{2}:\\d{2})$")) {
                return OffsetDateTime.parse(v).atZoneSameInstant(zone).toLocalDateTime();
            }
            return LocalDateTime.parse(v);
        } catch (DateTimeParseException e) {
            throw new FhirProblem(400, IssueType.INVALID, "not a FHIR date: " + v);
        }
    }

    /** The id of {@code Type/123} or {@code 123}; null for none; 400 for anything else. */
    static Long id(String ref, String type) {
        if (ref == null || ref.isBlank()) {
            return null;
        }
        String r = ref.startsWith(type + "/") ? ref.substring(type.length() + 1) : ref;
        if (!r.matches("\\d{1,18}")) {
            throw new FhirProblem(400, IssueType.INVALID, "not a " + type + " reference: " + ref);
        }
        return Long.parseLong(r);
    }

    private static LocalDateTime max(LocalDateTime a, LocalDateTime b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    private static LocalDateTime min(LocalDateTime a, LocalDateTime b) {
        return a == null || b.isBefore(a) ? b : a;
    }
}
