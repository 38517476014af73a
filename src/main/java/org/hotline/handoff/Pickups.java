package org.hotline.handoff;

import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** Which agent took a transferred call (table {@code transfer_pickup}): the first one wins. */
@Component
public class Pickups {

    /** Who took a transfer, and when. */
    public record Pickup(String username, LocalDateTime at) {
    }

    private final JdbcTemplate jdbc;

    public Pickups(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Pick-ups since {@code from}, by transfer id. */
    public Map<String, Pickup> since(LocalDateTime from) {
        Map<String, Pickup> picked = new HashMap<>();
        jdbc.query("SELECT transfer_id, username, picked_at FROM transfer_pickup WHERE picked_at >= ?",
                rs -> {
                    picked.put(rs.getString(1), new Pickup(rs.getString(2), rs.getTimestamp(3).toLocalDateTime()));
                }, Timestamp.valueOf(from));
        return picked;
    }

    /** Takes the transfer for this agent unless someone already has: whether this agent got it. */
    public boolean take(String transferId, String username, LocalDateTime at) {
        return jdbc.update("INSERT IGNORE INTO transfer_pickup (transfer_id, username, picked_at) VALUES (?,?,?)",
                transferId, username, Timestamp.valueOf(at)) == 1;
    }

    /** Who took this transfer, if anyone. */
    public Optional<Pickup> of(String transferId) {
        return jdbc.query("SELECT username, picked_at FROM transfer_pickup WHERE transfer_id = ?",
                rs -> rs.next() ? Optional.of(new Pickup(rs.getString(1), rs.getTimestamp(2).toLocalDateTime()))
                        : Optional.<Pickup>empty(), transferId);
    }
}
