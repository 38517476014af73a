package org.hotline.handoff;

import java.time.LocalDateTime;

/**
 * A caller asked to be called back (outside agent hours, or the queue was long). The agent console
 * lists these and records each attempt; {@code status} is OPEN until an agent closes it.
 */
public record CallbackRequest(long id, String transferId, String callId, String callerNumber,
        String callerMasked, String patientMasked, Integer patientAge, String reason, String status,
        LocalDateTime createdAt) {
}
