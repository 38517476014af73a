package org.hotline.agent;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.handoff.Pickups;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;

/** The live list of calls the menu handed to a person, and which agent took each (first one wins). */
@Component
public class TransferDesk {

    private final TransferLog transfers;
    private final BookingService booking;
    private final Pickups pickups;
    private final AuditTrail audit;
    private final Clock clock;
    private final AgentProperties props;

    public TransferDesk(TransferLog transfers, BookingService booking, Pickups pickups, AuditTrail audit,
            Clock clock, AgentProperties props) {
        this.transfers = transfers;
        this.booking = booking;
        this.pickups = pickups;
        this.audit = audit;
        this.clock = clock;
        this.props = props;
    }

    /** A transfer as the console lists it: the context, and who took it (null while nobody has). */
    public record TransferView(TransferContext context, String pickedBy, LocalDateTime pickedAt) {
    }

    /** A transfer with the caller's upcoming bookings (found by the calling number), for the agent who took it. */
    public record TransferDetail(TransferView transfer, List<Booking> callerBookings) {
    }

    /** Transfers within the configured window, newest first. */
    public List<TransferView> recent() {
        List<TransferContext> list = transfers.since(LocalDateTime.now(clock).minus(props.transferWindow()));
        Map<String, Pickups.Pickup> picked = list.isEmpty() ? Map.of()
                : pickups.since(list.get(list.size() - 1).createdAt());
        return list.stream().map(t -> {
            Pickups.Pickup p = picked.get(t.transferId());
            return new TransferView(t, p == null ? null : p.username(), p == null ? null : p.at());
        }).toList();
    }

    public Optional<TransferDetail> detail(String transferId) {
        return transfers.find(transferId).map(t -> {
            List<Booking> bookings = t.callerNumber() == null || t.callerNumber().isBlank() ? List.of()
                    : booking.upcoming(booking.findByPhone(t.callerNumber()));
            return new TransferDetail(view(t), bookings);
        });
    }

    /** Takes the call for this agent unless another agent already has; returns the transfer as it now stands. */
    public Optional<TransferView> pickUp(Actor actor, String transferId) {
        Optional<TransferContext> t = transfers.find(transferId);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        boolean taken = pickups.take(transferId, actor.username(), LocalDateTime.now(clock));
        TransferView v = view(t.get());
        audit.record(actor, AuditTrail.Entry.of("PICK_UP", taken ? "OK" : "TAKEN").transfer(transferId)
                .detail(taken ? "接听来电 " + t.get().callerMasked() : "已由 " + v.pickedBy() + " 接听"));
        return Optional.of(v);
    }

    private TransferView view(TransferContext t) {
        return pickups.of(t.transferId()).map(p -> new TransferView(t, p.username(), p.at()))
                .orElseGet(() -> new TransferView(t, null, null));
    }
}
