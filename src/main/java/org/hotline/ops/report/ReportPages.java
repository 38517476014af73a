package org.hotline.ops.report;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

import org.hotline.booking.Channel;
import org.hotline.booking.Pool;

/** The supervision pages (Chinese), their CSV files and charts, under {@code /ops}. */
@Controller
class ReportPages {

    static final MediaType CSV = new MediaType("text", "csv", StandardCharsets.UTF_8);
    static final MediaType SVG = new MediaType("image", "svg+xml", StandardCharsets.UTF_8);

    private final SupervisionReports reports;
    private final PolicyChecks policy;
    private final ReportCsvFiles csv;
    private final SvgCharts charts;
    private final ReleaseReports releases;
    private final SmsReports sms;
    private final ReportProperties props;
    private final Clock clock;
    private org.hotline.handoff.Complaints complaints;

    /** Complaints counted in the reports (issue 16). */
    @org.springframework.beans.factory.annotation.Autowired(required = false)
    void setComplaints(org.hotline.handoff.Complaints c) {
        this.complaints = c;
    }
    private final org.springframework.beans.factory.ObjectProvider<org.hotline.release.RosterAdmin> rosters;

    ReportPages(SupervisionReports reports, PolicyChecks policy, ReportCsvFiles csv, SvgCharts charts,
            ReleaseReports releases, SmsReports sms, ReportProperties props, Clock clock,
            org.springframework.beans.factory.ObjectProvider<org.hotline.release.RosterAdmin> rosters) {
        this.rosters = rosters;
        this.reports = reports;
        this.policy = policy;
        this.csv = csv;
        this.charts = charts;
        this.releases = releases;
        this.sms = sms;
        this.props = props;
        this.clock = clock;
    }

    /** Without dates: the last seven days up to today. */
    private ReportRange range(LocalDate from, LocalDate to, Long facility) {
        LocalDate today = LocalDate.now(clock);
        LocalDate t = to != null ? to : from != null ? from : today;
        LocalDate f = from != null ? from : t.minusDays(6);
        return reports.checked(new ReportRange(f, t, facility));
    }

    @GetMapping("/ops")
    String home() {
        return "redirect:/ops/reports";
    }

    @GetMapping("/ops/reports")
    String overview(@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Long facility, Model model) {
        ReportRange range = range(from, to, facility);
        List<FacilityDay> days = reports.facilityDays(range);
        common(model, range);
        model.addAttribute("days", days);
        model.addAttribute("total", total(days));
        hotline(model, range);
        return "ops/reports";
    }

    @GetMapping("/ops/reports/day")
    String day(@RequestParam long facility, @RequestParam @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate date,
            Model model) {
        ReportRange range = ReportRange.day(date, facility);
        common(model, range);
        FacilityRef f = reports.facilities().stream().filter(x -> x.id() == facility).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("没有这个机构"));
        List<FacilityDay> days = reports.facilityDays(range);
        model.addAttribute("facility", f);
        model.addAttribute("day", days.stream().filter(d -> d.day().equals(date)).findFirst().orElse(null));
        model.addAttribute("perHour", reports.bookingsPerHour(date, facility));
        hotline(model, range);
        return "ops/day";
    }

    @GetMapping("/ops/policy")
    String policy(@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to, Model model) {
        ReportRange range = range(from, to, null);
        common(model, range);
        model.addAttribute("checks", policy.check(range));
        // every roster or policy an ADMIN stored against the bureau's rules, with who and why (all dates)
        org.hotline.release.RosterAdmin r = rosters.getIfAvailable();
        model.addAttribute("overrides", r == null ? java.util.List.of() : r.overrides(null));
        return "ops/policy";
    }

    /** The sections of the day's work: releases and SMS of the facility (or all), the hotline's transfers and call-backs. */
    private void hotline(Model model, ReportRange range) {
        ReportRange all = new ReportRange(range.from(), range.to(), null);
        model.addAttribute("transfers", reports.transfers(all));
        model.addAttribute("callbacks", reports.callbacks(all));
        model.addAttribute("queue", reports.queue(all));
        model.addAttribute("releases", releases.releases(range));
        model.addAttribute("sms", sms.sms(range));
        model.addAttribute("complaints", complaints == null ? null : complaints.counts(range.from(), range.to()));
    }

    private void common(Model model, ReportRange range) {
        model.addAttribute("range", range);
        model.addAttribute("facilities", reports.facilities());
        model.addAttribute("channels", Channel.values());
        model.addAttribute("bands", AgeBand.values());
        model.addAttribute("pools", Pool.values());
        model.addAttribute("fmt", Format.INSTANCE);
        model.addAttribute("callbackOutcomes", List.of("REACHED", "NO_ANSWER", "BUSY", "WRONG_NUMBER"));
        model.addAttribute("releaseGrace", props.releaseGrace().toSeconds() + " 秒");
    }

    /** The sums over every row, as one row (facility null). */
    static FacilityDay total(List<FacilityDay> days) {
        Map<Channel, Integer> ch = new EnumMap<>(Channel.class);
        Map<AgeBand, Integer> band = new EnumMap<>(AgeBand.class);
        Map<Pool, Integer> pool = new EnumMap<>(Pool.class);
        Map<Pool, PoolUse> use = new EnumMap<>(Pool.class);
        int bookings = 0, cancelled = 0, noShows = 0, attended = 0, made = 0;
        for (FacilityDay d : days) {
            bookings += d.bookings();
            cancelled += d.cancelled();
            noShows += d.noShows();
            attended += d.attended();
            made += d.madeThatDay();
            d.byChannel().forEach((k, v) -> ch.merge(k, v, Integer::sum));
            d.byAgeBand().forEach((k, v) -> band.merge(k, v, Integer::sum));
            d.byPool().forEach((k, v) -> pool.merge(k, v, Integer::sum));
            d.pools().forEach((k, u) -> use.merge(k, u, (a, b) -> new PoolUse(k, a.slots() + b.slots(),
                    a.offered() + b.offered(), a.movedOut() + b.movedOut(), a.movedIn() + b.movedIn(),
                    a.capacity() + b.capacity(), a.booked() + b.booked(), a.held() + b.held(), a.left() + b.left())));
        }
        return new FacilityDay(null, null, bookings, ch, band, pool, use, cancelled, noShows, attended, made);
    }

    // ---------------------------------------------------------------- CSV

    @GetMapping("/ops/reports/facility-days.csv")
    ResponseEntity<byte[]> facilityDaysCsv(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Long facility) {
        ReportRange r = range(from, to, facility);
        return csvFile("机构日报_" + r.from() + "_" + r.to() + ".csv", csv.facilityDays(r));
    }

    @GetMapping("/ops/reports/transfers.csv")
    ResponseEntity<byte[]> transfersCsv(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to) {
        ReportRange r = range(from, to, null);
        return csvFile("转人工_" + r.from() + "_" + r.to() + ".csv", csv.transfers(r));
    }

    @GetMapping("/ops/reports/callbacks.csv")
    ResponseEntity<byte[]> callbacksCsv(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to) {
        ReportRange r = range(from, to, null);
        return csvFile("回拨_" + r.from() + "_" + r.to() + ".csv", csv.callbacks(r));
    }

    @GetMapping("/ops/reports/releases.csv")
    ResponseEntity<byte[]> releasesCsv(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Long facility) {
        ReportRange r = range(from, to, facility);
        return csvFile("放号_" + r.from() + "_" + r.to() + ".csv", csv.releases(r));
    }

    @GetMapping("/ops/reports/sms.csv")
    ResponseEntity<byte[]> smsCsv(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Long facility) {
        ReportRange r = range(from, to, facility);
        return csvFile("短信_" + r.from() + "_" + r.to() + ".csv", csv.sms(r));
    }

    @GetMapping("/ops/policy.csv")
    ResponseEntity<byte[]> policyCsv(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to) {
        ReportRange r = range(from, to, null);
        return csvFile("政策核查_" + r.from() + "_" + r.to() + ".csv", csv.policy(r));
    }

    static ResponseEntity<byte[]> csvFile(String name, byte[] body) {
        // RFC 6266/5987: an ASCII fallback name and the Chinese one, percent-encoded UTF-8
        String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        return ResponseEntity.ok().contentType(CSV)
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        "attachment; filename=\"report.csv\"; filename*=UTF-8''" + encoded)
                .body(body);
    }

    // ---------------------------------------------------------------- charts

    @GetMapping("/ops/reports/charts/bookings-per-hour.svg")
    ResponseEntity<String> perHourChart(@RequestParam @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate date,
            @RequestParam(required = false) Long facility) {
        String title = date + " 各小时预约量";
        return ResponseEntity.ok().contentType(SVG)
                .body(charts.bookingsPerHour(title, reports.bookingsPerHour(date, facility)));
    }

    @GetMapping("/ops/reports/charts/age-bands.svg")
    ResponseEntity<String> ageBandChart(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Long facility) {
        ReportRange r = range(from, to, facility);
        FacilityDay all = total(reports.facilityDays(r));
        String title = (r.days() == 1 ? r.from().toString() : r.from() + " 至 " + r.to()) + " 预约人群年龄段";
        return ResponseEntity.ok().contentType(SVG).body(charts.ageBandShare(title, all.byAgeBand()));
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<String> badRequest(IllegalArgumentException e) {
        return ResponseEntity.badRequest().contentType(new MediaType("text", "plain", StandardCharsets.UTF_8))
                .body("报表参数有误：" + e.getMessage());
    }
}
