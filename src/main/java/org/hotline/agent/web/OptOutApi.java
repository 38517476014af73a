package org.hotline.agent.web;

import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AuditTrail;
import org.hotline.booking.PhoneNumber;
import org.hotline.outbound.OutboundCalls;

/**
 * A number whose owner asked for no more calls from the hotline (reminders, call-backs, offers): agents and
 * supervisors record it; the number is never dialled again and its queued calls end. Audited (masked number).
 */
@RestController
@Tag(name = "opt-outs", description = "不再接听热线来电的号码")
class OptOutApi {

    private final OutboundCalls outbound;
    private final AuditTrail audit;

    OptOutApi(OutboundCalls outbound, AuditTrail audit) {
        this.outbound = outbound;
        this.audit = audit;
    }

    record OptOutBody(String number) {
    }

    @PostMapping("/api/opt-outs")
    @Operation(summary = "登记一个不再接听热线来电（提醒、回拨）的号码")
    ResponseEntity<?> optOut(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody OptOutBody body) {
        String n = body == null ? null : PhoneNumber.normalise(body.number());
        if (n == null || !n.matches("[0-9]{5,20}")) {
            return ResponseEntity.badRequest().body(Map.of("text", "请输入正确的电话号码"));
        }
        outbound.optOut(n, "CONSOLE", me.actor().username());
        audit.record(me.actor(), AuditTrail.Entry.of("OPT_OUT", "RECORDED").detail("号码 " + PhoneNumber.mask(n)
                + " 不再接听热线来电"));
        return ResponseEntity.ok(Map.of("number", PhoneNumber.mask(n), "optedOut", true));
    }
}
