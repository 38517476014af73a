package org.hotline.agent.web;

import java.time.LocalDate;
import java.util.List;

import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AgentDesk;
import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Facility;
import org.hotline.booking.FacilityKind;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.SlotOffer;

@RestController
@RequestMapping("/api/catalogue")
@Tag(name = "catalogue", description = "医院、科室、疫苗与可约时段（按当前用户的预约渠道）")
class CatalogueApi {

    private final Catalogue catalogue;
    private final AgentDesk desk;

    CatalogueApi(Catalogue catalogue, AgentDesk desk) {
        this.catalogue = catalogue;
        this.desk = desk;
    }

    @GetMapping("/facilities")
    @Operation(summary = "提供该类服务的机构")
    List<Facility> facilities(@RequestParam(defaultValue = "OUTPATIENT") ServiceKind kind) {
        return catalogue.facilities(kind);
    }

    @GetMapping("/community-centres")
    @Operation(summary = "社区卫生服务中心（社区医生所属机构）")
    List<Facility> communityCentres() {
        return catalogue.facilitiesOfKind(FacilityKind.COMMUNITY_CENTRE);
    }

    @GetMapping("/facilities/{facilityId}/services")
    @Operation(summary = "机构的科室或疫苗")
    List<BookableService> services(@PathVariable long facilityId,
            @RequestParam(defaultValue = "OUTPATIENT") ServiceKind kind) {
        return catalogue.services(facilityId, kind);
    }

    @GetMapping("/services/{serviceId}/dates")
    @Operation(summary = "当前用户现在可约的日期")
    List<LocalDate> dates(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long serviceId) {
        return desk.dates(me.actor(), serviceId);
    }

    @GetMapping("/services/{serviceId}/slots")
    @Operation(summary = "某日当前用户现在可约的时段（每个时段一个号源）")
    List<SlotOffer> slots(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long serviceId,
            @RequestParam @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate date) {
        return desk.slots(me.actor(), serviceId, date);
    }
}
