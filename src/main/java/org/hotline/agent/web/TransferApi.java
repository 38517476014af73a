package org.hotline.agent.web;

import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AgentPresence;
import org.hotline.agent.TransferDesk;

@RestController
@RequestMapping("/api/transfers")
@Tag(name = "transfers", description = "转人工的来电及其上下文")
class TransferApi {

    private final TransferDesk desk;
    private final AgentPresence presence;

    TransferApi(TransferDesk desk, AgentPresence presence) {
        this.desk = desk;
        this.presence = presence;
    }

    @GetMapping
    @Operation(summary = "近期转人工来电，最新的在前（坐席的控制台以此轮询，也表示该坐席在岗）")
    List<TransferDesk.TransferView> recent(@AuthenticationPrincipal ConsoleUserDetails me) {
        presence.seen(me.actor());
        return desk.recent();
    }

    @GetMapping("/{transferId}")
    @Operation(summary = "一次转接的上下文和来电号码的未就诊预约")
    ResponseEntity<TransferDesk.TransferDetail> detail(@PathVariable String transferId) {
        return ResponseEntity.of(desk.detail(transferId));
    }

    @PostMapping("/{transferId}/pickup")
    @Operation(summary = "接听该来电（先到先得）")
    ResponseEntity<TransferDesk.TransferView> pickUp(@AuthenticationPrincipal ConsoleUserDetails me,
            @PathVariable String transferId) {
        return ResponseEntity.of(desk.pickUp(me.actor(), transferId));
    }
}
