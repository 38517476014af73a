package org.hotline.ops.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.db.EmbeddedMariaDb;
import org.hotline.sms.PerlSmsc;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * The production profile as operators see it over HTTP: /actuator/prometheus after a booking, and
 * /actuator/health going DOWN when the database goes away and UP when it comes back (its own MariaDB
 * server, stopped and started again on the same port and data).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsEndpointsTest {

    static final Path DATA = Path.of("target/test-db/ops-" + UUID.randomUUID());
    static EmbeddedMariaDb db;
    static PerlSmsc smsc;
    static int dbPort;
    static ConfigurableApplicationContext app;
    static int httpPort;
    static final String OPERATOR = "ops-watch";
    static final String OPERATOR_PASSWORD = "watch-the-gateway-7";
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        db = EmbeddedMariaDb.start(DATA, Path.of("target/mariadb-base"), 0);
        dbPort = db.port();
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + dbPort + "/", "root", "")) {
            c.createStatement().execute("CREATE DATABASE hotline CHARACTER SET utf8mb4");
        }
        smsc = PerlSmsc.start(java.util.Map.of());
        SpringApplication sa = new SpringApplication(HotlineApplication.class);
        sa.setAdditionalProfiles("production");
        app = sa.run("--spring.datasource.url=jdbc:mariadb://127.0.0.1:" + dbPort + "/hotline",
                "--spring.datasource.username=root", "--spring.datasource.password=any-password-the-embedded-server-takes",
                "--hotline.agent.bootstrap-admin.password=Zq4-lantern-meadow-19",
                "--spring.datasource.hikari.connection-timeout=2000",
                "--hotline.booking.id-hash-key=ops-test-key-of-enough-length-for-production", "--server.port=0",
                "--hotline.sms.smpp.host=127.0.0.1", "--hotline.sms.smpp.port=" + smsc.port(),
                "--hotline.sms.smpp.reconnect-max=2s", "--hotline.agi.port=0", "--hotline.agi.bind-address=127.0.0.1", "--hotline.agi.allowed-peers=127.0.0.1", "--hotline.sip.port=0",
                "--logging.level.root=WARN");
        httpPort = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
        // health's components are shown to a signed-in supervisor or admin only: the operator reads them so
        app.getBean(ConsoleUsers.class).create(null, OPERATOR, OPERATOR_PASSWORD, "值班", ConsoleRole.SUPERVISOR, null)
                .ifPresent(p -> {
                    throw new IllegalStateException(p.toString());
                });
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (db != null) {
            db.stop();
        }
        if (smsc != null) {
            smsc.close();
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        (OPERATOR + ":" + OPERATOR_PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> awaitHealth(Predicate<HttpResponse<String>> until, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> r = get("/actuator/health");
        while (!until.test(r) && System.nanoTime() < end) {
            Thread.sleep(500);
            r = get("/actuator/health");
        }
        return r;
    }

    @Test
    @Order(1)
    void prometheusShowsBookingsRefusalsHoldsRetriesAndTheSmsQueueAfterABooking() throws Exception {
        JdbcTemplate jdbc = app.getBean(JdbcTemplate.class);
        Fixtures fx = new Fixtures(jdbc, new TestClock());
        long dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        long slot = fx.slot(dept, LocalDateTime.now(org.hotline.TimeConfig.ZONE).plusDays(2).withHour(9).withMinute(0)
                .withSecond(0).withNano(0), 0, 0, 1);
        BookingService booking = app.getBean(BookingService.class);
        BookingOutcome first = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(70),
                Fixtures.mobile(), List.of(), Fixtures.mobile(), Channel.PHONE_MENU, "call-ops-1", null));
        assertThat(first).isInstanceOf(BookingOutcome.Booked.class);
        BookingOutcome second = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(71),
                null, List.of(), null, Channel.PHONE_MENU, "call-ops-2", null));
        assertThat(second).isInstanceOf(BookingOutcome.Refused.class);

        HttpResponse<String> r = get("/actuator/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("hotline_bookings_total{channel=\"PHONE_MENU\"} 1.0")
                .containsPattern("hotline_booking_refusals_total\\{[^}]*reason=\"FULL\"[^}]*\\} 1.0")
                .contains("hotline_holds_active ")
                .contains("hotline_sms_queue_depth{status=\"PENDING\"}")
                .contains("hotline_sms_queue_oldest_age_seconds ");
    }

    @Test
    @Order(2)
    void healthIsDownWhileTheSmscIsAwayAndUpWhenItReturns() throws Exception {
        HttpResponse<String> up = awaitHealth(r -> r.statusCode() == 200, Duration.ofSeconds(20));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
        assertThat(up.body()).containsPattern("\"smsc\":\\{\"details\":\\{[^}]*\\},\"status\":\"UP\"");

        smsc.kill();
        HttpResponse<String> down = awaitHealth(r -> r.statusCode() == 503, Duration.ofSeconds(30));
        assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
        assertThat(down.body()).containsPattern("\"smsc\":\\{\"details\":\\{[^}]*\\},\"status\":\"DOWN\"")
                .containsPattern("\"database\":\\{\"details\":\\{[^}]*\\},\"status\":\"UP\"");

        smsc.restart();
        HttpResponse<String> back = awaitHealth(r -> r.statusCode() == 200, Duration.ofSeconds(30));
        assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
    }

    @Test
    @Order(3)
    void healthIsDownWhileTheDatabaseIsAwayAndUpWhenItReturns() throws Exception {
        HttpResponse<String> up = awaitHealth(r -> r.statusCode() == 200, Duration.ofSeconds(20));
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).contains("\"database\":{").contains("\"scheduler\":{").contains("\"fastAgi\":{")
                // the sip details nest one object (listening: transport -> address)
                .containsPattern("\"sip\":\\{\"details\":\\{[^{}]*(\\{[^{}]*\\}[^{}]*)*\\},\"status\":\"UP\"");

        db.stop();
        HttpResponse<String> down = awaitHealth(r -> r.statusCode() == 503, Duration.ofSeconds(30));
        assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
        assertThat(down.body()).containsPattern("\"database\":\\{\"details\":\\{[^}]*\\},\"status\":\"DOWN\"");

        db = EmbeddedMariaDb.start(DATA, Path.of("target/mariadb-base"), dbPort);
        HttpResponse<String> back = awaitHealth(r -> r.statusCode() == 200, Duration.ofSeconds(60));
        assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
        assertThat(back.body()).containsPattern("\"database\":\\{\"details\":\\{[^}]*\\},\"status\":\"UP\"");
    }
}
