package org.hotline.sms;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.LocalTime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import org.hotline.booking.Booking;
import org.hotline.booking.Booking.BookingStatus;
import org.hotline.booking.BookingEvents;
import org.hotline.booking.PhoneNumber;

/**
 * The transactional outbox. The booking core publishes its events inside its own transaction and
 * these listeners are plain (synchronous) {@code @EventListener}s, so the SMS rows commit or roll back
 * with the booking change that caused them: a rolled-back booking sends nothing, a committed one
 * always sends (the dispatcher picks the rows up, on any node, whenever an SMSC is reachable).
 */
@Component
public class SmsOutbox {

    private static final Logger log = LoggerFactory.getLogger(SmsOutbox.class);
    /** Next-dose notices go out in the morning of the first day the dose may be booked. */
    static final LocalTime NEXT_DOSE_AT = LocalTime.of(9, 0);

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final SmsTemplates templates;
    private final DispatchSignal signal;
    private final QuietHours quiet;

    SmsOutbox(JdbcTemplate jdbc, Clock clock, SmsTemplates templates, DispatchSignal signal, QuietHours quiet) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.templates = templates;
        this.signal = signal;
        this.quiet = quiet;
    }

    @EventListener
    void onConfirmed(BookingEvents.BookingConfirmed event) {
        Booking b = event.booking();
        SmsTemplates.Place place = templates.placeOf(b);
        if (b.smsPhone() != null) {
            enqueue(b.id(), SmsKind.CONFIRMATION, b.smsPhone(), templates.confirmation(b, place), null);
        }
        for (String family : b.familyPhones()) {
            enqueue(b.id(), SmsKind.FAMILY_COPY, family, templates.familyCopy(b, place), null);
        }
        if (b.nextDoseFrom() != null && b.doseNumber() != null) {
            LocalDateTime at = b.nextDoseFrom().atTime(NEXT_DOSE_AT);
            if (b.smsPhone() != null) {
                enqueue(b.id(), SmsKind.NEXT_DOSE, b.smsPhone(), templates.nextDose(b, false), at);
            }
            for (String family : b.familyPhones()) {
                enqueue(b.id(), SmsKind.NEXT_DOSE, family, templates.nextDose(b, true), at);
            }
        }
    }

    @EventListener
    void onWaitlistOffered(BookingEvents.WaitlistOffered event) {
        enqueue(null, SmsKind.WAITLIST_OFFER, event.phone(), templates.waitlistOffer(event), null);
    }

    @EventListener
    void onCancelled(BookingEvents.BookingCancelled event) {
        Booking b = event.booking();
        // what was scheduled for this booking no longer applies
        jdbc.update("""
                UPDATE sms_message SET status = 'CANCELLED', done_at = ?
                WHERE booking_id = ? AND kind IN ('REMINDER', 'NEXT_DOSE') AND status = 'PENDING'""", now(), b.id());
        if (b.smsPhone() != null) {
            enqueue(b.id(), SmsKind.CANCELLATION, b.smsPhone(), templates.cancellation(b, false), null);
        }
        for (String family : b.familyPhones()) {
            enqueue(b.id(), SmsKind.CANCELLATION, family, templates.cancellation(b, true), null);
        }
    }

    /** 停诊: scheduled messages withdrawn, and the patient and every family phone told, with the alternative. */
    @EventListener
    void onCancelledByHospital(BookingEvents.CancelledByHospital event) {
        Booking b = event.booking();
        jdbc.update("""
                UPDATE sms_message SET status = 'CANCELLED', done_at = ?
                WHERE booking_id = ? AND kind IN ('REMINDER', 'NEXT_DOSE') AND status = 'PENDING'""", now(), b.id());
        if (b.smsPhone() != null) {
            enqueue(b.id(), SmsKind.HOSPITAL_CANCELLATION, b.smsPhone(),
                    templates.hospitalCancellation(b, event.alternative(), false), null);
        }
        for (String family : b.familyPhones()) {
            enqueue(b.id(), SmsKind.HOSPITAL_CANCELLATION, family,
                    templates.hospitalCancellation(b, event.alternative(), true), null);
        }
    }

    @EventListener
    void onReminderDue(BookingEvents.ReminderDue event) {
        Booking b = event.booking();
        if (b.status() != BookingStatus.ACTIVE) {
            return;
        }
        SmsTemplates.Place place = templates.placeOf(b);
        if (b.smsPhone() != null) {
            enqueue(b.id(), SmsKind.REMINDER, b.smsPhone(), templates.reminder(b, place, false), null);
        }
        for (String family : b.familyPhones()) {
            enqueue(b.id(), SmsKind.REMINDER, family, templates.reminder(b, place, true), null);
        }
    }

    /**
     * Queues one message in the caller's transaction (if any). A booking-driven kind is queued once per
     * booking and phone: a second event for the same pair is ignored.
     *
     * @param notBefore null: as soon as possible; a kind that keeps the quiet hours waits for their end
     */
    public void enqueue(Long bookingId, SmsKind kind, String phone, String body, LocalDateTime notBefore) {
        String to = PhoneNumber.normalise(phone);
        LocalDateTime now = now();
        if (kind.keepsQuietHours()) {
            notBefore = quiet.sendableFrom(notBefore == null || notBefore.isBefore(now) ? now : notBefore);
        }
        String dedupe = bookingId == null || kind == SmsKind.REPLY || kind == SmsKind.AGENT_NOTICE ? null
                : kind + ":" + bookingId + ":" + to;
        jdbc.update("""
                INSERT INTO sms_message (booking_id, kind, phone, phone_masked, body, parts, status, next_attempt_at,
                  dedupe_key, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?)
                ON DUPLICATE KEY UPDATE id = id""", bookingId, kind.name(), to, PhoneNumber.mask(to), body,
                Ucs2Message.partCount(body), notBefore == null ? now : notBefore, dedupe, now);
        log.debug("Queued {} to {} (booking {})", kind, PhoneNumber.mask(to), bookingId);
        wakeAfterCommit();
    }

    /** Wakes this node's dispatchers now (something became due outside a booking's transaction). */
    void wakeDispatchers() {
        signal.wake();
    }

    private void wakeAfterCommit() {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    signal.wake();
                }
            });
        } else {
            signal.wake();
        }
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }
}
