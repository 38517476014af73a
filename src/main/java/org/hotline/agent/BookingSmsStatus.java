package org.hotline.agent;

import java.time.LocalDateTime;
import java.util.List;

/**
 * The SMS messages of a booking as an agent sees them: to whom (masked), what kind, how far it got.
 * The console asks this; the implementation reads the SMS module's public query.
 */
public interface BookingSmsStatus {

    /** One message: {@code status} as the SMS module names it (QUEUED, SENT, DELIVERED, FAILED…). */
    record SmsLine(String recipientMasked, String kind, String status, String statusText, LocalDateTime updatedAt) {
    }

    /** False while no SMS module is part of this build: the console then says so instead of "none". */
    boolean available();

    List<SmsLine> of(long bookingId);
}
