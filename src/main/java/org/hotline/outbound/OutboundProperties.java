package org.hotline.outbound;

import java.time.Duration;
import java.time.LocalTime;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code hotline.outbound.*}: calls the gateway places itself (docs/asterisk.md, "Outbound calls").
 *
 * @param enabled          this node places calls (every node may: they claim calls in the database)
 * @param nodeId           this node's name in claims and attempts (empty: hostname-pid)
 * @param quietStart       no call starts from this time (China time, the injected clock) ...
 * @param quietEnd         ... until this time; equal times: no quiet hours
 * @param perNumberPerDay  calls placed to one number in one day, all purposes together
 * @param maxAttempts      tries per call (busy, no answer, silence) before it is given up
 * @param retryAfter       the wait after the first failed try; doubles after each further one
 * @param claimFor         how long a node's claim on a call lasts (a node that dies frees its calls after it)
 * @param pollInterval     how often a node looks for calls that are due
 * @param ringTimeout      how long the callee's phone rings (Originate Timeout)
 * @param trunk            the dial string: {@code {number}} is replaced by the number's digits
 * @param context          the dialplan context the answered call runs ({@code sip-config/extensions.conf})
 * @param callerId         the number the callee sees (the hotline's)
 * @param callbackPriority queue priority of a person called back (above every caller's: first in line)
 * @param voiceReminders   a reminder by telephone for bookings made from a landline (also for numbers that asked)
 */
@ConfigurationProperties("hotline.outbound")
public record OutboundProperties(Boolean enabled, String nodeId, LocalTime quietStart, LocalTime quietEnd,
        Integer perNumberPerDay, Integer maxAttempts, Duration retryAfter, Duration claimFor, Duration pollInterval,
        Duration ringTimeout, String trunk, String context, String callerId, Integer callbackPriority,
        Boolean voiceReminders) {

    public OutboundProperties {
        enabled = enabled == null || enabled;
        nodeId = nodeId == null ? "" : nodeId;
        quietStart = quietStart == null ? LocalTime.of(20, 0) : quietStart;
        quietEnd = quietEnd == null ? LocalTime.of(8, 0) : quietEnd;
        perNumberPerDay = perNumberPerDay == null ? 3 : perNumberPerDay;
        maxAttempts = maxAttempts == null ? 3 : maxAttempts;
        retryAfter = retryAfter == null ? Duration.ofMinutes(15) : retryAfter;
        claimFor = claimFor == null ? Duration.ofMinutes(5) : claimFor;
        pollInterval = pollInterval == null ? Duration.ofSeconds(5) : pollInterval;
        ringTimeout = ringTimeout == null ? Duration.ofSeconds(40) : ringTimeout;
        trunk = trunk == null || trunk.isBlank() ? "PJSIP/{number}@carrier-trunk" : trunk;
        context = context == null || context.isBlank() ? "hotline-outbound" : context;
        callerId = callerId == null || callerId.isBlank() ? "12320" : callerId;
        callbackPriority = callbackPriority == null ? 100 : callbackPriority;
        voiceReminders = voiceReminders == null || voiceReminders;
    }

    public static OutboundProperties defaults() {
        return new OutboundProperties(null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    public OutboundProperties withNode(String node) {
        return new OutboundProperties(enabled, node, quietStart, quietEnd, perNumberPerDay, maxAttempts, retryAfter,
                claimFor, pollInterval, ringTimeout, trunk, context, callerId, callbackPriority, voiceReminders);
    }

    /** Whether no call may start at {@code t}. */
    public boolean quietAt(LocalTime t) {
        if (quietStart.equals(quietEnd)) {
            return false;
        }
        return quietStart.isBefore(quietEnd) ? !t.isBefore(quietStart) && t.isBefore(quietEnd)
                : !t.isBefore(quietStart) || t.isBefore(quietEnd);
    }

    /** {@code at}, or the end of the quiet hours it falls in. */
    public java.time.LocalDateTime callableFrom(java.time.LocalDateTime at) {
        if (!quietAt(at.toLocalTime())) {
            return at;
        }
        java.time.LocalDateTime sameDay = at.toLocalDate().atTime(quietEnd);
        return sameDay.isAfter(at) ? sameDay : sameDay.plusDays(1);
    }
}
