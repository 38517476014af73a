package org.hotline.agent.web;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.SessionClosureDesk;
import org.hotline.booking.Period;
import org.hotline.booking.SessionCancellations;

/**
 * 停诊 (docs/operations.md): {@code POST /api/closures} cancels a session or a day (administrators); the list of
 * cancellations and the worklist of affected patients aged 60+ with their calls (administrators and supervisors).
 * A role that may not: 403 with {@code {"text"}}; a notice outside the user's facility or unknown: 404, alike.
 */
@RestController
@RequestMapping("/api/closures")
@Tag(name = "closures", description = "停诊：取消出诊、受影响的 60 岁以上患者回访")
class ClosureApi {

    private final SessionClosureDesk desk;

    ClosureApi(SessionClosureDesk desk) {
        this.desk = desk;
    }

    /** {@code serviceId} null: every department and vaccine of the facility; {@code period} null: the whole day. */
    record CancelBody(Long facilityId, Long serviceId, LocalDate date, Period period, String reason) {
    }

    record CallBody(SessionCancellations.CallOutcome outcome, String note) {
    }

    @PostMapping
    @Operation(summary = "停诊：取消一个出诊或全天；预约全部取消（医院原因），号源关闭不再放出，患者与家属收到短信（含最近可约时段，回复1改约）")
    ResponseEntity<?> cancel(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody CancelBody body) {
        if (body == null || body.facilityId() == null) {
            return ResponseEntity.badRequest().body(Map.of("field", "facilityId", "text", "请选择机构"));
        }
        SessionCancellations.Result r = desk.cancel(me.actor(), new SessionClosureDesk.CancelRequest(
                body.facilityId(), body.serviceId(), body.date(), body.period(), body.reason()));
        if (r instanceof SessionCancellations.Result.Done d) {
            return ResponseEntity.ok(d);
        }
        SessionCancellations.Problem p = ((SessionCancellations.Result.Refused) r).problem();
        return ResponseEntity.status(422).body(Map.of("refusal", p.name(), "text", p.text()));
    }

    @GetMapping
    @Operation(summary = "近两周及以后的停诊记录")
    List<SessionCancellations.CancellationView> list(@AuthenticationPrincipal ConsoleUserDetails me) {
        return desk.list(me.actor());
    }

    @GetMapping("/elders")
    @Operation(summary = "停诊影响的 60 岁以上患者（请逐一电话告知），含改约情况与回访结果")
    List<SessionCancellations.AffectedPatient> elders(@AuthenticationPrincipal ConsoleUserDetails me) {
        return desk.worklist(me.actor());
    }

    @PostMapping("/notices/{noticeId}/calls")
    @Operation(summary = "记录一次回访电话及结果（REACHED 已告知, MOVED 已改约, CANCELLED 不再预约, NO_ANSWER 无人接听）")
    ResponseEntity<?> call(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long noticeId,
            @RequestBody CallBody body) {
        if (body == null || body.outcome() == null) {
            return ResponseEntity.badRequest().body(Map.of("field", "outcome", "text", "请选择回访结果"));
        }
        return desk.recordCall(me.actor(), noticeId, body.outcome(), body.note())
                .<ResponseEntity<?>>map(ResponseEntity::ok)
                .orElseGet(() -> ResponseEntity.status(404).body(Map.of("text", "没有找到该停诊通知")));
    }

    @ExceptionHandler(SessionClosureDesk.NotAllowed.class)
    ResponseEntity<Map<String, String>> notAllowed(SessionClosureDesk.NotAllowed e) {
        return ResponseEntity.status(403).body(Map.of("text", e.getMessage()));
    }
}
