package org.hotline.agent.web;

import java.util.List;
import java.util.Map;

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

import org.hotline.agent.CallbackDesk;
import org.hotline.agent.CallbackOutcome;

@RestController
@RequestMapping("/api/callbacks")
@Tag(name = "callbacks", description = "回拨请求与每次回拨的结果")
class CallbackApi {

    private final CallbackDesk desk;

    CallbackApi(CallbackDesk desk) {
        this.desk = desk;
    }

    record AttemptBody(CallbackOutcome outcome, String note) {
    }

    @GetMapping
    @Operation(summary = "回拨请求（OPEN 待回拨，DONE 已完成，GAVE_UP 已放弃），最早的在前")
    List<CallbackDesk.CallbackView> list(@RequestParam(defaultValue = "OPEN") String status) {
        return desk.list(status);
    }

    @GetMapping("/{id}")
    ResponseEntity<CallbackDesk.CallbackView> get(@PathVariable long id) {
        return ResponseEntity.of(desk.view(id));
    }

    @PostMapping("/{id}/attempts")
    @Operation(summary = "记录一次回拨及结果")
    ResponseEntity<?> attempt(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id,
            @RequestBody AttemptBody body) {
        if (body == null || body.outcome() == null) {
            return ResponseEntity.badRequest().body(Map.of("text", "请选择回拨结果"));
        }
        CallbackDesk.AttemptResult r = desk.recordAttempt(me.actor(), id, body.outcome(), body.note());
        if (r instanceof CallbackDesk.AttemptResult.Recorded ok) {
            return ResponseEntity.ok(ok.callback());
        }
        return ResponseEntity.status(422).body(Map.of("text", ((CallbackDesk.AttemptResult.Refused) r).text()));
    }
}
