package org.hotline.ops.report;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/**
 * 停诊 for the bureau: every session cancellation of the range (by the cancelled day), how many bookings it
 * cancelled and how soon the patients were told, read from the booking module's {@code session_cancellation} and
 * {@code cancellation_notice} and the SMS module's outbox. Read-only.
 *
 * <p>A booking counts as told when one of its 停诊 messages ({@code HOSPITAL_CANCELLATION}, to the patient or a family
 * phone) was accepted by the SMSC; the time to tell is from the cancellation (the moment the places were closed) to
 * the first such message's delivery receipt, or, while no receipt has come, its acceptance by the SMSC.
 */
@Service
public class ClosureReports {

    /**
     * One cancellation.
     *
     * @param cancelled      bookings it cancelled (reason HOSPITAL)
     * @param told           of them, bookings whose patient or family got the 停诊 SMS (accepted by the SMSC)
     * @param delivered      of them, bookings with a delivery receipt for it
     * @param meanSecondsToTell mean time from the cancellation to the first message delivered (else sent), seconds
     * @param maxSecondsToTell  the longest such time, seconds (-1: nobody told yet)
     * @param moved          bookings moved to the offered slice by an SMS reply
     * @param elders         cancelled bookings of patients aged 60+ (the console's worklist)
     * @param eldersReached  of them, reached by phone (a call recorded as reached, moved or cancelled)
     */
    public record ClosureFigures(long id, LocalDate date, long facilityId, String facilityName, String serviceName,
            String period, String reason, String actor, LocalDateTime cancelledAt, int cancelled, int told,
            int delivered, long meanSecondsToTell, long maxSecondsToTell, int moved, int elders, int eldersReached) {
    }

    private final JdbcTemplate jdbc;
    private final SupervisionReports reports;

    public ClosureReports(JdbcTemplate jdbc, SupervisionReports reports) {
        this.jdbc = jdbc;
        this.reports = reports;
    }

    public List<ClosureFigures> closures(ReportRange range) {
        reports.checked(range);
        String told = """
                LEFT JOIN (SELECT m.booking_id, MIN(m.submitted_at) AS sent_at,
                                  MIN(CASE WHEN m.status = 'DELIVERED' THEN m.done_at END) AS delivered_at
                           FROM sms_message m
                           WHERE m.kind = 'HOSPITAL_CANCELLATION'
                             AND m.booking_id IN (SELECT booking_id FROM cancellation_notice)
                           GROUP BY m.booking_id) t ON t.booking_id = n.booking_id""";
        return jdbc.query("""
                SELECT c.id, c.session_date, c.facility_id, MAX(f.name), MAX(s.name), MAX(c.period), MAX(c.reason),
                       MAX(c.actor), MAX(c.created_at), COUNT(n.id), SUM(t.sent_at IS NOT NULL),
                       SUM(t.delivered_at IS NOT NULL),
                       AVG(TIMESTAMPDIFF(SECOND, c.created_at, COALESCE(t.delivered_at, t.sent_at))),
                       MAX(TIMESTAMPDIFF(SECOND, c.created_at, COALESCE(t.delivered_at, t.sent_at))),
                       SUM(n.offer_status = 'MOVED'), SUM(b.patient_age >= 60),
                       SUM(b.patient_age >= 60 AND EXISTS (SELECT 1 FROM cancellation_call k WHERE k.notice_id = n.id
                             AND k.outcome IN ('REACHED', 'MOVED', 'CANCELLED')))
                FROM session_cancellation c JOIN facility f ON f.id = c.facility_id
                LEFT JOIN service s ON s.id = c.service_id
                LEFT JOIN cancellation_notice n ON n.cancellation_id = c.id
                LEFT JOIN booking b ON b.id = n.booking_id""" + "\n" + told + """

                WHERE c.session_date BETWEEN ? AND ?"""
                + (range.facilityId() == null ? "" : " AND c.facility_id = " + range.facilityId())
                + " GROUP BY c.id, c.session_date, c.facility_id ORDER BY c.session_date, c.id",
                (rs, i) -> new ClosureFigures(rs.getLong(1), rs.getObject(2, LocalDate.class), rs.getLong(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                        rs.getObject(9, LocalDateTime.class), rs.getInt(10), rs.getInt(11), rs.getInt(12),
                        Math.round(rs.getDouble(13)), rs.getObject(14) == null ? -1 : rs.getLong(14), rs.getInt(15),
                        rs.getInt(16), rs.getInt(17)),
                range.from(), range.to());
    }

    /** The cancellations as CSV, one row each. */
    public byte[] csv(ReportRange range) {
        Csv csv = new Csv();
        csv.row("停诊日期", "机构", "科室", "出诊", "原因", "操作人", "停诊时间", "取消预约", "已告知", "已送达", "平均告知用时（秒）",
                "最长告知用时（秒）", "短信回复改约", "60岁以上", "60岁以上已电话告知");
        for (ClosureFigures c : closures(range)) {
            csv.row(c.date(), c.facilityName(), c.serviceName() == null ? "全部科室" : c.serviceName(), period(c.period()),
                    c.reason(), c.actor(), c.cancelledAt().withNano(0).toString().replace('T', ' '), c.cancelled(),
                    c.told(), c.delivered(), c.told() == 0 ? "" : c.meanSecondsToTell(),
                    c.maxSecondsToTell() < 0 ? "" : c.maxSecondsToTell(), c.moved(), c.elders(), c.eldersReached());
        }
        return csv.bytes();
    }

    /** For the template: SpEL calls these through an instance. */
    public static final class Fmt {
        public static final Fmt INSTANCE = new Fmt();

        public String period(String p) {
            return ClosureReports.period(p);
        }

        public String duration(long seconds) {
            return ClosureReports.duration(seconds);
        }
    }

    public static String period(String p) {
        if (p == null) {
            return "全天";
        }
        return switch (p) {
            case "MORNING" -> "上午";
            case "AFTERNOON" -> "下午";
            case "EVENING" -> "晚上";
            default -> p;
        };
    }

    /** 95 → "1分35秒". */
    public static String duration(long seconds) {
        if (seconds < 0) {
            return "—";
        }
        return seconds < 60 ? seconds + "秒" : seconds / 60 + "分" + seconds % 60 + "秒";
    }
}
