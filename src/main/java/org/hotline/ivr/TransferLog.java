package org.hotline.ivr;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where the flow engine records each transfer to a person and each call-back request, and where the
 * agent console reads them. Tables {@code call_transfer} and {@code callback_request}.
 */
@Component
public class TransferLog {

    private static final TypeReference<LinkedHashMap<String, String>> CHOICES = new TypeReference<>() {
    };

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final JsonMapper json = JsonMapper.builder().build();

    public TransferLog(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public void record(TransferContext t) {
        jdbc.update("""
                INSERT INTO call_transfer (transfer_id, call_id, caller_number, caller_masked, patient_masked,
                  patient_age, reason, flow, node, choices_json, priority, created_at)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""", t.transferId(), t.callId(), t.callerNumber(),
                t.callerMasked(), t.patientMasked(), t.patientAge(), t.reason().name(), t.flow(), t.node(),
                json.writeValueAsString(t.choices()), t.priority(), Timestamp.valueOf(t.createdAt()));
    }

    public Optional<TransferContext> find(String transferId) {
        return jdbc.query("SELECT * FROM call_transfer WHERE transfer_id = ?", this::transferRow, transferId)
                .stream().findFirst();
    }

    /** Transfers since the given time, newest first. */
    public List<TransferContext> since(LocalDateTime from) {
        return jdbc.query("SELECT * FROM call_transfer WHERE created_at >= ? ORDER BY created_at DESC, id DESC",
                this::transferRow, Timestamp.valueOf(from));
    }

    /** Records a call-back request and returns its id. */
    public long requestCallback(TransferContext t, String reason) {
        jdbc.update("""
                INSERT INTO callback_request (transfer_id, call_id, caller_number, caller_masked, patient_masked,
                  patient_age, reason, status, created_at)
                VALUES (?,?,?,?,?,?,?,'OPEN',?)""", t.transferId(), t.callId(), t.callerNumber(),
                t.callerMasked(), t.patientMasked(), t.patientAge(), reason,
                Timestamp.valueOf(LocalDateTime.now(clock)));
        return jdbc.queryForObject("SELECT LAST_INSERT_ID()", Long.class);
    }

    public List<CallbackRequest> callbacks(String status) {
        return jdbc.query("SELECT * FROM callback_request WHERE status = ? ORDER BY created_at, id",
                this::callbackRow, status);
    }

    public Optional<CallbackRequest> callback(long id) {
        return jdbc.query("SELECT * FROM callback_request WHERE id = ?", this::callbackRow, id).stream().findFirst();
    }

    private TransferContext transferRow(ResultSet rs, int row) throws SQLException {
        Map<String, String> choices = json.readValue(rs.getString("choices_json"), CHOICES);
        return new TransferContext(rs.getString("transfer_id"), rs.getString("call_id"),
                rs.getString("caller_number"), rs.getString("caller_masked"), rs.getString("patient_masked"),
                (Integer) rs.getObject("patient_age", Integer.class), TransferReason.valueOf(rs.getString("reason")),
                rs.getString("flow"), rs.getString("node"), choices, rs.getInt("priority"),
                rs.getTimestamp("created_at").toLocalDateTime());
    }

    private CallbackRequest callbackRow(ResultSet rs, int row) throws SQLException {
        return new CallbackRequest(rs.getLong("id"), rs.getString("transfer_id"), rs.getString("call_id"),
                rs.getString("caller_number"), rs.getString("caller_masked"), rs.getString("patient_masked"),
                (Integer) rs.getObject("patient_age", Integer.class), rs.getString("reason"),
                rs.getString("status"), rs.getTimestamp("created_at").toLocalDateTime());
    }
}
