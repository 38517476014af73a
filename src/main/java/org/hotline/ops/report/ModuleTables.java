package org.hotline.ops.report;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Which other modules' tables this database has. A report section whose table is missing says that its
 * figures cannot be computed, instead of failing the page or inventing zeros. Migrations run before the
 * service takes requests, so an answer never changes while it runs.
 */
@Component
public class ModuleTables {

    public static final String RELEASE_AUDIT = "release_audit";
    public static final String RELEASE_STEP = "release_step";
    public static final String SMS_MESSAGE = "sms_message";
    public static final String TRANSFER_PICKUP = "transfer_pickup";
    public static final String CALLBACK_ATTEMPT = "callback_attempt";
    public static final String QUEUE_CALL = "queue_call";

    private final JdbcTemplate jdbc;
    private final Map<String, Boolean> known = new ConcurrentHashMap<>();

    public ModuleTables(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public boolean has(String table) {
        return known.computeIfAbsent(table, t -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
                Integer.class, t) > 0);
    }
}
