package org.hotline.agent.web;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AuditTrail;
import org.hotline.audit.AuditLog;

@RestController
@Tag(name = "audit", description = "操作审计：谁、何时、做了什么、为哪通来电")
class AuditApi {

    private final AuditTrail audit;

    AuditApi(AuditTrail audit) {
        this.audit = audit;
    }

    @GetMapping("/api/audit")
    @Operation(summary = "审计记录，最新的在前")
    List<AuditLog.AuditEvent> find(@RequestParam(required = false) String username,
            @RequestParam(required = false) String transferId, @RequestParam(required = false) Long bookingId,
            @RequestParam(required = false) Long callbackId, @RequestParam(defaultValue = "100") int limit) {
        return audit.find(username, transferId, bookingId, callbackId, limit);
    }
}
