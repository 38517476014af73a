package org.hotline.agent;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.ivr.TransferContext;
import org.hotline.ivr.TransferLog;

/** The live list of calls the menu handed to a person, and which agent took each (first one wins). */
@Component
public class TransferDesk {

    private final TransferLog transfers;
    private final BookingService booking;
    private final JdbcTemplate jdbc;
    private final AuditTrail audit;
    private final Clock clock;
    private final AgentProperties props;

    public TransferDesk(TransferLog transfers, BookingService booking, JdbcTemplate jdbc, AuditTrail audit,
            Clock clock, AgentProperties props) {
        this.transfers = transfers;
        this.booking = booking;
        this.jdbc = jdbc;
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
        Map<String, Object[]> picked = new HashMap<>();
        if (!list.isEmpty()) {
            jdbc.query("SELECT transfer_id, username, picked_at FROM transfer_pickup WHERE picked_at >= ?",
                    rs -> {
                        picked.put(rs.getString(1), new Object[] {rs.getString(2),
                                rs.getTimestamp(3).toLocalDateTime()});
                    }, Timestamp.valueOf(list.get(list.size() - 1).createdAt()));
        }
        return list.stream().map(t -> {
            Object[] p = picked.get(t.transferId());
            return new TransferView(t, p == null ? null : (String) p[0], p == null ? null : (LocalDateTime) p[1]);
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
        int taken = jdbc.update("INSERT IGNORE INTO transfer_pickup (transfer_id, username, picked_at) VALUES (?,?,?)",
                transferId, actor.username(), Timestamp.valueOf(LocalDateTime.now(clock)));
        TransferView v = view(t.get());
        audit.record(actor, AuditTrail.Entry.of("PICK_UP", taken == 1 ? "OK" : "TAKEN").transfer(transferId)
                .detail(taken == 1 ? "接听来电 " + t.get().callerMasked() : "已由 " + v.pickedBy() + " 接听"));
        return Optional.of(v);
    }

    private TransferView view(TransferContext t) {
        return jdbc.query("SELECT username, picked_at FROM transfer_pickup WHERE transfer_id = ?",
                rs -> rs.next() ? new TransferView(t, rs.getString(1), rs.getTimestamp(2).toLocalDateTime())
                        : new TransferView(t, null, null), t.transferId());
    }
}
