package org.hotline.agent;

import java.util.List;

import org.springframework.stereotype.Component;

import org.hotline.audit.AuditLog;

/**
 * Every console action: who, when, what, with what outcome, from which call, kept by the audit module
 * ({@link AuditLog}, which also holds the voice menu's refusals of callers over the look-up limits).
 * A booking's row is written inside the booking's own transaction (see {@link AgentDesk}), so a booking
 * never exists without its audit row. Details carry masked personal data only.
 */
@Component
public class AuditTrail {

    private final AuditLog log;

    public AuditTrail(AuditLog log) {
        this.log = log;
    }

    /** What happened, built step by step: {@code Entry.of("BOOK", "OK").transfer(t).booking(id, code)}. */
    public record Entry(String action, String outcome, String transferId, Long callbackId, Long bookingId,
            String bookingCode, String detail) {

        public static Entry of(String action, String outcome) {
            return new Entry(action, outcome, null, null, null, null, "");
        }

        public Entry transfer(String id) {
            return new Entry(action, outcome, id == null || id.isBlank() ? null : id, callbackId, bookingId,
                    bookingCode, detail);
        }

        public Entry callback(Long id) {
            return new Entry(action, outcome, transferId, id, bookingId, bookingCode, detail);
        }

        public Entry booking(Long id, String code) {
            return new Entry(action, outcome, transferId, callbackId, id, code, detail);
        }

        public Entry detail(String text) {
            return new Entry(action, outcome, transferId, callbackId, bookingId, bookingCode, text == null ? "" : text);
        }
    }

    public void record(Actor actor, Entry e) {
        log.record(actor.username(), actor.role().name(), e.action(), e.outcome(), e.transferId(), e.callbackId(),
                e.bookingId(), e.bookingCode(), e.detail());
    }

    /** Filters are optional (null = any); newest first, at most {@code limit} rows. */
    public List<AuditLog.AuditEvent> find(String username, String transferId, Long bookingId, Long callbackId,
            int limit) {
        return log.find(username, transferId, bookingId, callbackId, limit);
    }
}
