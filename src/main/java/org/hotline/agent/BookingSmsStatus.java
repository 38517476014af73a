package org.hotline.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.stereotype.Component;

import org.hotline.sms.SmsStatusQuery;

/**
 * The SMS side of a booking as an agent sees it, read from the SMS module's public query: to whom
 * (masked), what kind, how far it got; and the notices that a number could not be reached.
 */
@Component
public class BookingSmsStatus {

    private final SmsStatusQuery sms;
    private final Clock clock;

    public BookingSmsStatus(SmsStatusQuery sms, Clock clock) {
        this.sms = sms;
        this.clock = clock;
    }

    /**
     * One message. {@code status} as the SMS module names it (PENDING, SENDING, SUBMITTED, DELIVERED,
     * FAILED, EXPIRED, CANCELLED); {@code updatedAt} the latest of created, submitted, done.
     */
    public record SmsLine(long id, String recipientMasked, String kind, String status, boolean done, int attempts,
            String lastError, LocalDateTime updatedAt) {
    }

    /** "A number could not be reached", for an agent to call instead. */
    public record Notice(long id, Long bookingId, String phoneMasked, String text, LocalDateTime createdAt) {
    }

    public List<SmsLine> of(long bookingId) {
        return sms.forBooking(bookingId).stream().map(v -> new SmsLine(v.id(), v.phoneMasked(), v.kind().name(),
                v.status().name(), v.status().done(), v.attempts(), v.lastError(),
                v.doneAt() != null ? v.doneAt() : v.submittedAt() != null ? v.submittedAt() : v.createdAt()))
                .toList();
    }

    /** Notices of the last {@code within}, newest first. */
    public List<Notice> notices(Duration within) {
        return sms.notices(LocalDateTime.now(clock).minus(within), 100).stream()
                .map(n -> new Notice(n.id(), n.bookingId(), n.phoneMasked(), n.text(), n.createdAt())).toList();
    }
}
