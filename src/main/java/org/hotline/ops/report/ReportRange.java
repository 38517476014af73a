package org.hotline.ops.report;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;

/**
 * The days a report covers (both inclusive) and, optionally, one facility.
 *
 * @param facilityId null for every facility
 */
public record ReportRange(LocalDate from, LocalDate to, Long facilityId) {

    public ReportRange {
        if (from == null || to == null) {
            throw new IllegalArgumentException("报表需要起止日期");
        }
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("结束日期早于开始日期");
        }
    }

    public static ReportRange day(LocalDate day, Long facilityId) {
        return new ReportRange(day, day, facilityId);
    }

    public long days() {
        return ChronoUnit.DAYS.between(from, to) + 1;
    }

    /** The first instant after the range, for half-open DATETIME comparisons. */
    public LocalDate end() {
        return to.plusDays(1);
    }
}
