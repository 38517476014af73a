package org.hotline.agent.web;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AgentDesk;
import org.hotline.booking.Booking;
import org.hotline.booking.CheckInOutcome;

/** The front desk's check-in: what the no-show rule needs to know who came. */
@RestController
@Tag(name = "check-ins", description = "导诊台到诊签到（本机构当天的预约）")
class CheckInApi {

    record CheckIn(String code) {
    }

    /** {@code ok}, the booking (when one was found), and the refusal by name with its text. A refusal is 422. */
    record CheckInResult(boolean ok, Booking booking, String refusal, String text) {
    }

    private final AgentDesk desk;

    CheckInApi(AgentDesk desk) {
        this.desk = desk;
    }

    @PostMapping("/api/check-ins")
    @Operation(summary = "按预约码签到：本机构今天的有效预约记为已到诊（不再计为爽约）")
    ResponseEntity<CheckInResult> checkIn(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody CheckIn body) {
        CheckInOutcome out = desk.checkIn(me.actor(), body == null ? null : body.code());
        if (out instanceof CheckInOutcome.CheckedIn c) {
            return ResponseEntity.ok(new CheckInResult(true, c.booking(), null, "已签到"));
        }
        CheckInOutcome.Refused r = (CheckInOutcome.Refused) out;
        return ResponseEntity.status(422).body(new CheckInResult(false, r.booking(), r.reason().name(), r.reason().text()));
    }
}
