package org.hotline.agent.web;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AgentDesk;

/** The front desk's check-in: what the no-show rule needs to know who came. */
@RestController
@Tag(name = "check-ins", description = "导诊台到诊签到（本机构当天的预约）")
class CheckInApi {

    record CheckIn(String code) {
    }

    private final AgentDesk desk;

    CheckInApi(AgentDesk desk) {
        this.desk = desk;
    }

    /** The booking when one was found; a refusal is 422 with its name and text, as every console action. */
    @PostMapping("/api/check-ins")
    @Operation(summary = "按预约码签到：本机构今天的有效预约记为已到诊（不再计为爽约）")
    ResponseEntity<ActionResult> checkIn(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody CheckIn body) {
        return ActionResult.of(desk.checkIn(me.actor(), body == null ? null : body.code()));
    }
}
