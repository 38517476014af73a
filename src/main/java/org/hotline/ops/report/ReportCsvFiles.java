package org.hotline.ops.report;

import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import org.hotline.booking.Channel;
import org.hotline.booking.Pool;

/** The reports as CSV tables, one file per table, with Chinese headers. */
@Component
public class ReportCsvFiles {

    private final SupervisionReports reports;
    private final PolicyChecks policy;
    private final ReleaseReports releases;
    private final SmsReports sms;

    public ReportCsvFiles(SupervisionReports reports, PolicyChecks policy, ReleaseReports releases, SmsReports sms) {
        this.reports = reports;
        this.policy = policy;
        this.releases = releases;
        this.sms = sms;
    }

    /** One row per facility and clinic day. */
    public byte[] facilityDays(ReportRange range) {
        Csv csv = new Csv();
        List<String> head = new ArrayList<>(List.of("就诊日", "机构代码", "机构", "预约合计"));
        for (Channel c : Channel.values()) {
            head.add(Format.channel(c));
        }
        for (AgeBand b : AgeBand.values()) {
            head.add(b.label());
        }
        for (Pool p : Pool.values()) {
            String n = Format.pool(p);
            head.addAll(List.of(n + "预约", n + "放号", n + "转出", n + "转入", n + "现有", n + "已约", n + "锁定", n + "剩余"));
        }
        head.addAll(List.of("现场号保留占比", "取消", "爽约", "已就诊", "当日受理预约"));
        csv.row(head);
        for (FacilityDay d : reports.facilityDays(range)) {
            List<Object> row = new ArrayList<>(List.of(d.day(), d.facility().code(), d.facility().name(), d.bookings()));
            for (Channel c : Channel.values()) {
                row.add(d.channel(c));
            }
            for (AgeBand b : AgeBand.values()) {
                row.add(d.ageBand(b));
            }
            for (Pool p : Pool.values()) {
                PoolUse u = d.use(p);
                row.addAll(List.of(d.pool(p), u.offered(), u.movedOut(), u.movedIn(), u.capacity(), u.booked(),
                        u.held(), u.left()));
            }
            row.addAll(List.of(Format.percent(d.onsiteShare()), d.cancelled(), d.noShows(), d.attended(),
                    d.madeThatDay()));
            csv.row(row);
        }
        return csv.bytes();
    }

    public byte[] transfers(ReportRange range) {
        Csv csv = new Csv().row("日期", "原因", "转人工次数", "已接听", "平均接听等待（秒）", "最长接听等待（秒）");
        for (SupervisionReports.TransferFigures t : reports.transfers(range)) {
            csv.row(t.day(), Format.transferReason(t.reason()), t.transfers(), t.answered(),
                    orDash(t.avgSecondsToAnswer()), orDash(t.maxSecondsToAnswer()));
        }
        return csv.bytes();
    }

    public byte[] callbacks(ReportRange range) {
        Csv csv = new Csv().row("日期", "原因", "回拨请求", "待回拨", "已回拨", "放弃", "接通", "无人接听", "占线", "号码错误",
                "平均首次回拨（秒）");
        for (SupervisionReports.CallbackFigures c : reports.callbacks(range)) {
            List<Object> row = new ArrayList<>(List.of(c.day(), Format.callbackReason(c.reason()), c.requested(),
                    c.status("OPEN"), c.status("DONE"), c.status("GAVE_UP")));
            for (String o : List.of("REACHED", "NO_ANSWER", "BUSY", "WRONG_NUMBER")) {
                row.add(c.attempts(o));
            }
            row.add(c.avgSecondsToFirstAttempt() == null ? "—"
                    : String.format(java.util.Locale.ROOT, "%.0f", c.avgSecondsToFirstAttempt()));
            csv.row(row);
        }
        return csv.bytes();
    }

    public byte[] releases(ReportRange range) {
        Csv csv = new Csv();
        csv.row("计划时间", "机构", "动作", "号源池", "转入", "状态", "时段数", "号数", "首次完成", "最后完成", "延迟（秒）", "准时");
        for (ReleaseReports.ReleaseRun r : releases.releases(range)) {
            csv.row(r.plannedAt(), r.facilityName(), Format.releaseAction(r.action()), Format.pool(r.pool()),
                    r.targetPool() == null ? "" : Format.pool(r.targetPool()), r.state().label(), r.pools(), r.places(),
                    orDash(r.firstDone()), orDash(r.lastDone()), orDash(r.delaySeconds()), r.onTime() ? "是" : "否");
        }
        return csv.bytes();
    }

    public byte[] sms(ReportRange range) {
        Csv csv = new Csv();
        csv.row("日期（入队）", "机构", "入队", "已发送", "已送达", "失败", "待回执", "待发送", "已撤销");
        for (SmsReports.SmsFigures m : sms.sms(range)) {
            csv.row(m.day(), m.facilityName() == null ? "（不属于预约）" : m.facilityName(), m.queued(), m.sent(),
                    m.delivered(), m.failed(), m.awaitingReceipt(), m.pending(), m.cancelled());
        }
        return csv.bytes();
    }

    public byte[] policy(ReportRange range) {
        Csv csv = new Csv().row("检查项", "结论", "说明");
        List<PolicyCheck> checks = policy.check(range);
        for (PolicyCheck c : checks) {
            csv.row(c.question(), c.verdict().label(), c.summary());
        }
        for (PolicyCheck c : checks) {
            if (c.evidence().isEmpty()) {
                continue;
            }
            csv.row();
            List<Object> head = new ArrayList<>();
            head.add("依据：" + c.question());
            head.addAll(c.headers());
            csv.row(head);
            for (List<String> r : c.evidence()) {
                List<Object> row = new ArrayList<>();
                row.add("");
                row.addAll(r);
                csv.row(row);
            }
        }
        return csv.bytes();
    }

    private static Object orDash(Object v) {
        return v == null ? "—" : v;
    }
}
