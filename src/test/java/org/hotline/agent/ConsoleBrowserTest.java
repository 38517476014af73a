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

    /** A date input's value set as the page's own script reads it (typing dates depends on the browser's locale). */
    void setDate(String id, java.time.LocalDate date) {
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1]", byId(id),
                date.toString());
    }

    long bookAged(long slot, int age, String phone) {
        org.hotline.booking.BookingOutcome out = booking.book(slot, null, new org.hotline.booking.BookingRequest(0,
                Fixtures.residentIdAged(age), phone, java.util.List.of(), phone, org.hotline.booking.Channel.PHONE_MENU,
                "call-stop", null));
        assertThat(out).isInstanceOf(org.hotline.booking.BookingOutcome.Booked.class);
        return ((org.hotline.booking.BookingOutcome.Booked) out).booking().id();
    }

    /**
     * Issue 17, 停诊 end to end in the browser, as a hospital's own administrator: on the 停诊 page (their facility
     * the only one offered) a morning session is cancelled; both bookings are cancelled with reason HOSPITAL, each
     * patient gets the SMS naming the afternoon's slice, the 70-year-old appears on the worklist and the call made
     * to her is recorded. Then, on 机构管理's closure screen, a day with a booking is closed by cancelling it there.
     */
    @Test
    void aHospitalAdministratorCancelsASessionOnTheClosurePageAndPhonesTheElder() {
        at(9, 0);
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        long dept = fx.outpatientService(hospital);
        String deptName = catalogue.service(dept).orElseThrow().name();
        java.time.LocalDate day = clock.now().toLocalDate().plusDays(2);
        long morning = fx.slot(dept, day.atTime(9, 0), 0, 0, 5);
        long afternoon = fx.slot(dept, day.atTime(14, 0), 0, 0, 5);
        String elderPhone = Fixtures.mobile();
        long elder = bookAged(morning, 70, elderPhone);
        long younger = bookAged(morning, 45, Fixtures.mobile());
        java.time.LocalDate later = day.plusDays(1);
        long laterSlot = fx.slot(dept, later.atTime(9, 0), 0, 0, 5);
        long laterBooking = bookAged(laterSlot, 66, Fixtures.mobile());

        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        logIn(cfx.user(ConsoleRole.HOSPITAL_ADMIN, hospital), "医院管理员");
        byId("closures-link").click();
        waitUpTo(10).until(ExpectedConditions.urlContains("/console/closures"));
        // their own hospital is the only one offered (the agents' catalogue API is not theirs)
        waitUpTo(10).until(d -> new Select(d.findElement(By.id("closure-facility"))).getOptions().size() == 1
                && new Select(d.findElement(By.id("closure-service"))).getOptions().size() > 1);
        assertThat(new Select(byId("closure-facility")).getFirstSelectedOption().getDomProperty("value"))
                .isEqualTo(String.valueOf(hospital));
        choose("closure-service", sel -> sel.selectByValue(String.valueOf(dept)));
        setDate("closure-date", day);
        choose("closure-period", sel -> sel.selectByValue("MORNING"));
        type("closure-reason", "主任医师临时外出");
        byId("closure-submit").click();
        waitUpTo(10).until(ExpectedConditions.alertIsPresent()).accept();
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.id("closure-done"), "取消预约 2 个"));
        assertThat(byId("closure-done").getText()).contains("60 岁以上 1 人");
        assertThat(jdbc.queryForList("SELECT cancel_reason FROM booking WHERE id IN (?, ?)", String.class, elder,
                younger)).containsExactly("HOSPITAL", "HOSPITAL");
        assertThat(jdbc.queryForList("SELECT body FROM sms_message WHERE booking_id = ? AND kind = "
                + "'HOSPITAL_CANCELLATION'", String.class, elder)).singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).contains("下午14:00", "回复“1”");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM cancellation_notice WHERE offer_slot_id = ?", Integer.class,
                afternoon)).isEqualTo(2);

        // the worklist: the elder only, with her number to dial; the call is recorded with its outcome
        WebElement row = waitUpTo(15).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(
                "#elder-list tr[data-notice]")));
        assertThat(browser.findElements(By.cssSelector("#elder-list tr[data-notice]"))).hasSize(1);
        assertThat(row.getText()).contains(elderPhone, "70岁", deptName, "未回访");
        row.findElement(By.cssSelector("input")).sendKeys("已电话告知，改约下午");
        row.findElement(By.cssSelector("button[data-outcome='REACHED']")).click();
        waitUpTo(10).until(d -> d.findElement(By.cssSelector("#elder-list tr[data-notice]")).getText().contains("已告知"));
        assertThat(jdbc.queryForList("SELECT CONCAT(c.outcome, ' ', c.note) FROM cancellation_call c JOIN "
                + "cancellation_notice n ON n.id = c.notice_id WHERE n.booking_id = ?", String.class, elder))
                .containsExactly("REACHED 已电话告知，改约下午");
        assertThat(byId("closure-list").getText()).contains("主任医师临时外出", deptName);
        screenshot("closure-page");

        // 机构管理 → 节假日与停开: the next day has a booking; the same screen cancels it (停诊) and closes the day
        browser.get("http://127.0.0.1:" + port + "/console");
        browser.findElement(By.cssSelector("#tabs button[data-tab='admin']")).click();
        waitUpTo(10).until(d -> new Select(d.findElement(By.id("closure-service"))).getOptions().size() > 1);
        setDate("closure-date", later);
        type("closure-reason", "临时停诊一天");
        byId("closure-submit").click();
        waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("closure-result"), "已约 1"));
        byId("closure-cancel-bookings").click();
        waitUpTo(10).until(ExpectedConditions.alertIsPresent()).accept();
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.id("closure-cancelled"), "取消预约 1 个"));
        assertThat(jdbc.queryForObject("SELECT cancel_reason FROM booking WHERE id = ?", String.class, laterBooking))
                .isEqualTo("HOSPITAL");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM closure WHERE facility_id = ? AND closed_date = ?",
                Integer.class, hospital, later)).isEqualTo(1);
        waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("closure-list"), "临时停诊一天"));
        screenshot("admin-closure-cancelled");
    }

    /**
     * Issue 17: an administrator creates a vaccine type on its screen (a two-dose series, the second 60 to 180 days
     * after the first, its name spoken by espeak-ng), is refused a dose rule that cannot hold, and makes it seasonal.
     */
    @Test
    void anAdminCreatesAndEditsAVaccineTypeOnItsScreen() {
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        logIn(cfx.user(ConsoleRole.ADMIN, null), "管理员");
        browser.findElement(By.cssSelector("#tabs button[data-tab='admin']")).click();
        String code = "VB" + (System.nanoTime() % 1_000_000);
        byId("vaccine-list");
        type("vac-code", code);
        type("vac-name", "重组带状疱疹疫苗" + code);
        type("vac-spoken", "带状疱疹疫苗");
        type("vac-doses", "2");
        byId("vac-doses").sendKeys(org.openqa.selenium.Keys.TAB);
        type("vac-interval", "60");
        type("vac-min-age", "50");
        WebElement max2 = waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#vac-dose-rules input[data-dose='2'][data-key='maxIntervalDays']")));
        byId("vac-dose-rules").findElement(By.cssSelector("input[data-dose='2'][data-key='minIntervalDays']"))
                .sendKeys("60");
        max2.sendKeys("30"); // shorter than the 60-day minimum: refused, naming the field
        type("vac-reason", "新增疫苗品种");
        byId("vac-submit").click();
        waitUpTo(15).until(ExpectedConditions.textToBePresentInElementLocated(By.id("vac-result"), "最长间隔短于最短间隔"));
        assertThat(jdbc.queryForList("SELECT id FROM vaccine WHERE code = ?", Long.class, code)).isEmpty();
        max2.clear();
        max2.sendKeys("180");
        byId("vac-submit").click();
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("vac-result"), "名称语音已生成"));
        long id = jdbc.queryForObject("SELECT id FROM vaccine WHERE code = ?", Long.class, code);
        assertThat(jdbc.queryForMap("SELECT doses, min_interval_days, min_age_years FROM vaccine WHERE id = ?", id))
                .containsEntry("doses", 2).containsEntry("min_interval_days", 60).containsEntry("min_age_years", 50);
        assertThat(jdbc.queryForObject("SELECT CONCAT(dose_number, ':', min_interval_days, '-', max_interval_days) FROM "
                + "vaccine_dose WHERE vaccine_id = ?", String.class, id)).isEqualTo("2:60-180");
        WebElement listed = waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#vaccine-list tr[data-vaccine-code='" + code + "']")));
        assertThat(listed.getText()).contains("第2剂 60–180 天", "已有");

        // edited: one dose a season, September to April
        listed.findElement(By.cssSelector("button")).click();
        waitUpTo(10).until(d -> d.findElement(By.id("vac-code")).getDomProperty("disabled").equals("true"));
        type("vac-doses", "1");
        byId("vac-doses").sendKeys(org.openqa.selenium.Keys.TAB);
        type("vac-interval", "0");
        type("vac-season-start", "09-01");
        type("vac-season-end", "04-30");
        type("vac-reason", "改为每季一剂");
        byId("vac-submit").click();
        waitUpTo(15).until(ExpectedConditions.textToBePresentInElementLocated(By.id("vac-result"), "已修改疫苗品种"));
        assertThat(jdbc.queryForMap("SELECT doses, season_start, season_end FROM vaccine WHERE id = ?", id))
                .containsEntry("doses", 1).containsEntry("season_start", "09-01").containsEntry("season_end", "04-30");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM vaccine_dose WHERE vaccine_id = ?", Integer.class, id))
                .isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'CATALOGUE_VACCINE' AND detail "
                + "LIKE ?", Integer.class, "%" + id + "%接种季 09-01 至 04-30%")).isEqualTo(1);
        screenshot("admin-vaccine");
    }

    /** GET on /fhir with a bearer token, as a hospital system calls it: status and body. */
    java.net.http.HttpResponse<String> fhirGet(String path, String token) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json").GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Issue 19: an administrator connects a hospital system on the console's 医院系统接入 screen, is shown its token
     * and push key once, and the token opens /fhir for that hospital; a second token (rotation) works alongside,
     * and the first, revoked on the screen, is 401 at once. A supervisor has no such screen.
     */
    @Test
    void anAdminConnectsAHospitalSystemOnItsScreenAndItsTokenOpensFhirUntilRevoked() throws Exception {
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        long dept = fx.outpatientService(hospital);
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        logIn(cfx.user(ConsoleRole.ADMIN, null), "管理员");
        browser.findElement(By.cssSelector("#tabs button[data-tab='his']")).click();
        String name = "浏览器测试 HIS " + (System.nanoTime() % 1_000_000);
        type("his-name", name);
        type("his-hosts", "his.example");
        type("his-push-url", "http://127.0.0.1:9/fhir-hook"); // nobody listens: its pushes wait
        type("his-rate", "120");
        WebElement tick = waitUpTo(10).until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("#his-facilities input[value='" + hospital + "']")));
        tick.click();
        byId("his-submit").click();
        String token = byId("his-secret-token").getText();
        assertThat(token).startsWith("hlhis_");
        assertThat(byId("his-secret-push").getText()).startsWith("hlpush_");
        WebElement row = waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#his-list tr[data-client='" + name + "']")));
        assertThat(row.getText()).contains("his.example", "120", token.substring(0, 10)).doesNotContain(token);
        // shown once: closed, the page has it nowhere (the list holds its first characters only)
        byId("his-secret-close").click();
        assertThat(browser.findElements(By.id("his-secret-token"))).isEmpty();
        assertThat(browser.findElement(By.id("his-secret")).isDisplayed()).isFalse();

        var schedules = fhirGet("/fhir/Schedule", token);
        assertThat(schedules.statusCode()).isEqualTo(200);
        assertThat(schedules.body()).contains("\"Schedule\"", "\"" + dept + "\"");
        assertThat(fhirGet("/fhir/metadata", token).statusCode()).isEqualTo(200);

        // rotation: a second token, both valid, then the first revoked on the screen
        waitUpTo(10).until(d -> {
            d.findElement(By.cssSelector("#his-list tr[data-client='" + name + "'] button.his-issue")).click();
            return true;
        });
        String second = byId("his-secret-token").getText();
        assertThat(second).startsWith("hlhis_").isNotEqualTo(token);
        assertThat(fhirGet("/fhir/metadata", token).statusCode()).isEqualTo(200);
        assertThat(fhirGet("/fhir/metadata", second).statusCode()).isEqualTo(200);
        WebElement first = waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(By.xpath(
                "//table[@id='his-list']//tr[@data-client='" + name + "']//li[starts-with(normalize-space(.), '"
                        + token.substring(0, 10) + "')]//button")));
        first.click();
        browser.switchTo().alert().accept();
        waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("his-action-result"), "已吊销令牌"));
        assertThat(fhirGet("/fhir/metadata", token).statusCode()).isEqualTo(401);
        assertThat(fhirGet("/fhir/Schedule", second).statusCode()).isEqualTo(200);
        waitUpTo(10).until(d -> d.findElement(By.cssSelector("#his-list tr[data-client='" + name + "']")).getText()
                .contains("已吊销"));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'HIS_CLIENT_CREATE' AND detail "
                + "LIKE ?", Integer.class, "%" + name + "%")).isEqualTo(1);
        // a booking at that hospital is pushed to a receiver that is down: the screen shows the backlog
        at(8, 0);
        LocalDateTime start = clock.now().toLocalDate().plusDays(1).atTime(10, 0);
        long slot = fx.slot(dept, start, 0, 0, 5, clock.now().minusDays(1), start);
        String phone = Fixtures.mobile();
        assertThat(booking.book(slot, null, new org.hotline.booking.BookingRequest(0, Fixtures.residentIdAged(70), phone,
                java.util.List.of(), phone, org.hotline.booking.Channel.PHONE_MENU, "call-his-ui", null)))
                .isInstanceOf(org.hotline.booking.BookingOutcome.Booked.class);
        browser.findElement(By.cssSelector("#tabs button[data-tab='his']")).click();
        waitUpTo(10).until(d -> d.findElement(By.cssSelector("#his-list tr[data-client='" + name + "'] td.his-backlog"))
                .getText().contains("待推送 1 条"));
        screenshot("admin-his-clients");

        logIn(cfx.user(ConsoleRole.SUPERVISOR, null), "班长");
        assertThat(browser.findElements(By.cssSelector("#tabs button[data-tab='his']"))).isEmpty();
        assertThat(browser.findElements(By.id("tab-his"))).isEmpty();
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

    // ------------------------------------------------------------------ the voice menu offers what the console added

    @Autowired org.hotline.ivr.agi.FastAgiListener agi;
    @Autowired org.hotline.release.QuotaRelease release;

    ConsoleClient as(ConsoleRole role, Long facility) {
        return new ConsoleClient(port).loggedIn(new ConsoleFixtures(users, transferLog, clock).user(role, facility),
                ConsoleFixtures.PASSWORD);
    }

    long facility(ConsoleClient admin, String kind, boolean named) {
        String code = "HV" + (System.nanoTime() % 1_000_000);
        ConsoleClient.Answer a = admin.post("/api/admin/facilities", Map.of("code", code, "name", "测试医院" + code,
                "kind", kind, "reason", "新医院接入热线"));
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        long id = a.json().get("id").asLong();
        if (named) {
            assertThat(admin.post("/api/admin/facilities/" + id + "/names/FACILITY/" + id + "/generate",
                    Map.of("reason", "机构名称语音")).status()).isEqualTo(200);
        }
        return id;
    }

    long department(ConsoleClient c, long facility, String name, boolean named) {
        ConsoleClient.Answer a = c.post("/api/admin/facilities/" + facility + "/departments", Map.of("code",
                "D" + (System.nanoTime() % 1_000_000), "name", name, "reason", "开设新科室", "generateName", named));
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json().get("id").asLong();
    }

    static Map<String, Object> roster(java.time.DayOfWeek day, String starts, String ends, int minutes, int onsite,
            int community, int pub) {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("day", day.name());
        m.put("period", java.time.LocalTime.parse(starts).getHour() < 12 ? "MORNING" : "AFTERNOON");
        m.put("starts", starts);
        m.put("ends", ends);
        m.put("slotMinutes", minutes);
        m.put("onsite", onsite);
        m.put("community", community);
        m.put("pub", pub);
        m.put("reason", "按新排班出诊");
        return m;
    }

    /** Asterisk's res_http_media_cache.c as the simulated Asterisk has it: a sound named by URL is fetched with GET. */
    boolean asteriskFetches(String sound, java.util.List<String> fetched) {
        if (!sound.startsWith("http://")) {
            return org.hotline.ivr.agi.AsteriskCall.repositoryPrompt(sound);
        }
        try {
            java.net.http.HttpResponse<byte[]> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                    .newBuilder(java.net.URI.create(sound)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            // the format comes from Content-Type (audio/x-wav → wav); the file must be one Asterisk plays as .wav
            boolean ok = r.statusCode() == 200
                    && r.headers().firstValue("Content-Type").orElse("").startsWith("audio/x-wav");
            if (ok) {
                org.hotline.booking.SpokenNames.requireTelephoneWav(r.body());
                fetched.add(sound);
            }
            return ok;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Issue 17: the voice menu, over FastAGI, offers a department added in the console by its spoken name, fetched by
     * "Asterisk" over HTTP from this server as its media cache would, once its release window opens (moved from
     * HospitalAdminTest, which now runs in the shared context without an HTTP server).
     */
    @Test
    void theVoiceMenuOffersTheNewDepartmentByItsSpokenNameOnceItsReleaseWindowOpens() throws Exception {
        // a Monday 07:30 years from any other test's slots
        LocalDateTime monday = LocalDateTime.of(2083, 3, 1, 7, 30).with(java.time.temporal.TemporalAdjusters
                .previousOrSame(java.time.DayOfWeek.MONDAY));
        clock.set(monday);
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "DISTRICT_HOSPITAL", true);
        ConsoleClient hospital = as(ConsoleRole.HOSPITAL_ADMIN, f);
        long named = department(hospital, f, "老年医学科", true);
        long silent = department(hospital, f, "营养科", false);
        // Monday mornings 07:00–09:00: today's session has begun, next Monday's opens today at 08:00 (7 days ahead)
        for (long d : new long[] {named, silent}) {
            assertThat(hospital.post("/api/admin/facilities/" + f + "/services/" + d + "/roster",
                    roster(java.time.DayOfWeek.MONDAY, "07:00", "09:00", 30, 1, 2, 3)).status()).isEqualTo(200);
        }
        String facilityName = jdbc.queryForObject("SELECT sha1 FROM name_audio WHERE kind = 'FACILITY' AND entry_id = ?",
                String.class, f);
        String deptName = jdbc.queryForObject("SELECT sha1 FROM name_audio WHERE kind = 'SERVICE' AND entry_id = ?",
                String.class, named);

        // 07:59: nothing of it is open yet, so the menu has no hospital to offer
        clock.set(monday.withHour(7).withMinute(59));
        release.openDue(org.hotline.release.ReleaseScope.facilities(f));
        java.util.List<String> fetched = new java.util.ArrayList<>();
        org.hotline.ivr.agi.AsteriskCall.Transcript before = org.hotline.ivr.agi.AsteriskCall.to(agi.port()).callerId(Fixtures.mobile())
                .installed(s -> asteriskFetches(s, fetched)).answers(q -> q.number() == 1 ? "1" : org.hotline.ivr.agi.AsteriskCall.HANG_UP)
                .run();
        assertThat(before.sounds).noneMatch(s -> s.contains(facilityName));

        // 08:00: the release opens it; the caller hears the hospital's and the department's names, fetched over
        // HTTP by Asterisk; the department without a name is not offered
        clock.set(monday.withHour(8).withMinute(0).withSecond(1));
        assertThat(release.openDue(org.hotline.release.ReleaseScope.facilities(f))).isPositive();
        org.hotline.ivr.agi.AsteriskCall call = org.hotline.ivr.agi.AsteriskCall.to(agi.port()).callerId(Fixtures.mobile())
                .installed(s -> asteriskFetches(s, fetched))
                .answers(q -> q.number() <= 2 ? "1" : org.hotline.ivr.agi.AsteriskCall.HANG_UP).build();
        org.hotline.ivr.agi.AsteriskCall.Transcript t = call.run();
        assertThat(t.error).isNull();
        String base = "http://127.0.0.1:" + port + "/media/names/";
        assertThat(t.sounds).contains(base + facilityName + ".wav", base + deptName + ".wav");
        assertThat(fetched).contains(base + facilityName + ".wav", base + deptName + ".wav");
        org.hotline.ivr.agi.AsteriskCall.Question departments = call.asked.get(2);
        assertThat(departments.prompts()).contains(base + deptName + ".wav");
        assertThat(String.join(" ", departments.prompts())).doesNotContain("ordinal_di");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM name_audio WHERE kind = 'SERVICE' AND entry_id = ?",
                Integer.class, silent)).isZero();
        // the silent department is bookable by agents (a screen shows its name), not offered by phone
        assertThat(jdbc.queryForObject("""
                SELECT COUNT(*) FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id WHERE sl.service_id = ?
                AND q.pool = 'PUBLIC' AND q.opens_at <= ?""", Integer.class, silent, clock.now())).isPositive();
        System.out.println("[voice] questions: " + call.asked.stream().map(q -> q.number() + "=" + q.prompts()).toList());
    }
}
