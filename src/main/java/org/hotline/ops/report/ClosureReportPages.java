package org.hotline.ops.report;

import java.time.Clock;
import java.time.LocalDate;

import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** 停诊 for the bureau: {@code /ops/closures} and {@code /ops/closures.csv} (docs/reports.md). */
@Controller
class ClosureReportPages {

    private final ClosureReports closures;
    private final SupervisionReports reports;
    private final Clock clock;

    ClosureReportPages(ClosureReports closures, SupervisionReports reports, Clock clock) {
        this.closures = closures;
        this.reports = reports;
        this.clock = clock;
    }

    /** Without dates: cancelled days from a week ago to four weeks ahead (a 停诊 is usually announced ahead). */
    private ReportRange range(LocalDate from, LocalDate to, Long facility) {
        LocalDate today = LocalDate.now(clock);
        LocalDate f = from != null ? from : to != null ? to.minusDays(34) : today.minusDays(7);
        LocalDate t = to != null ? to : f.plusDays(34);
        return reports.checked(new ReportRange(f, t, facility));
    }

    @GetMapping("/ops/closures")
    String page(@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Long facility, Model model) {
        ReportRange range = range(from, to, facility);
        model.addAttribute("range", range);
        model.addAttribute("facilities", reports.facilities());
        model.addAttribute("closures", closures.closures(range));
        model.addAttribute("fmt", ClosureReports.Fmt.INSTANCE);
        return "ops/closures";
    }

    @GetMapping("/ops/closures.csv")
    ResponseEntity<byte[]> csv(@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Long facility) {
        ReportRange r = range(from, to, facility);
        return ReportPages.csvFile("停诊_" + r.from() + "_" + r.to() + ".csv", closures.csv(r));
    }
}
