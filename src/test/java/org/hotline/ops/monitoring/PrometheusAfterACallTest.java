package org.hotline.ops.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import org.hotline.booking.BookingService;
import org.hotline.ivr.agi.AsteriskCall;
import org.hotline.ivr.agi.FastAgiListener;
import org.hotline.ops.report.ReportWebTest;
import org.hotline.release.NoShowRule;
import org.hotline.release.ReleaseScope;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * What an operator's Prometheus scrapes after real calls: a caller books by keypad over Asterisk's FastAGI
 * wire through the real menus, another asks for a person, a release job runs; then
 * {@code /actuator/prometheus} shows each of them as a change in the figures (not just the names).
 */
@ReportWebTest
class PrometheusAfterACallTest {

    @LocalServerPort int port;
    @Autowired FastAgiListener agi;
    @Autowired BookingService booking;
    @Autowired NoShowRule noShows;
    @Autowired TestClock clock;

    final HttpClient http = HttpClient.newHttpClient();

    String scrape() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The sum of every sample of {@code name} whose labels contain {@code labels} (0 when there is none). */
    static double sample(String body, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(body);
        double sum = 0;
        while (m.find()) {
            if (labels.isEmpty() || (m.group(1) != null && m.group(1).contains(labels))) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    static boolean present(String body, String name) {
        return Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ").matcher(body).find();
    }

    @Test
    void aKeypadBookingATransferAndAJobRunShowInTheScrape() throws Exception {
        String before = scrape();
        String caller = Fixtures.mobile();
        String id = Fixtures.residentIdAged(74);
        // 1 at every menu (the first facility, department, day and time the menu offers), the ID when asked
        Function<AsteriskCall.Question, String> pressingOne = q -> q.number() > 40 ? AsteriskCall.HANG_UP
                : q.maxKeys() == 18 ? id.replace('X', '*') : "1";
        AsteriskCall.Transcript booked = AsteriskCall.to(agi.port()).callerId(caller).repositoryPrompts()
                .answers(pressingOne).run();
        assertThat(booked.error).isNull();
        assertThat(booking.findByPhone(caller)).as("the keypad call booked").hasSize(1);
        // a second caller presses 0 at the first question: a person
        // (within agent hours, 08:00–20:00: outside them the menu offers a call-back instead of a person)
        clock.set(java.time.LocalDate.now(org.hotline.TimeConfig.ZONE).atTime(10, 0));
        AsteriskCall.Transcript transfer;
        try {
            transfer = AsteriskCall.to(agi.port()).callerId(Fixtures.mobile()).repositoryPrompts()
                    .answers(q -> q.number() == 1 ? "0" : AsteriskCall.HANG_UP)
                    .run();
        } finally {
            clock.reset();
        }
        assertThat(transfer.error).isNull();
        noShows.markNoShows(ReleaseScope.ALL);

        // the database-read figures refresh at most every few seconds: scrape until they have moved
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String after = scrape();
        while (System.nanoTime() < end && (sample(after, "hotline_transfers", "") <= sample(before,
                "hotline_transfers", "") || sample(after, "hotline_job_runs", "job=\"no-shows\"") <= sample(before,
                        "hotline_job_runs", "job=\"no-shows\""))) {
            Thread.sleep(500);
            after = scrape();
        }

        assertThat(sample(after, "hotline_bookings_total", "channel=\"PHONE_MENU\"")
                - sample(before, "hotline_bookings_total", "channel=\"PHONE_MENU\"")).as("phone bookings")
                .isEqualTo(1.0);
        // every AGI step of both calls was timed (dozens of commands each), and both calls have ended
        assertThat(sample(after, "hotline_agi_step_seconds_count", "") - sample(before, "hotline_agi_step_seconds_count",
                "")).as("AGI steps timed").isGreaterThanOrEqualTo(10.0);
        assertThat(sample(after, "hotline_agi_step_seconds_max", "")).as("slowest AGI step").isPositive();
        assertThat(present(after, "hotline_agi_calls_active")).isTrue();
        assertThat(sample(after, "hotline_agi_calls_active", "")).isZero();
        assertThat(sample(after, "hotline_agi_calls_ended", "") - sample(before, "hotline_agi_calls_ended", ""))
                .as("calls ended").isEqualTo(2.0);
        assertThat(sample(after, "hotline_transfers", "") - sample(before, "hotline_transfers", ""))
                .as("transfers to a person").isEqualTo(1.0);
        assertThat(sample(after, "hotline_job_runs", "job=\"no-shows\"")
                - sample(before, "hotline_job_runs", "job=\"no-shows\"")).as("no-show job runs").isEqualTo(1.0);
        assertThat(present(after, "hotline_holds_active")).isTrue();
        assertThat(sample(after, "hotline_sms_queue_depth", "") + sample(after, "hotline_sms_messages", ""))
                .as("the booking's SMS counted").isPositive();
        assertThat(present(after, "hotline_sms_queue_oldest_age_seconds")).isTrue();
    }
}
