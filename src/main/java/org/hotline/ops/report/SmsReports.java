package org.hotline.ops.report;

import java.time.LocalDate;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/** SMS queued, sent, delivered and failed per day, from the SMS module's outbox (sms_message). */
@Service
public class SmsReports {

    /**
     * Messages queued on one day for one facility's bookings (facility null: messages tied to no booking,
     * such as notices to agents and answers to replies).
     *
     * @param sent            the SMSC accepted every part (submitted_at set)
     * @param delivered       a delivery receipt said delivered
     * @param failed          refused for good, or a receipt said failed or expired
     * @param awaitingReceipt sent, no receipt yet
     * @param pending         not yet sent (waiting, retrying, or scheduled for later: reminders, next dose)
     * @param cancelled       withdrawn before sending (the booking was cancelled)
     */
    public record SmsFigures(LocalDate day, Long facilityId, String facilityName, int queued, int sent, int delivered,
            int failed, int awaitingReceipt, int pending, int cancelled) {
    }

    private final JdbcTemplate jdbc;
    private final SupervisionReports reports;

    public SmsReports(JdbcTemplate jdbc, SupervisionReports reports) {
        this.jdbc = jdbc;
        this.reports = reports;
    }


    public List<SmsFigures> sms(ReportRange range) {
        reports.checked(range);
        return jdbc.query("""
                SELECT DATE(m.created_at), b.facility_id, MAX(f.name), COUNT(*),
                       SUM(m.submitted_at IS NOT NULL), SUM(m.status = 'DELIVERED'),
                       SUM(m.status IN ('FAILED', 'EXPIRED')), SUM(m.status = 'SUBMITTED'),
                       SUM(m.status IN ('PENDING', 'SENDING', 'IN_DOUBT')), SUM(m.status = 'CANCELLED')
                FROM sms_message m LEFT JOIN booking b ON b.id = m.booking_id LEFT JOIN facility f ON f.id = b.facility_id
                WHERE m.created_at >= ? AND m.created_at < ?"""
                + (range.facilityId() == null ? "" : " AND b.facility_id = " + range.facilityId()) + """

                GROUP BY DATE(m.created_at), b.facility_id ORDER BY 1, 2""",
                (rs, i) -> new SmsFigures(rs.getObject(1, LocalDate.class), rs.getObject(2, Long.class),
                        rs.getString(3), rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getInt(7), rs.getInt(8),
                        rs.getInt(9), rs.getInt(10)),
                range.from().atStartOfDay(), range.end().atStartOfDay());
    }
}
