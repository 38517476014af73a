package org.hotline.outbound;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.booking.SessionCancellations;
import org.hotline.booking.Waitlist;
import org.hotline.handoff.CallbackRequest;
import org.hotline.handoff.TransferLog;
import org.hotline.ivr.AgentQueue;
import org.hotline.outbound.ami.AmiLink;
import org.hotline.outbound.ami.AmiLinks;

/**
 * Whether a claimed call should still be placed now: a reminder's booking still active and not yet begun, a
 * 停诊 call's offer still open, a waiting list's place still held for them, a call-back's request still open and an agent free to take the person (AMI's QueueSummary: more members
 * available than callers waiting; without AMI the console's estimate says nobody waits).
 */
@Component
public class OutboundChecks {

    /** What to do with a claimed call. */
    public sealed interface Decision {
        record Go() implements Decision {
        }

        record Cancel(String why) implements Decision {
        }

        record Later(Duration after, String why) implements Decision {
        }
    }

    private final BookingService booking;
    private final TransferLog transfers;
    private final BooleanSupplier agentFree;
    private SessionCancellations cancellations;
    private Waitlist waitlist;

    @org.springframework.beans.factory.annotation.Autowired
    public OutboundChecks(BookingService booking, TransferLog transfers, ObjectProvider<AmiLinks> ami,
            ObjectProvider<AgentQueue> queue, SessionCancellations cancellations, Waitlist waitlist) {
        this(booking, transfers, () -> {
            AmiLinks l = ami.getIfAvailable();
            if (l != null && l.enabled()) {
                Optional<AmiLink.QueueFigures> q = l.queueSummary();
                return q.isPresent() && q.get().available() > q.get().callers();
            }
            AgentQueue a = queue.getIfAvailable();
            return a == null || Duration.ZERO.equals(a.expectedWait());
        });
        this.cancellations = cancellations;
        this.waitlist = waitlist;
    }

    public OutboundChecks(BookingService booking, TransferLog transfers, BooleanSupplier agentFree) {
        this.booking = booking;
        this.transfers = transfers;
        this.agentFree = agentFree;
    }

    public Decision check(OutboundStore.OutboundCall c) {
        boolean numeric = c.ref().matches("\\d{1,18}");
        switch (c.purpose()) {
            case SESSION_CANCELLED -> {
                // the call is about the offer: once it is taken (by an SMS reply), withdrawn or gone, no call
                if (cancellations != null && (!numeric || cancellations.openOffer(Long.parseLong(c.ref())).isEmpty())) {
                    return new Decision.Cancel("no open offer for the cancelled booking");
                }
                return new Decision.Go();
            }
            case WAITLIST_OFFER -> {
                if (waitlist != null && (!numeric || waitlist.offer(Long.parseLong(c.ref())).isEmpty())) {
                    return new Decision.Cancel("the waiting list's offer ended");
                }
                return new Decision.Go();
            }
            case REMINDER -> {
                Optional<Booking> b = booking.findById(Long.parseLong(c.ref()));
                if (b.isEmpty() || b.get().status() != Booking.BookingStatus.ACTIVE) {
                    return new Decision.Cancel("booking no longer active");
                }
                return new Decision.Go();
            }
            case CALLBACK -> {
                Optional<CallbackRequest> r = transfers.callback(Long.parseLong(c.ref()));
                if (r.isEmpty() || !"OPEN".equals(r.get().status())) {
                    return new Decision.Cancel("call-back request closed");
                }
                if (!agentFree.getAsBoolean()) {
                    return new Decision.Later(Duration.ofSeconds(30), "no agent free");
                }
                return new Decision.Go();
            }
            default -> {
                return new Decision.Go();
            }
        }
    }
}
