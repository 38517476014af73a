package org.hotline.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.hotline.testsupport.InProcessApp;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Channel;
import org.hotline.booking.ServiceKind;
import org.hotline.testsupport.Fixtures;

/** The first README command's promises: data survives a restart, and a mariadbd orphaned by kill -9 is recovered. */
class EmbeddedRestartTest {

    final String dataDir = "target/test-db/restart-" + UUID.randomUUID();

    ConfigurableApplicationContext start() {
        SpringApplication app = InProcessApp.withoutWeb();
        // arguments, not default properties: application.yml would win over those and the test would run on
        // (and fill) the developer's ./data/mariadb
        return app.run("--hotline.db.embedded.data-dir=" + dataDir,
                "--hotline.db.embedded.base-dir=target/mariadb-base", "--hotline.sip.port=0");
    }

    @org.junit.jupiter.api.AfterEach
    void deleteDataDir() throws java.io.IOException {
        // the data dir had to survive within the test; after it, it is only disk space
        EmbeddedMariaDb.deleteTree(Path.of(dataDir));
    }

    @Test
    void aSecondStartKeepsBookingsAndDoesNotLoadTheDemoDataTwice() {
        String code;
        int facilities;
        int slots;
        try (ConfigurableApplicationContext ctx = start()) {
            Catalogue catalogue = ctx.getBean(Catalogue.class);
            long hospital = catalogue.bookableFacilities(ServiceKind.OUTPATIENT, Channel.PHONE_MENU).get(0).id();
            long dept = catalogue.bookableServices(hospital, ServiceKind.OUTPATIENT, Channel.PHONE_MENU).get(0).id();
            var date = catalogue.dates(dept, Channel.PHONE_MENU).get(0);
            long slot = catalogue.slots(dept, date, Channel.PHONE_MENU).get(0).slotId();
            BookingOutcome out = ctx.getBean(BookingService.class).book(slot, null, new BookingRequest(0,
                    Fixtures.residentIdAged(81), Fixtures.mobile(), List.of(), null, Channel.PHONE_MENU, "t", null));
            assertThat(out).as("booking the first demo slot").isInstanceOf(BookingOutcome.Booked.class);
            code = ((BookingOutcome.Booked) out).booking().code();
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            facilities = jdbc.queryForObject("SELECT COUNT(*) FROM facility", Integer.class);
            slots = jdbc.queryForObject("SELECT COUNT(*) FROM slot", Integer.class);
        }
        try (ConfigurableApplicationContext ctx = start()) {
            assertThat(ctx.getBean(BookingService.class).findActiveByCode(code)).isPresent();
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM facility", Integer.class)).isEqualTo(facilities);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM slot", Integer.class)).isEqualTo(slots);
        }
    }

    @Test
    void anOrphanedMariadbOnTheSameDataDirIsStoppedAndTheDataKept() throws Exception {
        Path data = Path.of(dataDir);
        EmbeddedMariaDb orphan = EmbeddedMariaDb.start(data, Path.of("target/mariadb-base"), 0);
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + orphan.port() + "/", "root", "")) {
            c.createStatement().execute("CREATE DATABASE kept");
        }
        // the JVM that owned it "died": nobody calls orphan.stop(); a new start must take over the data dir
        EmbeddedMariaDb db = EmbeddedMariaDb.start(data, Path.of("target/mariadb-base"), 0);
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + db.port() + "/", "root", "");
                ResultSet rs = c.createStatement().executeQuery("SHOW DATABASES LIKE 'kept'")) {
            assertThat(rs.next()).isTrue();
        } finally {
            db.stop();
        }
    }

    @Test
    void aDataDirUnderTheJavaTempDirIsRefusedBecauseMariaDb4jWouldWipeItAtEveryStart() {
        Path underTmp = Path.of(System.getProperty("java.io.tmpdir"), "hotline-data-" + UUID.randomUUID());
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> EmbeddedMariaDb.start(underTmp, Path.of("target/mariadb-base"), 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("java.io.tmpdir");
        assertThat(java.nio.file.Files.exists(underTmp)).isFalse();
    }
}
