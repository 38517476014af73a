package org.hotline.agent;

import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import org.springframework.stereotype.Component;

import org.hotline.booking.Period;
import org.hotline.booking.SessionCancellations;
import org.hotline.booking.SessionCancellations.AffectedPatient;
import org.hotline.booking.SessionCancellations.CallOutcome;
import org.hotline.booking.SessionCancellations.CancellationView;

/**
 * The console's 停诊 screen: cancelling a session or day ({@link SessionCancellations#cancel}), the list of
 * cancellations, and the worklist of affected elders with the outcome of each call.
 *
 * <p>Who may: an administrator cancels at any facility, a hospital's administrator (医院管理员) at their own; a supervisor (班长, who organises the agents' calls) reads
 * the cancellations and the worklist and records calls, but does not cancel. A user with a facility of its own may
 * act only on that facility ({@link #scope}): a notice of another facility is answered as one that does not exist.
 * Every cancellation and every call is audited ({@code SESSION_CANCEL}, {@code CLOSURE_CALL}).
 */
@Component
public class SessionClosureDesk {

    /** How far back the list and the worklist look (cancelled days from this many days ago on). */
    static final int LOOK_BACK_DAYS = 14;

    private final SessionCancellations cancellations;
    private final AuditTrail audit;
    private final Clock clock;

    public SessionClosureDesk(SessionCancellations cancellations, AuditTrail audit, Clock clock) {
        this.cancellations = cancellations;
        this.audit = audit;
        this.clock = clock;
    }

    /** The role may not do this at all (HTTP 403). */
    public static class NotAllowed extends RuntimeException {
        public NotAllowed() {
            super("无权进行此操作", null, false, false);
        }
    }

    /** A cancellation asked for from the console. {@code serviceId} null: every service; {@code period} null: the day. */
    public record CancelRequest(long facilityId, Long serviceId, LocalDate date, Period period, String reason) {
    }

    /** Whether this user may cancel sessions of this facility. */
    public boolean mayCancel(Actor actor, long facilityId) {
        return (actor.role() == ConsoleRole.ADMIN || actor.role() == ConsoleRole.HOSPITAL_ADMIN)
                && inScope(actor, facilityId);
    }

    /** Whether this user may read the 停诊 screen and record calls at all. */
    public boolean mayWork(Actor actor) {
        return actor.role() == ConsoleRole.ADMIN || actor.role() == ConsoleRole.SUPERVISOR
                || actor.role() == ConsoleRole.HOSPITAL_ADMIN && actor.facilityId() != null;
    }

    /** The facility this user is limited to (a hospital's administrator), or null for all (the hotline's). */
    static Long scope(Actor actor) {
        return actor.role() == ConsoleRole.HOSPITAL_ADMIN ? actor.facilityId() : null;
    }

    private static boolean inScope(Actor actor, long facilityId) {
        Long s = scope(actor);
        return s == null || s == facilityId;
    }

    public SessionCancellations.Result cancel(Actor actor, CancelRequest req) {
        ConsoleInput.positive("facilityId", req.facilityId());
        if (req.date() == null) {
            throw new ConsoleInput.BadInput("date", "请选择日期");
        }
        ConsoleInput.maxLength("reason", req.reason(), 200);
        if (!mayCancel(actor, req.facilityId())) {
            audit.record(actor, AuditTrail.Entry.of("SESSION_CANCEL", "NOT_ALLOWED").detail("机构 " + req.facilityId()));
            throw new NotAllowed();
        }
        SessionCancellations.Result r = cancellations.cancel(actor.username(), req.facilityId(), req.serviceId(),
                req.date(), req.period(), req.reason());
        String what = "机构 " + req.facilityId() + (req.serviceId() == null ? " 全部科室" : " 科室 " + req.serviceId()) + " "
                + req.date() + " " + (req.period() == null ? "全天" : req.period().name()) + "：" + req.reason();
        if (r instanceof SessionCancellations.Result.Done d) {
            audit.record(actor, AuditTrail.Entry.of("SESSION_CANCEL", "OK").detail("停诊 " + d.cancellationId() + " "
                    + what + "；出诊 " + d.sessions() + "，时段 " + d.slots() + "，取消预约 " + d.bookingsCancelled()
                    + "（60岁以上 " + d.elders() + "，已提供改约 " + d.offered() + "）"));
        } else {
            SessionCancellations.Problem p = ((SessionCancellations.Result.Refused) r).problem();
            audit.record(actor, AuditTrail.Entry.of("SESSION_CANCEL", p.name()).detail(what + "：" + p.text()));
        }
        return r;
    }

    public List<CancellationView> list(Actor actor) {
        requireWork(actor);
        return cancellations.list(scope(actor), since());
    }

    public List<AffectedPatient> worklist(Actor actor) {
        requireWork(actor);
        return cancellations.elders(scope(actor), since());
    }

    /**
     * Records a call to an affected patient. Empty when the notice does not exist or is outside the user's
     * facility (the same answer for both).
     */
    public Optional<AffectedPatient> recordCall(Actor actor, long noticeId, CallOutcome outcome, String note) {
        requireWork(actor);
        ConsoleInput.maxLength("note", note, 200);
        Optional<Long> facility = cancellations.facilityOfNotice(noticeId).filter(f -> inScope(actor, f));
        if (facility.isEmpty()) {
            audit.record(actor, AuditTrail.Entry.of("CLOSURE_CALL", "NOT_FOUND").detail("停诊通知 " + noticeId));
            return Optional.empty();
        }
        cancellations.recordCall(noticeId, outcome, note, actor.username());
        Optional<AffectedPatient> now = cancellations.elders(facility.get(), LocalDate.of(2000, 1, 1)).stream()
                .filter(a -> a.noticeId() == noticeId).findFirst();
        audit.record(actor, AuditTrail.Entry.of("CLOSURE_CALL", outcome.name())
                .booking(now.map(AffectedPatient::bookingId).orElse(null), now.map(AffectedPatient::code).orElse(null))
                .detail("停诊回访 " + now.map(AffectedPatient::patientMasked).orElse("") + "：" + outcome.name()));
        return now;
    }

    private void requireWork(Actor actor) {
        if (!mayWork(actor)) {
            throw new NotAllowed();
        }
    }

    private LocalDate since() {
        return LocalDate.now(clock).minusDays(LOOK_BACK_DAYS);
    }
}
