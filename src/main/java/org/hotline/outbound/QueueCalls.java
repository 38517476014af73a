package org.hotline.outbound;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;

import org.asteriskjava.manager.event.AgentConnectEvent;
import org.asteriskjava.manager.event.ManagerEvent;
import org.asteriskjava.manager.event.QueueCallerAbandonEvent;
import org.asteriskjava.manager.event.QueueCallerJoinEvent;
import org.asteriskjava.manager.event.QueueCallerLeaveEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.outbound.ami.AgentConnectWithVariables;
import org.hotline.outbound.ami.AmiLinks;

/**
 * The agents' queue as Asterisk reports it, one row per caller ({@code queue_call}), from app_queue.c's AMI events:
 * {@code QueueCallerJoin} (joined, position), {@code AgentConnect} (answered by a member: HoldTime, RingTime in
 * seconds), {@code QueueCallerAbandon} (hung up while waiting: HoldTime), {@code QueueCallerLeave} (left the
 * queue, answered or not). The caller's Uniqueid is the AGI call id, so a row meets its transfer
 * ({@code call_transfer.call_id}) and the caller's age there. Several gateway nodes hear the same events: each
 * write is idempotent (first join kept, updates only fill what is empty).
 */
@Component
public class QueueCalls {

    private static final Logger log = LoggerFactory.getLogger(QueueCalls.class);

    /** The channel variable that carries the transfer id (sip-config/extensions.conf, manager.conf channelvars). */
    public static final String TRANSFER_VARIABLE = "HOTLINE_TRANSFER_ID";

    /**
     * A queue member's phone was connected to a caller (app_queue.c AgentConnect): which member (its Interface and
     * MemberName, e.g. PJSIP/agent8001), the caller's Uniqueid, and the transfer id the caller carries (from the
     * event's ChanVariable, else the transfer the same call recorded); null when the caller came with none. Every
     * gateway node that hears the event publishes it; listeners must be idempotent (the console's screen-pop is).
     */
    public record AgentConnected(String asterisk, String queue, String memberInterface, String memberName,
            String callerUniqueId, String transferId) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final String queue;
    private ApplicationEventPublisher events;
    private TransferLog transfers;

    @org.springframework.beans.factory.annotation.Autowired
    public QueueCalls(JdbcTemplate jdbc, Clock clock, ObjectProvider<AmiLinks> ami, ApplicationEventPublisher events,
            TransferLog transfers) {
        this(jdbc, clock, ami);
        this.events = events;
        this.transfers = transfers;
    }

    public QueueCalls(JdbcTemplate jdbc, Clock clock, ObjectProvider<AmiLinks> ami) {
        this.jdbc = jdbc;
        this.clock = clock;
        AmiLinks links = ami.getIfAvailable();
        this.queue = links == null ? "hotline-agents" : links.properties().queue();
        if (links != null) {
            listenTo(links);
        }
    }

    /** Records the queue events these links hear. */
    public void listenTo(AmiLinks links) {
        links.onEvent(this::record);
    }

    /** One event from the named Asterisk; anything but the agents' queue's caller events is ignored. */
    public void record(String asterisk, ManagerEvent e) {
        Timestamp now = Timestamp.valueOf(LocalDateTime.now(clock));
        try {
            if (e instanceof QueueCallerJoinEvent j && queue.equals(j.getQueue()) && j.getUniqueId() != null) {
                jdbc.update("""
                        INSERT IGNORE INTO queue_call (uniqueid, queue_name, asterisk, joined_at, join_position)
                        VALUES (?,?,?,?,?)""", cut(j.getUniqueId()), j.getQueue(), cut(asterisk), now, j.getPosition());
            } else if (e instanceof AgentConnectEvent c && queue.equals(c.getQueue()) && c.getUniqueId() != null) {
                jdbc.update("""
                        UPDATE queue_call SET connected_at = COALESCE(connected_at, ?),
                          member_name = COALESCE(member_name, ?), hold_seconds = COALESCE(hold_seconds, ?),
                          ring_seconds = COALESCE(ring_seconds, ?)
                        WHERE uniqueid = ? AND abandoned = 0""", now, c.getMemberName(), c.getHoldTime(),
                        c.getRingtime(), cut(c.getUniqueId()));
                connected(asterisk, c);
            } else if (e instanceof QueueCallerAbandonEvent a && queue.equals(a.getQueue()) && a.getUniqueId() != null) {
                jdbc.update("""
                        UPDATE queue_call SET abandoned = 1, hold_seconds = COALESCE(hold_seconds, ?),
                          left_at = COALESCE(left_at, ?)
                        WHERE uniqueid = ? AND connected_at IS NULL""", a.getHoldTime(), now, cut(a.getUniqueId()));
            } else if (e instanceof QueueCallerLeaveEvent l && queue.equals(l.getQueue()) && l.getUniqueId() != null) {
                jdbc.update("UPDATE queue_call SET left_at = COALESCE(left_at, ?) WHERE uniqueid = ?", now,
                        cut(l.getUniqueId()));
            }
        } catch (DataAccessException ex) {
            log.warn("Queue event {} from {} not recorded: {}", e.getClass().getSimpleName(), asterisk,
                    ex.getClass().getSimpleName());
        }
    }

    private void connected(String asterisk, AgentConnectEvent c) {
        if (events == null) {
            return;
        }
        String transferId = c instanceof AgentConnectWithVariables v ? v.variable(TRANSFER_VARIABLE) : null;
        if ((transferId == null || transferId.isBlank()) && transfers != null) {
            transferId = transfers.byCall(c.getUniqueId()).map(TransferContext::transferId).orElse(null);
        }
        events.publishEvent(new AgentConnected(asterisk, c.getQueue(), c.getInterface(), c.getMemberName(),
                c.getUniqueId(), transferId == null || transferId.isBlank() ? null : transferId));
    }

    /** The member (e.g. PJSIP/agent8001) that took the caller of this transfer's call, if Asterisk said so yet. */
    public java.util.Optional<String> memberOf(String callId) {
        return jdbc.query("SELECT member_name FROM queue_call WHERE uniqueid = ? AND member_name IS NOT NULL",
                rs -> rs.next() ? java.util.Optional.of(rs.getString(1)) : java.util.Optional.<String>empty(), callId);
    }

    private static String cut(String s) {
        return s == null || s.length() <= 64 ? s : s.substring(0, 64);
    }
}
