package org.hotline.agent.web;

import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AgentDesk;
import org.hotline.agent.CheckInLimiter;

/** The front desk's check-in: what the no-show rule needs to know who came. */
@RestController
@Tag(name = "check-ins", description = "导诊台到诊签到（本机构当天的预约）")
class CheckInApi {

    record CheckIn(String code) {
    }

    private final AgentDesk desk;
    private final CheckInLimiter limiter;

    CheckInApi(AgentDesk desk, CheckInLimiter limiter) {
        this.desk = desk;
        this.limiter = limiter;
    }

    /**
     * The booking when one of this facility was found; a refusal is 422 with its name and text, as every console
     * action (another facility's booking: its name only). Look-ups faster than a desk works: 429 with Retry-After.
     */
    @PostMapping("/api/check-ins")
    @Operation(summary = "按预约码签到：本机构今天的有效预约记为已到诊（不再计为爽约）")
    ResponseEntity<?> checkIn(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody CheckIn body) {
        var wait = limiter.take(me.getUsername());
        if (wait.isPresent()) {
            long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
            return ResponseEntity.status(429).header("Retry-After", Long.toString(seconds))
                    .body(Map.of("refusal", "TOO_MANY", "text", "查询太频繁，请 " + seconds + " 秒后再试"));
        }
        return ActionResult.of(desk.checkIn(me.actor(), body == null ? null : body.code()));
    }
}
