package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Catalogue;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.ivr.CallResult;
import org.hotline.ivr.FlowEngine;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * The console in a real headless Chromium (Debian's chromium + chromium-driver): an agent logs in, sees a
 * call the voice menu transferred appear with its context without reloading, books a slot for that caller,
 * sees its SMS queued and then delivered, and works a call-back the menu recorded. Fails (does not skip) when the browser is missing: {@code bin/test} installs it.
 */
@ConsoleTest
class ConsoleBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    static WebDriver browser;
    static ChromeDriverService service;

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired Catalogue catalogue;
    @Autowired FlowEngine menu;
    @Autowired org.hotline.sms.SmsStatusQuery sms;
    @Autowired org.hotline.booking.BookingService booking;

    @BeforeAll
    static void startBrowser() throws Exception {
        assertThat(Files.isExecutable(CHROMIUM)).as("Debian package chromium (bin/test installs it)").isTrue();
        assertThat(Files.isExecutable(CHROMEDRIVER)).as("Debian package chromium-driver (bin/test installs it)").isTrue();
        Path profile = Files.createTempDirectory("console-browser-");
        service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        // no sandbox as root, no display; and no calls out to the internet from the browser itself
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--window-size=1400,1000", "--lang=zh-CN",
                "--user-data-dir=" + profile);
        browser = new ChromeDriver(service, options);
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

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    /** Today at this hour (Asia/Shanghai): agents answer 08:00–20:00, so the menu transfers or offers a call-back. */
    void at(int hour, int minute) {
        clock.set(clock.now().toLocalDate().atTime(hour, minute));
    }

    /** Lists are rebuilt as answers arrive: an element read while it is replaced is read again. */
    WebDriverWait waitUpTo(int seconds) {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds));
        w.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return w;
    }

    /** Selects in a list the page may be rebuilding, again if the option went stale under us. */
    void choose(String id, java.util.function.Consumer<Select> how) {
        waitUpTo(10).until(d -> {
            how.accept(new Select(d.findElement(By.id(id))));
            return true;
        });
    }

    WebElement byId(String id) {
        return waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(By.id(id)));
    }

    void logIn(String username) {
        logIn(username, "坐席");
    }

    void logIn(String username, String roleLabel) {
        browser.manage().deleteAllCookies();
        browser.get("http://127.0.0.1:" + port + "/console");
        waitUpTo(10).until(ExpectedConditions.urlContains("/login"));
        byId("username").sendKeys(username);
        byId("password").sendKeys(ConsoleFixtures.PASSWORD);
        byId("login-submit").click();
        waitUpTo(10).until(ExpectedConditions.urlContains("/console"));
        assertThat(byId("whoami").getText()).contains(roleLabel);
    }

    @Test
    void anAgentSeesATransferredCallBooksForTheCallerAndSeesTheSmsStatus() {
        at(11, 0);
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        long dept = fx.outpatientService(hospital);
        String hospitalName = catalogue.facility(hospital).orElseThrow().name();
        String deptName = catalogue.service(dept).orElseThrow().name();
        LocalDateTime start = clock.now().plusDays(2).withHour(9).withMinute(30).withSecond(0).withNano(0);
        long slot = fx.slot(dept, start, 1, 0, 3);
        String agent = cfx.user(ConsoleRole.AGENT, null);
        logIn(agent);

        // the call arrives after the page is open: in the voice menu the caller chooses outpatient, the first
        // hospital, then presses 0 for a person; the list updates without a reload
        String caller = Fixtures.mobile();
        MenuCaller call = new MenuCaller(caller, "1", "1", "0");
        assertThat(menu.run(call).end()).isEqualTo(CallResult.End.TRANSFERRED);
        TransferContext t = transferLog.find(call.transferId).orElseThrow();
        String chosenHospital = t.choices().get("医院");
        assertThat(chosenHospital).isNotBlank();
        WebElement row = waitUpTo(15).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("tr[data-transfer-id='" + t.transferId() + "']")));
        row.findElement(By.cssSelector("button.pickup")).click();
        waitUpTo(10).until(ExpectedConditions.textToBe(By.id("ctx-caller"), caller));
        assertThat(byId("ctx-choices").getText()).contains("医院：" + chosenHospital);
        assertThat(byId("ctx-reason").getText()).isEqualTo("按 0 要求人工");
        assertThat(byId("ctx-where").getText()).isEqualTo(t.flow() + " / " + t.node());
        screenshot("console-transfer");

        // book for this caller
        byId("book-for-caller").click();
        assertThat(byId("book-transfer-id").getText()).isEqualTo(t.transferId());
        assertThat(byId("book-sms").getDomProperty("value")).isEqualTo(caller);
        choose("book-kind", sel -> sel.selectByValue("OUTPATIENT"));
        waitUpTo(10).until(d -> new Select(d.findElement(By.id("book-facility"))).getOptions().stream()
                .anyMatch(o -> o.getText().equals(hospitalName)));
        choose("book-facility", sel -> sel.selectByVisibleText(hospitalName));
        waitUpTo(10).until(d -> new Select(d.findElement(By.id("book-service"))).getOptions().stream()
                .anyMatch(o -> o.getText().equals(deptName)));
        choose("book-service", sel -> sel.selectByVisibleText(deptName));
        waitUpTo(10).until(d -> new Select(d.findElement(By.id("book-date"))).getOptions().stream()
                .anyMatch(o -> o.getDomProperty("value").equals(start.toLocalDate().toString())));
        choose("book-date", sel -> sel.selectByValue(start.toLocalDate().toString()));
        waitUpTo(10).until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("tr[data-slot-id='" + slot + "'] button.choose-slot"))).click();
        String residentId = Fixtures.residentIdAged(82);
        // (the caller chose a hospital in the menu; the agent books the one they settle on together)
        byId("book-resident-id").sendKeys(residentId);
        String family = Fixtures.mobile();
        byId("book-family").sendKeys(family);
        byId("book-submit").click();

        WebElement code = waitUpTo(15).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#book-result .booking-code")));
        assertThat(code.getText()).matches("[1-9]\\d{5}");
        Map<String, Object> booked = jdbc.queryForMap(
                "SELECT id, slot_id, channel, actor, calling_number, sms_phone FROM booking WHERE code = ? AND status = 'ACTIVE'",
                code.getText());
        assertThat(booked).containsEntry("slot_id", slot).containsEntry("channel", "AGENT")
                .containsEntry("actor", agent).containsEntry("calling_number", caller).containsEntry("sms_phone", caller);
        assertThat(jdbc.queryForObject(
                "SELECT COUNT(*) FROM audit_event WHERE action = 'BOOK' AND outcome = 'OK' AND transfer_id = ? AND booking_id = ?",
                Integer.class, t.transferId(), booked.get("id"))).isEqualTo(1);
        assertThat(byId("book-result").getText()).contains(family);
        screenshot("console-booked");
        // SMS status: the confirmation to the caller and the copy to the family phone were queued with the
        // booking (outbox), and the console follows them (here through the embedded SMSC sink) to delivered
        WebElement confirmation = waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#book-result tr[data-sms-kind='CONFIRMATION']")));
        assertThat(confirmation.getText()).contains(org.hotline.booking.PhoneNumber.mask(caller)).contains("预约确认")
                .doesNotContain(caller);
        assertThat(byId("book-result").findElement(By.cssSelector("tr[data-sms-kind='FAMILY_COPY']")).getText())
                .contains(org.hotline.booking.PhoneNumber.mask(family)).contains("家属副本");
        assertThat(sms.forBooking(((Number) booked.get("id")).longValue())).extracting(v -> v.kind().name())
                .containsExactlyInAnyOrder("CONFIRMATION", "FAMILY_COPY");
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#book-result tr[data-sms-kind='CONFIRMATION'] .sms-state"), "已送达"));
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(3, 0, 1);
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()",
                byId("book-result"));
        assertThat(byId("book-resident-id").getDomProperty("value")).isEmpty();
        screenshot("console-sms-delivered");
    }

    /** Replaces what a field holds (number and text inputs). */
    void type(String id, String text) {
        WebElement e = byId(id);
        e.clear();
        e.sendKeys(text);
    }

    /**
     * Issue 17: an administrator onboards a hospital in the console: a facility with a department (its name spoken
     * by espeak-ng), a weekly roster refused for the bureau's 40 % community share and then stored with an
     * override reason, and a release policy refused for opening the community quota 7 days ahead, then overridden.
     */
    @Test
    void anAdminAddsAHospitalWithADepartmentARosterAndAPolicyAndOverridesTheRefusedOnes() {
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        logIn(cfx.user(ConsoleRole.ADMIN, null), "管理员");
        browser.findElement(By.cssSelector("#tabs button[data-tab='admin']")).click();
        String code = "B" + (System.nanoTime() % 1_000_000);
        String name = "浏览器测试医院" + code;
        type("fac-code", code);
        type("fac-name", name);
        choose("fac-kind", sel -> sel.selectByValue("DISTRICT_HOSPITAL"));
        type("fac-reason", "区卫健委批准接入");
        byId("fac-submit").click();
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("fac-result"), "已新建机构 " + name));
        waitUpTo(10).until(d -> new Select(d.findElement(By.id("admin-facility"))).getFirstSelectedOption().getText()
                .startsWith(name));
        long facility = jdbc.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, code);

        // a department, its name generated
        type("dept-code", "LNK");
        type("dept-name", "老年病科");
        type("dept-reason", "新开科室");
        byId("dept-submit").click();
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("dept-result"), "名称语音已生成"));
        WebElement row = waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#admin-services tr[data-service-code='LNK']")));
        assertThat(row.findElement(By.cssSelector(".spoken")).getText()).startsWith("已有");
        long dept = jdbc.queryForObject("SELECT id FROM service WHERE facility_id = ? AND code = 'LNK'", Long.class,
                facility);

        // a roster with 2 community places of 8: refused, naming the rule; then stored with a reason
        waitUpTo(10).until(d -> new Select(d.findElement(By.id("roster-service"))).getOptions().stream()
                .anyMatch(o -> o.getText().equals("老年病科")));
        choose("roster-service", sel -> sel.selectByVisibleText("老年病科"));
        choose("roster-day", sel -> sel.selectByValue("TUESDAY"));
        type("roster-onsite", "2");
        type("roster-community", "2");
        type("roster-public", "6");
        type("roster-reason", "周二上午出诊");
        byId("roster-submit").click();
        waitUpTo(15).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#roster-result li[data-rule='COMMUNITY_SHARE']")));
        assertThat(byId("roster-result").getText()).contains("40 %", "管理员可填写越权理由");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM schedule_template WHERE service_id = ?", Integer.class,
                dept)).isZero();
        screenshot("admin-roster-refused");
        type("roster-override", "专家号源有限，区卫健委同意");
        byId("roster-submit").click();
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("roster-result"), "已越权保存排班"));
        waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#admin-services tr[data-service-code='LNK'] .roster"), "周二上午"));

        // the policy: community quota 7 days ahead is refused; an override stores it
        type("policy-community-days", "7");
        type("policy-public-days", "5");
        type("policy-reason", "试点缩短放号周期");
        byId("policy-submit").click();
        waitUpTo(15).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#policy-result li[data-rule='COMMUNITY_DAYS_AHEAD']")));
        assertThat(jdbc.queryForList("SELECT community_days_ahead FROM release_policy WHERE facility_id = ?",
                Integer.class, facility)).isEmpty();
        type("policy-override", "试点三个月");
        byId("policy-submit").click();
        waitUpTo(15).until(ExpectedConditions.textToBePresentInElementLocated(By.id("policy-result"), "已越权保存放号策略"));
        assertThat(jdbc.queryForObject("SELECT community_days_ahead FROM release_policy WHERE facility_id = ? AND "
                + "service_id IS NULL", Integer.class, facility)).isEqualTo(7);
        assertThat(jdbc.queryForList("SELECT CONCAT(subject, ' ', rules, ' ', reason) FROM policy_override WHERE "
                + "facility_id = ? ORDER BY id", String.class, facility)).containsExactly(
                        "ROSTER COMMUNITY_SHARE 专家号源有限，区卫健委同意", "POLICY COMMUNITY_DAYS_AHEAD 试点三个月");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM clinic_session WHERE service_id = ?", Integer.class, dept))
                .isPositive();
        screenshot("admin-onboarded");
    }

    /** Kept under target/ for a person to look at (and for a failing run's post-mortem). */
    static void screenshot(String name) {
        try {
            byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.BYTES);
            Files.createDirectories(Path.of("target"));
            Files.write(Path.of("target", name + ".png"), png);
        } catch (Exception e) {
            // a screenshot is a courtesy, never a reason to fail
        }
    }

    @Test
    void aCallBackRequestedInTheMenuAppearsAndTheAgentRecordsEachAttempt() {
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        String agent = cfx.user(ConsoleRole.AGENT, null);
        logIn(agent);
        // after agent hours the caller presses 0, hears the hours and presses 1 for a call-back
        at(21, 30);
        String caller = Fixtures.mobile();
        CallResult r = menu.run(new MenuCaller(caller, "0", "1"));
        assertThat(r.end()).isEqualTo(CallResult.End.CALLBACK);
        long callback = r.callbackId();
        clock.reset();

        browser.findElement(By.cssSelector("#tabs button[data-tab='callbacks']")).click();
        WebElement row = waitUpTo(15).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("tr[data-callback-id='" + callback + "']")));
        assertThat(row.findElement(By.cssSelector(".callback-number")).getText()).isEqualTo(caller);
        row.findElement(By.cssSelector("button.open-callback")).click();
        assertThat(byId("callback-number").getText()).isEqualTo(caller);

        new Select(byId("attempt-outcome")).selectByValue("NO_ANSWER");
        byId("attempt-note").sendKeys("响铃无人接");
        byId("attempt-submit").click();
        waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("attempt-list"), "无人接听"));
        assertThat(byId("callback-state").getText()).isEqualTo("待回拨");

        new Select(byId("attempt-outcome")).selectByValue("REACHED");
        byId("attempt-submit").click();
        waitUpTo(10).until(ExpectedConditions.textToBe(By.id("callback-state"), "已完成"));
        assertThat(browser.findElements(By.cssSelector("#attempt-list .attempt-outcome")))
                .extracting(WebElement::getText).containsExactly("无人接听", "已接通并处理");
        assertThat(jdbc.queryForList("SELECT outcome FROM callback_attempt WHERE callback_id = ? ORDER BY id",
                String.class, callback)).containsExactly("NO_ANSWER", "REACHED");
        assertThat(jdbc.queryForObject("SELECT note FROM callback_attempt WHERE callback_id = ? ORDER BY id LIMIT 1",
                String.class, callback)).isEqualTo("响铃无人接");
        // gone from the open list once done
        waitUpTo(15).until(ExpectedConditions.invisibilityOfElementLocated(
                By.cssSelector("tr[data-callback-id='" + callback + "']")));
        screenshot("console-callback");
    }

    @Test
    void theFrontDeskChecksAPatientInByTypingTheCode() {
        at(8, 0);
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        long dept = fx.outpatientService(hospital);
        LocalDateTime start = clock.now().toLocalDate().atTime(10, 0);
        long slot = fx.slot(dept, start, 0, 0, 5, clock.now().minusDays(1), start);
        String phone = Fixtures.mobile();
        org.hotline.booking.BookingOutcome out = booking.book(slot, null, new org.hotline.booking.BookingRequest(0,
                Fixtures.residentIdAged(83), phone, java.util.List.of(), phone, org.hotline.booking.Channel.PHONE_MENU,
                "call-desk", null));
        String code = ((org.hotline.booking.BookingOutcome.Booked) out).booking().code();

        logIn(new ConsoleFixtures(users, transferLog, clock).user(ConsoleRole.FRONT_DESK, hospital), "导诊台");
        // the desk's only tab opens first, its code field ready: type the code, press Enter
        byId("checkin-code").sendKeys(code + org.openqa.selenium.Keys.ENTER);
        waitUpTo(10).until(d -> d.findElement(By.id("checkin-result")).getText().contains("已签到 " + code));
        assertThat(byId("checkin-list").getText()).contains(code, "10:00");
        assertThat(jdbc.queryForObject("SELECT status FROM booking WHERE code = ? AND slot_id = ?", String.class, code,
                slot)).isEqualTo("ATTENDED");
        // the same code again: the desk is told it is done already
        byId("checkin-code").sendKeys(code + org.openqa.selenium.Keys.ENTER);
        waitUpTo(10).until(d -> d.findElement(By.id("checkin-result")).getText().contains("已经签到"));
        screenshot("front-desk-check-in");
    }

    @Autowired ScreenPops pops;

    /**
     * Issue 18's screen-pop in the browser: once Asterisk connected the agent's phone to a caller (AgentConnect, here
     * handed to the screen-pop as the outbound module publishes it; the AMI path is OptOutConsoleTest's), the agent's
     * open console shows that caller's context by itself: why they called and what they had chosen.
     */
    @Test
    void theAgentsOpenConsoleShowsTheCallerConnectedToTheirPhone() {
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        String agent = cfx.user(ConsoleRole.AGENT, null);
        String admin = cfx.user(ConsoleRole.ADMIN, null);
        String phone = "PJSIP/agent" + (6000 + System.nanoTime() % 900);
        assertThat(pops.setPhone(users.find(admin).orElseThrow().actor(), agent, phone)).isEmpty();
        TransferContext t = cfx.transfer(Fixtures.mobile(), Map.of("科室", "眼科"));
        logIn(agent);

        long t0 = System.nanoTime();
        pops.on(new org.hotline.outbound.QueueCalls.AgentConnected("pbx1", "hotline-agents", phone, phone, t.callId(),
                t.transferId()));
        waitUpTo(10).until(d -> t.transferId().equals(
                d.findElement(By.id("transfer-detail")).getDomAttribute("data-popped")));
        System.out.println("screen-pop in the browser: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertThat(byId("ctx-choices").getText()).contains("眼科");
        assertThat(byId("ctx-reason").getText()).isNotBlank();
    }
}
