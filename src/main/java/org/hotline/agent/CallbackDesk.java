package org.hotline.agent;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.handoff.CallbackAttempts;
import org.hotline.handoff.CallbackRequest;
import org.hotline.handoff.TransferLog;

/**
 * Call-backs the menu promised: the console lists the requests ({@link TransferLog}) and agents record
 * each attempt here (through {@link CallbackAttempts}). Reached → DONE; wrong number, or the configured
 * number of unanswered attempts → GAVE_UP; otherwise the request stays OPEN.
 */
@Component
public class CallbackDesk {

    private final TransferLog transfers;
    private final CallbackAttempts attempts;
    private final TransactionTemplate tx;
    private final AuditTrail audit;
    private final Clock clock;
    private final AgentProperties props;

    public CallbackDesk(TransferLog transfers, CallbackAttempts attempts, TransactionTemplate tx, AuditTrail audit,
            Clock clock, AgentProperties props) {
        this.transfers = transfers;
        this.attempts = attempts;
        this.tx = tx;
        this.audit = audit;
        this.clock = clock;
        this.props = props;
    }

    public record CallbackAttempt(long id, long callbackId, LocalDateTime at, String username,
            CallbackOutcome outcome, String note) {
    }

    public record CallbackView(CallbackRequest request, List<CallbackAttempt> attempts) {
    }

    /** The answer to recording an attempt: the call-back as it now stands, or why not. */
    public sealed interface AttemptResult {
        record Recorded(CallbackView callback) implements AttemptResult {
        }

        record Refused(String text) implements AttemptResult {
        }
    }

    /** Requests with this status (OPEN, DONE, GAVE_UP), oldest first, each with its attempts. */
    public List<CallbackView> list(String status) {
        List<CallbackRequest> requests = transfers.callbacks(status);
        if (requests.isEmpty()) {
            return List.of();
        }
        Map<Long, List<CallbackAttempts.Attempt>> byRequest = attempts.of(
                requests.stream().map(CallbackRequest::id).toList());
        return requests.stream().map(r -> new CallbackView(r, byRequest.getOrDefault(r.id(), List.of()).stream()
                .map(CallbackDesk::attempt).toList())).toList();
    }

    public Optional<CallbackView> view(long id) {
        return transfers.callback(id).map(r -> new CallbackView(r, attempts(id)));
    }

    public AttemptResult recordAttempt(Actor actor, long callbackId, CallbackOutcome outcome, String note) {
        if (actor.role() != ConsoleRole.AGENT) {
            return new AttemptResult.Refused("只有坐席可以回拨");
        }
        String cleanNote = note == null ? null : note.strip().substring(0, Math.min(note.strip().length(), 300));
        AttemptResult result = tx.execute(s -> {
            String status = attempts.lockStatus(callbackId);
            if (status == null) {
                return new AttemptResult.Refused("没有找到该回拨请求");
            }
            if (!"OPEN".equals(status)) {
                return new AttemptResult.Refused("该回拨已结束");
            }
            int tries = attempts.add(callbackId, LocalDateTime.now(clock), actor.username(), outcome.name(),
                    cleanNote);
            String next = outcome.closesAs() != null ? outcome.closesAs()
                    : tries >= props.callbackMaxAttempts() ? "GAVE_UP" : "OPEN";
            if (!next.equals(status)) {
                attempts.setStatus(callbackId, next);
            }
            CallbackRequest r = transfers.callback(callbackId).orElseThrow();
            audit.record(actor, AuditTrail.Entry.of("CALLBACK_ATTEMPT", outcome.name()).transfer(r.transferId())
                    .callback(callbackId).detail("第 " + tries + " 次回拨 " + r.callerMasked() + "：" + outcome.label()
                            + "，状态 " + next + (cleanNote == null || cleanNote.isEmpty() ? "" : "，备注 " + cleanNote)));
            return new AttemptResult.Recorded(new CallbackView(r, attempts(callbackId)));
        });
        if (result instanceof AttemptResult.Refused r) {
            audit.record(actor, AuditTrail.Entry.of("CALLBACK_ATTEMPT", "REFUSED").callback(callbackId).detail(r.text()));
        }
        return result;
    }

    private List<CallbackAttempt> attempts(long callbackId) {
        return attempts.of(callbackId).stream().map(CallbackDesk::attempt).toList();
    }

    private static CallbackAttempt attempt(CallbackAttempts.Attempt a) {
        return new CallbackAttempt(a.id(), a.callbackId(), a.at(), a.username(), CallbackOutcome.valueOf(a.outcome()),
                a.note());
    }
}
