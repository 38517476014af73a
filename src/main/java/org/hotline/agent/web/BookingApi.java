package org.hotline.agent.web;

import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AgentDesk;
import org.hotline.agent.BookingSmsStatus;
import org.hotline.booking.Booking;
import org.hotline.booking.Pool;

/** Book, find, cancel and move bookings for a caller, through the booking rules of the user's channel. */
@RestController
@RequestMapping("/api/bookings")
@Tag(name = "bookings", description = "为来电者预约、查询、取消、改约（坐席渠道 AGENT，社区医生渠道 COMMUNITY_DOCTOR）")
class BookingApi {

    private final AgentDesk desk;
    private final BookingSmsStatus sms;

    BookingApi(AgentDesk desk, BookingSmsStatus sms) {
        this.desk = desk;
        this.sms = sms;
    }

    /** The resident ID travels in the body, never in a URL (URLs end up in access logs). */
    record Search(String code, String phone, String residentId) {
    }

    record CancelBody(String transferId) {
    }

    record MoveBody(long slotId, Pool pool, String residentId, String transferId) {
    }

    record SmsStatus(List<BookingSmsStatus.SmsLine> messages) {
    }

    @PostMapping
    @Operation(summary = "预约一个时段（拒绝时 HTTP 422，附拒绝原因）")
    ResponseEntity<ActionResult> book(@AuthenticationPrincipal ConsoleUserDetails me,
            @RequestBody AgentDesk.BookRequest body) {
        return ActionResult.of(desk.book(me.actor(), body));
    }

    @PostMapping("/search")
    @Operation(summary = "按预约码、电话或身份证号查找预约")
    List<Booking> search(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody Search body) {
        return desk.find(me.actor(), body.code(), body.phone(), body.residentId());
    }

    @GetMapping("/{id}")
    ResponseEntity<Booking> get(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id) {
        return ResponseEntity.of(desk.booking(me.actor(), id));
    }

    @GetMapping("/{id}/sms")
    @Operation(summary = "该预约的短信状态")
    ResponseEntity<SmsStatus> sms(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id) {
        if (desk.booking(me.actor(), id).isEmpty()) {
            return ResponseEntity.notFound().build();
        }
        return ResponseEntity.ok(new SmsStatus(sms.of(id)));
    }

    @PostMapping("/{id}/cancel")
    @Operation(summary = "取消预约")
    ResponseEntity<ActionResult> cancel(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id,
            @RequestBody(required = false) CancelBody body) {
        return ActionResult.of(desk.cancel(me.actor(), id, body == null ? null : body.transferId()));
    }

    @PostMapping("/{id}/move")
    @Operation(summary = "改约到另一个时段（需患者身份证号；新时段不成时恢复原时段）")
    ResponseEntity<ActionResult> move(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id,
            @RequestBody MoveBody body) {
        return ActionResult.of(desk.move(me.actor(), id, body.slotId(), body.pool(), body.residentId(),
                body.transferId()));
    }
}
