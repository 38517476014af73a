package org.hotline.handoff;

import java.time.LocalDateTime;
import java.util.Map;

/**
 * What an agent sees when a call reaches them: who called, why and where they left the menu, and what
 * they had already chosen. {@code callerNumber} is whole (an agent may have to call back); show
 * {@code callerMasked} wherever a whole number is not needed, and never log the whole one.
 *
 * @param choices what the caller chose so far, in order, as the agent should read it
 *                (e.g. "医院" → "第一人民医院", "科室" → "内科"); never a whole resident ID
 */
public record TransferContext(String transferId, String callId, String callerNumber, String callerMasked,
        String patientMasked, Integer patientAge, TransferReason reason, String flow, String node,
        Map<String, String> choices, int priority, LocalDateTime createdAt) {
}
