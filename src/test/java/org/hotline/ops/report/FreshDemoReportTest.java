package org.hotline.ops.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.agent.ConsoleFixtures;
import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;
import org.hotline.demo.DemoData;
import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.TestClock;

/**
 * A fresh demo (this class has a database of its own, loaded by {@link DemoData} at the real time) tells
 * the truth about its rules: the policy page answers 是 to every check with its default dates, and every
 * release the reports list for them ran on time, because the demo's past releases were run as of their
 * planned times, not caught up days late at its first start.
 */
@ReportWebTest
class FreshDemoReportTest {

    @Autowired JdbcTemplate jdbc;
    @Autowired TestClock clock;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired ReleaseReports releases;
    @LocalServerPort int port;

    @Test
    void theFreshDemosPolicyPageAnswersYesToEveryCheck() throws Exception {
        String supervisor = new ConsoleFixtures(users, transferLog, clock).user(ConsoleRole.SUPERVISOR, null);
        HttpResponse<byte[]> page = get("/ops/policy", supervisor);
        assertThat(page.statusCode()).isEqualTo(200);
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertThat(html).contains("社区号源是否提前 14 天放号", "区级医院社区下沉号源是否不低于 40.0%", "现场号是否从未被电话预约");
        assertThat(html.split("class=\"verdict YES\"", -1)).as(html).hasSize(4);
        assertThat(html).doesNotContain("verdict NO", "verdict UNKNOWN");

        List<List<String>> csv = ReportTruthTest.parseCsv(ReportTruthTest.strictUtf8(get("/ops/policy.csv", supervisor).body(), 3));
        // the three checks come first, then an empty line and their evidence
        assertThat(csv.get(4)).containsExactly("");
        assertThat(csv.subList(1, 4)).allSatisfy(row -> assertThat(row.get(1)).as(row.toString()).isEqualTo("是"));
    }

    @Test
    void everyReleaseOfTheDefaultDatesRanOnTimeAndThePastOnesAreTheDemosHistory() throws Exception {
        LocalDate today = LocalDate.now(clock);
        List<ReleaseReports.ReleaseRun> runs = releases.releases(new ReportRange(today.minusDays(6), today, null));
        assertThat(runs).isNotEmpty();
        assertThat(runs).allSatisfy(r -> assertThat(r.onTime()).as(r.toString()).isTrue());
        // community quota opened 14 days before each of today's hospital sessions, by the demo's history runs
        assertThat(jdbc.queryForObject("""
                SELECT COUNT(*) FROM release_audit a JOIN release_job_run r ON r.id = a.run_id
                WHERE a.pool = 'COMMUNITY' AND a.action = 'OPEN' AND a.slot_date = ? AND r.node = ?
                  AND a.done_at = a.planned_at AND DATEDIFF(a.slot_date, DATE(a.done_at)) = 14""", Integer.class,
                today, DemoData.HISTORY_NODE)).isPositive();
        String supervisor = new ConsoleFixtures(users, transferLog, clock).user(ConsoleRole.SUPERVISOR, null);
        String html = new String(get("/ops/reports", supervisor).body(), StandardCharsets.UTF_8);
        assertThat(html).contains("全部准时").doesNotContain("次不准时或未执行");
    }

    HttpResponse<byte[]> get(String path, String user) throws Exception {
        String basic = java.util.Base64.getEncoder()
                .encodeToString((user + ":" + ConsoleFixtures.PASSWORD).getBytes(StandardCharsets.UTF_8));
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Basic " + basic).build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
