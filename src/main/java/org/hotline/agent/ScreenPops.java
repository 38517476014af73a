package org.hotline.agent;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.handoff.Pickups;
import org.hotline.handoff.TransferLog;
import org.hotline.outbound.QueueCalls;

/**
 * The screen-pop (issue 18): when Asterisk connects a queue member's phone to a caller the menu handed to a
 * person ({@link QueueCalls.AgentConnected}, app_queue.c's AgentConnect), the console of the user at that phone
 * opens the caller's transfer at once: why they called, what they already said, their bookings.
 *
 * <ul>
 * <li>Which user is at which phone ({@code agent_phone}: the member's Interface as queues.conf names it, e.g.
 * {@code PJSIP/agent8001}) is set by an ADMIN, one phone per user and one user per phone, and every change is
 * audited ({@code SET_PHONE}).
 * <li>The pop is written once however many gateway nodes hear the event, and it counts as that agent's pick-up
 * of the transfer (the first pick-up wins, as from the console); both are audited ({@code SCREEN_POP}).
 * <li>The console asks for its pops with each poll ({@link #next}); a pop is shown once, and only to its user,
 * within {@link #SHOW_WITHIN} of the connection.
 * </ul>
 */
@Component
public class ScreenPops {

    private static final Logger log = LoggerFactory.getLogger(ScreenPops.class);
    /** A pop older than this is not opened any more (the call is long over). */
    static final Duration SHOW_WITHIN = Duration.ofMinutes(10);
    private static final String INTERFACE = "[A-Za-z0-9_]{2,16}/[A-Za-z0-9_.@:/-]{1,100}";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ConsoleUsers users;
    private final TransferLog transfers;
    private final Pickups pickups;
    private final AuditTrail audit;
    private final Clock clock;

    public ScreenPops(JdbcTemplate jdbc, TransactionTemplate tx, ConsoleUsers users, TransferLog transfers,
            Pickups pickups, AuditTrail audit, Clock clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.users = users;
        this.transfers = transfers;
        this.pickups = pickups;
        this.audit = audit;
        this.clock = clock;
    }

    /** A phone and the user at it. */
    public record Phone(String memberInterface, String username, String setBy, LocalDateTime setAt) {
    }

    /** Why a phone could not be set. */
    public enum PhoneProblem {
        NO_SUCH_USER("没有这个用户"), NOT_AN_AGENT("只有坐席可以绑定话机"), BAD_INTERFACE("话机格式应如 PJSIP/agent8001"),
        PHONE_TAKEN("该话机已绑定其他坐席");

        private final String text;

        PhoneProblem(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    public List<Phone> phones() {
        return jdbc.query("SELECT * FROM agent_phone ORDER BY member_interface", (rs, i) -> new Phone(
                rs.getString("member_interface"), rs.getString("username"), rs.getString("set_by"),
                rs.getTimestamp("set_at").toLocalDateTime()));
    }

    public Optional<String> userAt(String memberInterface) {
        return jdbc.query("SELECT username FROM agent_phone WHERE member_interface = ?",
                (rs, i) -> rs.getString(1), memberInterface).stream().findFirst();
    }

    /**
     * Puts {@code username} at the phone {@code memberInterface} (replacing whoever was there and the user's
     * previous phone); a blank interface takes the user off any phone. Audited as the admin's action.
     */
    public Optional<PhoneProblem> setPhone(Actor admin, String username, String memberInterface) {
        Optional<ConsoleUser> u = users.find(username);
        if (u.isEmpty()) {
            return Optional.of(PhoneProblem.NO_SUCH_USER);
        }
        String phone = memberInterface == null ? "" : memberInterface.strip();
        if (!phone.isEmpty() && u.get().role() != ConsoleRole.AGENT) {
            return Optional.of(PhoneProblem.NOT_AN_AGENT);
        }
        if (!phone.isEmpty() && !phone.matches(INTERFACE)) {
            audit.record(admin, AuditTrail.Entry.of("SET_PHONE", "REFUSED").detail(username + " 话机格式不对"));
            return Optional.of(PhoneProblem.BAD_INTERFACE);
        }
        LocalDateTime now = LocalDateTime.now(clock);
        try {
            tx.executeWithoutResult(s -> {
                jdbc.update("DELETE FROM agent_phone WHERE username = ? OR member_interface = ?", username, phone);
                if (!phone.isEmpty()) {
                    jdbc.update("INSERT INTO agent_phone (member_interface, username, set_by, set_at) VALUES (?,?,?,?)",
                            phone, username, admin.username(), Timestamp.valueOf(now));
                }
                audit.record(admin, AuditTrail.Entry.of("SET_PHONE", "OK")
                        .detail(phone.isEmpty() ? username + " 解除话机绑定" : username + " 绑定话机 " + phone));
            });
        } catch (DuplicateKeyException e) {
            return Optional.of(PhoneProblem.PHONE_TAKEN);
        }
        return Optional.empty();
    }

    /**
     * Asterisk connected a member's phone to a caller: the pop for the user at that phone, once per transfer, and
     * that user's pick-up of the transfer. Nothing for a caller without a transfer, a phone nobody is at, or a
     * transfer this gateway does not know.
     */
    @EventListener
    public void on(QueueCalls.AgentConnected e) {
        if (e.transferId() == null) {
            return;
        }
        String member = e.memberInterface() != null && !e.memberInterface().isBlank() ? e.memberInterface()
                : e.memberName();
        Optional<String> user = member == null ? Optional.empty() : userAt(member)
                .or(() -> e.memberName() == null ? Optional.empty() : userAt(e.memberName()));
        if (user.isEmpty()) {
            log.info("AgentConnect on {}: no console user is set for this phone, no screen-pop", member);
            return;
        }
        if (transfers.find(e.transferId()).isEmpty()) {
            log.warn("AgentConnect on {} for an unknown transfer: no screen-pop", member);
            return;
        }
        Optional<ConsoleUser> u = users.find(user.get());
        if (u.isEmpty() || !u.get().enabled()) {
            return;
        }
        LocalDateTime now = LocalDateTime.now(clock);
        int written = jdbc.update("""
                INSERT IGNORE INTO screen_pop (username, transfer_id, member_interface, connected_at)
                VALUES (?,?,?,?)""", user.get(), e.transferId(), member, Timestamp.valueOf(now));
        if (written == 0) {
            return; // another node heard the same event first
        }
        boolean taken = pickups.take(e.transferId(), user.get(), now);
        audit.record(u.get().actor(), AuditTrail.Entry.of("SCREEN_POP", taken ? "OK" : "TAKEN").transfer(e.transferId())
                .detail("话机 " + member + " 已接通来电"));
    }

    /**
     * The oldest pop of this user not yet shown (within {@link #SHOW_WITHIN}), now marked shown: the transfer id
     * the console opens. Empty when there is none.
     */
    public Optional<String> next(Actor me) {
        LocalDateTime now = LocalDateTime.now(clock);
        return tx.execute(s -> {
            List<Long> ids = jdbc.queryForList("""
                    SELECT id FROM screen_pop WHERE username = ? AND shown_at IS NULL AND connected_at >= ?
                    ORDER BY connected_at, id LIMIT 1 FOR UPDATE""", Long.class, me.username(),
                    Timestamp.valueOf(now.minus(SHOW_WITHIN)));
            if (ids.isEmpty()) {
                return Optional.<String>empty();
            }
            jdbc.update("UPDATE screen_pop SET shown_at = ? WHERE id = ?", Timestamp.valueOf(now), ids.get(0));
            return Optional.of(jdbc.queryForObject("SELECT transfer_id FROM screen_pop WHERE id = ?", String.class,
                    ids.get(0)));
        });
    }
}
