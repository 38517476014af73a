package org.hotline.agent.web;

import java.time.LocalDate;

import org.springframework.http.ResponseEntity;

import org.hotline.agent.AgentDesk;
import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.CancelOutcome;
import org.hotline.booking.CheckInOutcome;
import org.hotline.booking.Refusal;

/**
 * The answer to a booking action (and a check-in): the booking (and, for a move, the one it replaced), or the refusal
 * by name with its Chinese text, as the console shows it. A refusal is HTTP 422.
 */
public record ActionResult(boolean ok, Booking booking, Booking previous, String refusal, String text,
        LocalDate earliestDate) {

    static ResponseEntity<ActionResult> of(BookingOutcome out) {
        if (out instanceof BookingOutcome.Booked b) {
            return ResponseEntity.ok(new ActionResult(true, b.booking(), null, null, null, null));
        }
        BookingOutcome.Refused r = (BookingOutcome.Refused) out;
        return refused(r.reason(), r.earliestDate(), null);
    }

    static ResponseEntity<ActionResult> of(CancelOutcome out) {
        if (out instanceof CancelOutcome.Cancelled c) {
            return ResponseEntity.ok(new ActionResult(true, c.booking(), null, null, null, null));
        }
        return refused(((CancelOutcome.Refused) out).reason(), null, null);
    }

    static ResponseEntity<ActionResult> of(AgentDesk.MoveOutcome out) {
        if (out instanceof AgentDesk.MoveOutcome.Moved m) {
            return ResponseEntity.ok(new ActionResult(true, m.to(), m.from(), null, null, null));
        }
        AgentDesk.MoveOutcome.Refused r = (AgentDesk.MoveOutcome.Refused) out;
        return refused(r.reason(), r.earliestDate(), r.standing());
    }

    static ResponseEntity<ActionResult> of(CheckInOutcome out) {
        if (out instanceof CheckInOutcome.CheckedIn c) {
            return ResponseEntity.ok(new ActionResult(true, c.booking(), null, null, "已签到", null));
        }
        CheckInOutcome.Refused r = (CheckInOutcome.Refused) out;
        return ResponseEntity.status(422).body(new ActionResult(false, r.booking(), null, r.reason().name(),
                r.reason().text(), null));
    }

    private static ResponseEntity<ActionResult> refused(Refusal reason, LocalDate earliest, Booking standing) {
        String text = reason.text() + (earliest == null ? "" : "（最早可约 " + earliest + "）");
        return ResponseEntity.status(422).body(new ActionResult(false, standing, null, reason.name(), text, earliest));
    }
}
