package org.hotline.ops.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import org.hotline.agent.ConsoleFixtures;
import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * The charts as a supervisor sees them: the day page in a real headless Chromium (Debian's chromium and
 * chromium-driver), screenshots of both charts, and the painted bars measured in pixels against the
 * counts. Fails (does not skip) when the browser is missing: {@code bin/test} installs it.
 */
@ReportWebTest
class ReportChartBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target/ops-report-screenshots");

    static WebDriver browser;
    static ChromeDriverService service;

    @LocalServerPort int port;
    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;

    @BeforeAll
    static void startBrowser() throws Exception {
        assertThat(Files.isExecutable(CHROMIUM)).as("Debian package chromium (bin/test installs it)").isTrue();
        assertThat(Files.isExecutable(CHROMEDRIVER)).as("Debian package chromium-driver (bin/test installs it)")
                .isTrue();
        Path profile = Files.createTempDirectory("ops-browser-");
        service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        // no sandbox as root, no display, no calls out to the internet; one CSS pixel = one screen pixel
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--window-size=1300,1400", "--force-device-scale-factor=1", "--lang=zh-CN",
                "--user-data-dir=" + profile);
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.stop();
        }
    }

    /** Books one place in the slot at the given time of the day, for a patient of the given age. */
    void bookAt(long slot, LocalDateTime at, int age) {
        clock.set(at);
        BookingOutcome out = booking.book(slot, null, new BookingRequest(0,
                Fixtures.residentId(at.toLocalDate().minusYears(age).minusDays(3)), Fixtures.mobile(), List.of(),
                Fixtures.mobile(), Channel.PHONE_MENU, "browser-test", null));
        assertThat(out).isInstanceOf(BookingOutcome.Booked.class);
    }

    static BufferedImage shot(WebElement e, String name) throws Exception {
        byte[] png = e.getScreenshotAs(OutputType.BYTES);
        Files.write(SHOTS.resolve(name), png);
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    static boolean is(int rgb, String hex) {
        int want = Integer.parseInt(hex.substring(1), 16);
        for (int shift : new int[] {16, 8, 0}) {
            if (Math.abs(((rgb >> shift) & 0xff) - ((want >> shift) & 0xff)) > 6) {
                return false;
            }
        }
        return true;
    }

    static int countInColumn(BufferedImage img, int x, String colour) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            if (is(img.getRGB(x, y), colour)) {
                n++;
            }
        }
        return n;
    }

    static int countInRow(BufferedImage img, int y, String colour) {
        int n = 0;
        for (int x = 0; x < img.getWidth(); x++) {
            if (is(img.getRGB(x, y), colour)) {
                n++;
            }
        }
        return n;
    }

    void waitForImages() {
        new WebDriverWait(browser, Duration.ofSeconds(15)).until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"));
    }

    @Test
    void chartsPaintBarsInProportionToTheCounts() throws Exception {
        LocalDate day = LocalDate.of(2034, 7, 17);
        long hospital;
        clock.set(day.minusDays(2).atTime(9, 0));
        try {
            hospital = fx.facility("DISTRICT_HOSPITAL");
            long dept = fx.outpatientService(hospital);
            long evening = fx.slot(dept, day.atTime(18, 0), 2, 4, 20);
            long late = fx.slot(dept, day.atTime(18, 30), 2, 4, 20);
            // 6 at 08:xx, 3 at 09:xx, 2 at 14:xx; ages: 2 under 60, 4 of 60–79, 5 of 80+
            int[] ages = {45, 85, 70, 90, 81, 66, 52, 88, 79, 61, 80};
            int[] hours = {8, 8, 8, 8, 8, 8, 9, 9, 9, 14, 14};
            for (int i = 0; i < ages.length; i++) {
                bookAt(i % 2 == 0 ? evening : late, day.atTime(hours[i], 5 + i), ages[i]);
            }
        } finally {
            clock.reset();
        }

        // a supervisor logs in through the console's form; the report page asked for first comes back after
        String supervisor = new ConsoleFixtures(users, transferLog, clock).user(ConsoleRole.SUPERVISOR, null);
        browser.manage().deleteAllCookies();
        browser.get("http://127.0.0.1:" + port + "/ops/reports/day?facility=" + hospital + "&date=" + day);
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/login"));
        browser.findElement(By.id("username")).sendKeys(supervisor);
        browser.findElement(By.id("password")).sendKeys(ConsoleFixtures.PASSWORD);
        browser.findElement(By.id("login-submit")).click();
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> !d.getCurrentUrl().contains("/login"));
        // the login form sends the supervisor back to the page asked for, not to the console
        assertThat(browser.getCurrentUrl()).contains("/ops/reports/day");
        waitForImages();
        assertThat(browser.findElement(By.tagName("h1")).getText()).contains(day.toString(), "日报");
        Files.write(SHOTS.resolve("day-page.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // bookings per hour: each bar's painted height is its count over the busiest hour's, of the plot height
        BufferedImage perHour = shot(browser.findElement(By.id("chart-per-hour")), "bookings-per-hour.png");
        // the element's screenshot includes its CSS border (1 px each side); the chart is painted 1:1 inside it
        int border = (perHour.getWidth() - SvgCharts.HOURLY_WIDTH) / 2;
        assertThat(border).isBetween(0, 2);
        assertThat(perHour.getHeight()).isEqualTo(SvgCharts.HOURLY_HEIGHT + 2 * border);
        int plot = SvgCharts.hourPlotHeight();
        int[] expected = new int[24];
        expected[8] = plot;
        expected[9] = plot / 2;
        expected[14] = plot / 3;
        for (int h = 0; h < 24; h++) {
            int x = border + SvgCharts.hourBarLeft(h) + 9;
            assertThat(countInColumn(perHour, x, SvgCharts.HOUR_BAR)).as("bar of %d h", h)
                    .isCloseTo(expected[h], org.assertj.core.data.Offset.offset(2));
        }

        // age bands: one bar cut 2 : 4 : 5, measured along its middle row
        BufferedImage bands = shot(browser.findElement(By.id("chart-age-bands")), "age-bands.png");
        int y = border + SvgCharts.SHARE_BAR_TOP + SvgCharts.SHARE_BAR_HEIGHT / 2;
        int[] counts = {2, 4, 5};
        int total = 11;
        int width = SvgCharts.SHARE_BAR_WIDTH;
        for (int i = 0; i < 3; i++) {
            int painted = countInRow(bands, y, SvgCharts.BAND_COLOURS[i]);
            assertThat(painted).as("band %d", i)
                    .isCloseTo((int) Math.round((double) counts[i] * width / total), org.assertj.core.data.Offset.offset(2));
        }
        // the overview of the days around it, with the link to the day and the totals
        browser.get("http://127.0.0.1:" + port + "/ops/reports?from=" + day.minusDays(2) + "&to=" + day + "&facility="
                + hospital);
        waitForImages();
        assertThat(browser.findElement(By.id("total-bookings")).getText()).isEqualTo("11");
        Files.write(SHOTS.resolve("overview-page.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // the policy page of that day, answered with evidence (kept as a screenshot for a person to look at)
        browser.get("http://127.0.0.1:" + port + "/ops/policy?from=" + day + "&to=" + day);
        assertThat(browser.findElement(By.cssSelector("#onsite-not-by-phone .verdict")).getText()).isEqualTo("是");
        assertThat(browser.findElement(By.cssSelector("#community-share .verdict")).getText()).isIn("是", "否");
        Files.write(SHOTS.resolve("policy-page.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // from the console, a supervisor reaches the reports by a link
        browser.get("http://127.0.0.1:" + port + "/console");
        browser.findElement(By.id("reports-link")).click();
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/ops/reports"));
        assertThat(browser.findElement(By.tagName("h1")).getText()).contains("机构日报");
    }
}
