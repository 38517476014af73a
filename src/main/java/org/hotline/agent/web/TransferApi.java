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
import org.hotline.agent.ScreenPops;
import org.hotline.agent.TransferDesk;

@RestController
@RequestMapping("/api/transfers")
@Tag(name = "transfers", description = "转人工的来电及其上下文")
class TransferApi {

    private final TransferDesk desk;
    private final AgentPresence presence;
    private final ScreenPops pops;

    TransferApi(TransferDesk desk, AgentPresence presence, ScreenPops pops) {
        this.desk = desk;
        this.presence = presence;
        this.pops = pops;
    }

    record Pop(String transferId) {
    }

    @GetMapping("/pop")
    @Operation(summary = "Asterisk 刚把本坐席话机接通的来电（弹屏）：转接编号，没有则 204；每次弹屏只给一次")
    ResponseEntity<Pop> pop(@AuthenticationPrincipal ConsoleUserDetails me) {
        return pops.next(me.actor()).map(id -> ResponseEntity.ok(new Pop(id)))
                .orElseGet(() -> ResponseEntity.noContent().build());
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
