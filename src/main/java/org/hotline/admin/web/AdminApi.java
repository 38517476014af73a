package org.hotline.admin.web;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.admin.CatalogueCsv;
import org.hotline.admin.HospitalAdmin;
import org.hotline.admin.NameRecordings;
import org.hotline.admin.RosterCsv;
import org.hotline.agent.Actor;
import org.hotline.agent.web.ConsoleUserDetails;
import org.hotline.booking.CatalogueAdmin;
import org.hotline.booking.Facility;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.SpokenNames;
import org.hotline.booking.Vaccine;
import org.hotline.booking.VaccineSchedule;
import org.hotline.release.ReleasePolicy;
import org.hotline.release.RosterAdmin;

/**
 * The administrators' API (docs/agent.md, "机构管理"): ADMIN for every facility, HOSPITAL_ADMIN for their own (another
 * facility answers 404 exactly as one that does not exist). Every change carries {@code reason}; it is refused with
 * 400 {@code {"field":"reason"}} without one.
 */
@RestController
@RequestMapping("/api/admin")
@Tag(name = "admin", description = "机构、科室、疫苗、排班、停开与放号策略（管理员；医院管理员仅本机构）")
class AdminApi {

    private final HospitalAdmin admin;
    private final RosterCsv csv;
    private final CatalogueCsv catalogueCsv;
    private final NameRecordings recordings;

    AdminApi(HospitalAdmin admin, RosterCsv csv, CatalogueCsv catalogueCsv, NameRecordings recordings) {
        this.admin = admin;
        this.csv = csv;
        this.catalogueCsv = catalogueCsv;
        this.recordings = recordings;
    }

    record NewFacility(String code, String name, FacilityKind kind, String district, String address, String reason) {
    }

    record NewDepartment(String code, String name, String doctorName, String reason, Boolean generateName) {
    }

    record ServiceChange(String name, String doctorName, String reason) {
    }

    /**
     * A vaccine type: its series ({@code doses}, the default minimum interval and age band), an optional season
     * (MM-DD to MM-DD), a booster interval, and per-dose rules that override the defaults for one dose.
     */
    record NewVaccine(String code, String name, int doses, int minIntervalDays, int minAgeYears, int maxAgeYears,
            String bringNote, String seasonStart, String seasonEnd, Integer boosterAfterDays,
            List<VaccineSchedule.Dose> perDose, String spokenText, Boolean generateName, String reason) {

        VaccineSchedule.Schedule schedule() {
            return HospitalAdmin.schedule(doses, minIntervalDays, minAgeYears, maxAgeYears, seasonStart, seasonEnd,
                    boosterAfterDays, perDose);
        }
    }

    record SpokenText(String text, String reason) {
    }

    record NewVaccineService(long vaccineId, String code, String name, String reason, Boolean generateName) {
    }

    record Roster(DayOfWeek day, String period, LocalTime starts, LocalTime ends, int slotMinutes, int onsite,
            int community, int pub, String reason, String overrideReason) {
    }

    record RosterDelete(DayOfWeek day, String period, String reason) {
    }

    record Policy(Long serviceId, int publicDaysAhead, LocalTime publicOpensAt, int communityDaysAhead,
            LocalTime communityOpensAt, int communityToPublicDaysBefore, LocalTime communityToPublicAt,
            int closeBeforeMinutes, LocalTime phoneToOnsiteAt, String reason, String overrideReason) {
    }

    /** {@code cancelBookings}: the day has bookings and the administrator cancels them (停诊) with the closure. */
    record Closure(Long serviceId, LocalDate date, String period, String reason, Boolean cancelBookings) {
    }

    record Reason(String reason) {
    }

    static Actor me(ConsoleUserDetails me) {
        return me.actor();
    }

    @GetMapping("/facilities")
    @Operation(summary = "可管理的机构（医院管理员：本机构）")
    List<Facility> facilities(@AuthenticationPrincipal ConsoleUserDetails me) {
        return admin.facilities(me(me));
    }

    @PostMapping("/facilities")
    @Operation(summary = "新建机构（仅管理员）")
    Map<String, Object> addFacility(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody NewFacility b) {
        long id = admin.addFacility(me(me), new CatalogueAdmin.NewFacility(b.code(), b.name(), b.kind(), b.district(),
                b.address()), b.reason());
        return Map.of("id", id, "ttsAvailable", recordings.canSpeak());
    }

    @GetMapping("/facilities/{facilityId}")
    @Operation(summary = "机构的科室、疫苗服务、名称录音、排班、放号策略与停开")
    HospitalAdmin.FacilityView facility(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId) {
        return admin.view(me(me), facilityId);
    }

    @PostMapping("/facilities/{facilityId}/departments")
    Map<String, Object> addDepartment(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @RequestBody NewDepartment b) {
        long id = admin.addDepartment(me(me), facilityId, b.code(), b.name(), b.doctorName(), b.reason());
        return named(me, facilityId, SpokenNames.Kind.SERVICE, id, b.generateName(), b.reason());
    }

    @PostMapping("/facilities/{facilityId}/services/{serviceId}")
    Map<String, Object> updateService(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @PathVariable long serviceId, @RequestBody ServiceChange b) {
        admin.updateService(me(me), facilityId, serviceId, b.name(), b.doctorName(), b.reason());
        return Map.of("id", serviceId);
    }

    @GetMapping("/vaccines")
    List<Vaccine> vaccines() {
        return admin.vaccines();
    }

    @PostMapping("/vaccines")
    @Operation(summary = "新建疫苗品种（仅管理员）：剂次、间隔、年龄、接种季、加强间隔、各剂规则；可生成名称语音")
    Map<String, Object> addVaccine(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody NewVaccine b) {
        long id = admin.addVaccine(me(me), new CatalogueAdmin.NewVaccine(b.code(), b.name(), b.doses(),
                b.minIntervalDays(), b.minAgeYears(), b.maxAgeYears(), b.bringNote()), b.schedule(), b.reason());
        return vaccineNamed(me, id, b);
    }

    @GetMapping("/vaccines/schedules")
    @Operation(summary = "疫苗品种与其接种规则、名称语音")
    List<HospitalAdmin.VaccineView> vaccineViews(@AuthenticationPrincipal ConsoleUserDetails me) {
        return admin.vaccineViews(me(me));
    }

    @PostMapping("/vaccines/{vaccineId}")
    @Operation(summary = "修改疫苗品种的名称与接种规则（仅管理员；代码不变，已有预约不受影响）")
    Map<String, Object> updateVaccine(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long vaccineId,
            @RequestBody NewVaccine b) {
        admin.updateVaccine(me(me), vaccineId, b.name(), b.bringNote(), b.schedule(), b.reason());
        return vaccineNamed(me, vaccineId, b);
    }

    private Map<String, Object> vaccineNamed(ConsoleUserDetails me, long id, NewVaccine b) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        if (Boolean.TRUE.equals(b.generateName())) {
            try {
                out.put("namePrompt", admin.generateVaccineName(me(me), id, b.spokenText(), b.reason()));
            } catch (NameRecordings.Unusable e) {
                out.put("nameProblem", e.getMessage());
            }
        }
        return out;
    }

    @PostMapping("/vaccines/{vaccineId}/name/generate")
    @Operation(summary = "用 espeak-ng 生成疫苗名称语音（text：读法，可空则读疫苗名）")
    Map<String, Object> generateVaccineName(@AuthenticationPrincipal ConsoleUserDetails me,
            @PathVariable long vaccineId, @RequestBody SpokenText b) {
        return Map.of("namePrompt", admin.generateVaccineName(me(me), vaccineId, b.text(), b.reason()));
    }

    @PostMapping(value = "/vaccines/{vaccineId}/name/upload",
            consumes = {"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    @Operation(summary = "上传疫苗名称录音（WAV，转为 8 kHz 16 位单声道）；原因放在查询参数 reason")
    Map<String, Object> uploadVaccineName(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long vaccineId,
            @RequestParam String reason, @RequestBody byte[] wav) {
        return Map.of("namePrompt", admin.uploadVaccineName(me(me), vaccineId, wav, reason));
    }

    @PostMapping("/facilities/{facilityId}/vaccine-services")
    Map<String, Object> addVaccineService(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @RequestBody NewVaccineService b) {
        long id = admin.addVaccineService(me(me), facilityId, b.vaccineId(), b.code(), b.name(), b.reason());
        return named(me, facilityId, SpokenNames.Kind.SERVICE, id, b.generateName(), b.reason());
    }

    private Map<String, Object> named(ConsoleUserDetails me, long facilityId, SpokenNames.Kind kind, long id,
            Boolean generate, String reason) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        if (Boolean.TRUE.equals(generate)) {
            try {
                out.put("namePrompt", admin.generateName(me(me), facilityId, kind, id, reason));
            } catch (NameRecordings.Unusable e) {
                out.put("nameProblem", e.getMessage());
            }
        }
        return out;
    }

    @PostMapping("/facilities/{facilityId}/names/{kind}/{entryId}/generate")
    @Operation(summary = "用 espeak-ng 生成名称语音")
    Map<String, Object> generateName(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @PathVariable SpokenNames.Kind kind, @PathVariable long entryId, @RequestBody Reason b) {
        return Map.of("namePrompt", admin.generateName(me(me), facilityId, kind, entryId, b.reason()));
    }

    @PostMapping(value = "/facilities/{facilityId}/names/{kind}/{entryId}/upload",
            consumes = {"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    @Operation(summary = "上传名称录音（WAV，任意采样率/声道，转为 8 kHz 16 位单声道）；原因放在查询参数 reason")
    Map<String, Object> uploadName(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @PathVariable SpokenNames.Kind kind, @PathVariable long entryId, @RequestParam String reason,
            @RequestBody byte[] wav) {
        return Map.of("namePrompt", admin.uploadName(me(me), facilityId, kind, entryId, wav, reason));
    }

    @GetMapping("/facilities/{facilityId}/names/{kind}/{entryId}.wav")
    @Operation(summary = "试听名称录音")
    ResponseEntity<byte[]> nameAudio(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @PathVariable SpokenNames.Kind kind, @PathVariable long entryId) {
        return admin.nameAudio(me(me), facilityId, kind, entryId)
                .map(b -> ResponseEntity.ok().contentType(MediaType.parseMediaType("audio/x-wav")).body(b))
                .orElseGet(() -> ResponseEntity.notFound().build());
    }

    @PostMapping("/facilities/{facilityId}/services/{serviceId}/roster")
    @Operation(summary = "保存一条周排班（违反市卫健委规则时拒绝；管理员可填写越权理由保存）")
    RosterAdmin.Outcome saveRoster(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @PathVariable long serviceId, @RequestBody Roster b) {
        return admin.saveRoster(me(me), facilityId, serviceId, new HospitalAdmin.RosterInput(b.day(), b.period(),
                b.starts(), b.ends(), b.slotMinutes(), b.onsite(), b.community(), b.pub()), b.reason(),
                b.overrideReason());
    }

    @PostMapping("/facilities/{facilityId}/services/{serviceId}/roster/delete")
    RosterAdmin.Regenerated deleteRoster(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @PathVariable long serviceId, @RequestBody RosterDelete b) {
        return admin.deleteRoster(me(me), facilityId, serviceId, b.day(), b.period(), b.reason());
    }

    @PostMapping("/facilities/{facilityId}/policy")
    @Operation(summary = "保存放号策略（违反规则时拒绝；管理员可填写越权理由保存）")
    RosterAdmin.Outcome savePolicy(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @RequestBody Policy b) {
        ReleasePolicy p = new ReleasePolicy(b.publicDaysAhead(), b.publicOpensAt(), b.communityDaysAhead(),
                b.communityOpensAt(), b.communityToPublicDaysBefore(), b.communityToPublicAt(),
                Duration.ofMinutes(b.closeBeforeMinutes()), b.phoneToOnsiteAt());
        return admin.savePolicy(me(me), facilityId, b.serviceId(), p, b.reason(), b.overrideReason());
    }

    @PostMapping("/facilities/{facilityId}/closures")
    @Operation(summary = "停开一天或一个时段（节假日）；已有预约时 409，带 cancelBookings=true 再提交即停诊："
            + "预约全部取消（医院原因），患者与家属收到短信（最近可约时段，回复1改约），60 岁以上列入回访名单")
    Map<String, Object> close(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @RequestBody Closure b) {
        String period = b.period() == null || b.period().isBlank() ? null : b.period();
        if (Boolean.TRUE.equals(b.cancelBookings())) {
            HospitalAdmin.Cancelled c = admin.cancelAndClose(me(me), facilityId, b.serviceId(), b.date(), period,
                    b.reason());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("closed", true);
            out.put("sessionsClosed", c.closure().sessionsClosed());
            var d = c.cancelled();
            out.put("cancellationId", d == null ? null : d.cancellationId());
            out.put("bookingsCancelled", d == null ? 0 : d.bookingsCancelled());
            out.put("offered", d == null ? 0 : d.offered());
            out.put("elders", d == null ? 0 : d.elders());
            out.put("worklist", "/console/closures");
            return out;
        }
        var out = admin.close(me(me), facilityId, b.serviceId(), b.date(), period, b.reason());
        return Map.of("closed", true, "sessionsClosed", out.sessionsClosed());
    }

    @PostMapping("/facilities/{facilityId}/closures/{closureId}/reopen")
    Map<String, Object> reopen(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId,
            @PathVariable long closureId, @RequestBody Reason b) {
        admin.reopen(me(me), facilityId, closureId, b.reason());
        return Map.of("reopened", true);
    }

    @GetMapping("/overrides")
    @Operation(summary = "越权保存的排班与策略（医院管理员：本机构）")
    List<RosterAdmin.Override> overrides(@AuthenticationPrincipal ConsoleUserDetails me) {
        return admin.overrides(me(me));
    }

    @GetMapping("/facilities/{facilityId}/roster.csv")
    @Operation(summary = "导出科室与排班（CSV）")
    ResponseEntity<String> export(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long facilityId) {
        return ResponseEntity.ok().header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"roster-" + facilityId
                + ".csv\"").contentType(MediaType.parseMediaType("text/csv;charset=UTF-8"))
                .body("\uFEFF" + csv.export(me(me), facilityId));
    }

    @PostMapping(value = "/facilities/{facilityId}/roster.csv", consumes = {"text/csv", MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "导入科室与排班（CSV，全部或全不）；问题按行和列列出")
    ResponseEntity<RosterCsv.Report> importCsv(@AuthenticationPrincipal ConsoleUserDetails me,
            @PathVariable long facilityId, @RequestParam(required = false) String reason,
            @RequestParam(required = false) String overrideReason, @RequestParam(defaultValue = "false") boolean dryRun,
            @RequestParam(defaultValue = "true") boolean generateNames, @RequestBody String body) {
        RosterCsv.Report r = csv.importCsv(me(me), facilityId, body, reason, overrideReason, dryRun, generateNames);
        return ResponseEntity.status(r.problems().isEmpty() ? 200 : 422).body(r);
    }

    static ResponseEntity<String> csvFile(String name, String body) {
        return ResponseEntity.ok().header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"" + name + "\"")
                .contentType(MediaType.parseMediaType("text/csv;charset=UTF-8")).body("\uFEFF" + body);
    }

    static ResponseEntity<CatalogueCsv.Report> report(CatalogueCsv.Report r) {
        return ResponseEntity.status(r.problems().isEmpty() ? 200 : 422).body(r);
    }

    @GetMapping("/facilities.csv")
    @Operation(summary = "导出机构（CSV：code,name,kind,district,address；医院管理员：本机构）")
    ResponseEntity<String> exportFacilities(@AuthenticationPrincipal ConsoleUserDetails me) {
        return csvFile("facilities.csv", catalogueCsv.exportFacilities(me(me)));
    }

    @PostMapping(value = "/facilities.csv", consumes = {"text/csv", MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "导入机构（仅管理员；CSV，全部或全不；问题按行和列列出；新机构可生成名称语音）")
    ResponseEntity<CatalogueCsv.Report> importFacilities(@AuthenticationPrincipal ConsoleUserDetails me,
            @RequestParam(required = false) String reason, @RequestParam(defaultValue = "false") boolean dryRun,
            @RequestParam(defaultValue = "true") boolean generateNames, @RequestBody String body) {
        return report(catalogueCsv.importFacilities(me(me), body, reason, dryRun, generateNames));
    }

    @GetMapping("/vaccines.csv")
    @Operation(summary = "导出疫苗品种与接种规则（CSV）")
    ResponseEntity<String> exportVaccines(@AuthenticationPrincipal ConsoleUserDetails me) {
        return csvFile("vaccines.csv", catalogueCsv.exportVaccines(me(me)));
    }

    @PostMapping(value = "/vaccines.csv", consumes = {"text/csv", MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "导入疫苗品种与接种规则（仅管理员；CSV，全部或全不；问题按行和列列出）")
    ResponseEntity<CatalogueCsv.Report> importVaccines(@AuthenticationPrincipal ConsoleUserDetails me,
            @RequestParam(required = false) String reason, @RequestParam(defaultValue = "false") boolean dryRun,
            @RequestBody String body) {
        return report(catalogueCsv.importVaccines(me(me), body, reason, dryRun));
    }

    @GetMapping("/facilities/{facilityId}/policies.csv")
    @Operation(summary = "导出本机构放号策略（CSV：机构一行，单独设置的科室各一行）")
    ResponseEntity<String> exportPolicies(@AuthenticationPrincipal ConsoleUserDetails me,
            @PathVariable long facilityId) {
        return csvFile("policies-" + facilityId + ".csv", catalogueCsv.exportPolicies(me(me), facilityId));
    }

    @PostMapping(value = "/facilities/{facilityId}/policies.csv", consumes = {"text/csv", MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "导入放号策略（CSV，全部或全不；违反市卫健委规则的行写明规则，管理员可填写越权理由）")
    ResponseEntity<CatalogueCsv.Report> importPolicies(@AuthenticationPrincipal ConsoleUserDetails me,
            @PathVariable long facilityId, @RequestParam(required = false) String reason,
            @RequestParam(required = false) String overrideReason, @RequestParam(defaultValue = "false") boolean dryRun,
            @RequestBody String body) {
        return report(catalogueCsv.importPolicies(me(me), facilityId, body, reason, overrideReason, dryRun));
    }
}
