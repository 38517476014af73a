package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;
import org.hotline.testsupport.TestSupportConfig;

/**
 * The SIP adapter as operators see it over HTTP: SIPp books a visit by RFC 4733 keys, then
 * {@code /actuator/prometheus} shows one {@code hotline_sip_step} sample per step of that call, and
 * {@code /actuator/health} shows the {@code sip} component UP; stopped, it is DOWN (and SIPp gets no
 * answer); started again, UP on its new port (and SIPp is answered).
 *
 * <p>Needs a real HTTP server and the Prometheus registry, which {@code @IntegrationTest} (a mock web
 * environment, no Prometheus export) has not: the configuration is the console's and the reports'
 * ({@code RANDOM_PORT}, Prometheus export on), and like theirs the context is closed after the class
 * (left running, its HTTP server and SMS dispatcher slow the later release tests' nodes).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.prometheus.metrics.export.enabled=true")
@ActiveProfiles("test")
@Import(TestSupportConfig.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class SipMonitoringTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern STEP_COUNT = Pattern.compile("(?m)^hotline_sip_step_seconds_count(?:\\{[^}]*})? (\\S+)$");
    private static final Pattern STEP_SUM = Pattern.compile("(?m)^hotline_sip_step_seconds_sum(?:\\{[^}]*})? (\\S+)$");

    @TempDir
    Path work;

    @LocalServerPort int httpPort;
    @Autowired SipConfig.SipService sip;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    @AfterEach
    void leaveItAsFound() {
        clock.reset();
        if (!sip.isRunning()) {
            sip.start();
        }
    }

    @Test
    void aBookingCallShowsItsStepsInPrometheusAndTheSipComponentFollowsTheListenerDownAndUp() throws Exception {
        // a hospital of this test's own, on a Monday no other test uses: "1" is its first entry everywhere
        LocalDateTime now = LocalDateTime.of(2047, 3, 4, 10, 0);
        clock.set(now);
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        long slot = fx.slot(dept, now.toLocalDate().plusDays(1).atTime(9, 0), 1, 0, 5);

        JsonNode up = sipHealth();
        assertThat(up.path("status").asString()).as(up.toString()).isEqualTo("UP");
        assertThat(up.path("details").path("port").asInt()).isEqualTo(sip.endpoint().port());
        assertThat(up.path("details").path("listening").path("udp").asString())
                .isEqualTo("127.0.0.1:" + sip.endpoint().port());
        assertThat(up.path("details").path("listening").path("tcp").asString())
                .isEqualTo("127.0.0.1:" + sip.endpoint().port());

        String before = prometheus();
        double countBefore = value(STEP_COUNT, before);
        double sumBefore = value(STEP_SUM, before);

        String caller = Fixtures.mobile();
        String id = Fixtures.residentId(now.toLocalDate().minusYears(45).minusDays(40)).replace('X', '*');
        // welcome (cut short by 5), eight answers: menu 1, hospital 1, department 1, date 1, slice 1, for myself 1,
        // the ID, the read-back (this phone's SMS in it, issue 16) confirmed with 1; then 5 cuts the read-out short;
        // goodbye; the gateway hangs up
        String script = "2500:5|2000:1|1500:1|1500:1|1500:1|1500:1|1500:1|2000:" + id
                + "|4800:1|3000:5|1000:";
        Sipp.Run run = Sipp.scenario(work, "uac_rfc4733.xml", sip.endpoint().port())
                .calls("hotline;" + script + ";" + caller + ";wait").args("-rtp_echo").run(Duration.ofSeconds(90));
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        assertThat(jdbc.queryForList("SELECT status FROM booking WHERE slot_id = ? AND calling_number = ?",
                String.class, slot, caller)).containsExactly("ACTIVE");

        // the engine's actions on the channel: play(welcome), play(120 advice, issue 16), eight collects (menu …
        // confirm), play(read-out), the code's "重听按星号" wait, play(goodbye), hangUp(): 14, each but the first
        // timed from the caller's answer before it
        String after = awaitPrometheus(p -> value(STEP_COUNT, p) >= countBefore + 13, Duration.ofSeconds(5));
        assertThat(value(STEP_COUNT, after) - countBefore).as(after).isEqualTo(13);
        assertThat(value(STEP_SUM, after) - sumBefore).as("server time of those steps").isGreaterThan(0);
        assertThat(after).contains("hotline_sip_step_seconds_bucket{le=\"+Inf\"}")
                .containsPattern("(?m)^hotline_sip_calls_active \\S+$")
                .containsPattern("(?m)^hotline_agi_step_seconds_count \\S+$")
                .containsPattern("(?m)^hotline_agi_calls_active \\S+$");

        int oldPort = sip.endpoint().port();
        sip.stop();
        JsonNode down = sipHealth();
        assertThat(down.path("status").asString()).as(down.toString()).isEqualTo("DOWN");
        assertThat(down.path("details").path("listener").asString()).isEqualTo("stopped");
        assertThat(down.path("details").path("listening").isEmpty()).as(down.toString()).isTrue();
        Sipp.Run unanswered = Sipp.scenario(work, "uac_options.xml", oldPort).args("-recv_timeout", "2000")
                .run(Duration.ofSeconds(20));
        assertThat(unanswered.succeeded()).as("nothing answers on the stopped port").isFalse();

        sip.start();
        JsonNode back = sipHealth();
        assertThat(back.path("status").asString()).as(back.toString()).isEqualTo("UP");
        assertThat(back.path("details").path("port").asInt()).isEqualTo(sip.endpoint().port());
        assertThat(back.path("details").path("activeCalls").asInt()).isZero();
        Sipp.Run answered = Sipp.scenario(work, "uac_options.xml", sip.endpoint().port()).run(Duration.ofSeconds(20));
        assertThat(answered.succeeded()).as(answered.logs()).isTrue();
    }

    JsonNode sipHealth() throws Exception {
        // the whole may be DOWN here for other reasons (the test profile leaves Quartz in standby): read the component
        // (components are shown to a signed-in supervisor or admin only: the demo admin, by HTTP Basic)
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/actuator/health")).header("Authorization", "Basic " + java.util.Base64.getEncoder()
                        .encodeToString("admin:hotline-demo-admin".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode sipComponent = JSON.readTree(r.body()).path("components").path("sip");
        assertThat(sipComponent.isMissingNode()).as(r.body()).isFalse();
        return sipComponent;
    }

    String prometheus() throws Exception {
        HttpResponse<String> r = get("/actuator/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    String awaitPrometheus(Predicate<String> until, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String p = prometheus();
        while (!until.test(p) && System.nanoTime() < end) {
            TimeUnit.MILLISECONDS.sleep(100);
            p = prometheus();
        }
        return p;
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static double value(Pattern metric, String prometheus) {
        Matcher m = metric.matcher(prometheus);
        assertThat(m.find()).as("%s in\n%s", metric, prometheus).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
