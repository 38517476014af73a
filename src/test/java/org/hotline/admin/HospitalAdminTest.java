package org.hotline.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;

import org.hotline.agent.ConsoleClient;
import org.hotline.agent.ConsoleFixtures;
import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.Pool;
import org.hotline.handoff.TransferLog;
import org.hotline.release.QuotaRelease;
import org.hotline.release.ReleaseScope;
import org.hotline.release.RosterAdmin;
import org.hotline.release.ScheduleGenerator.WeeklyTemplate;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Hospitals run their own catalogue (issue 17), on the real database: a hospital
 * administrator reaches their own facility only; the bureau's rules refuse a roster or policy by name and an ADMIN
 * overrides them with a recorded reason; a roster change racing bookings loses none and shrinks no slot below
 * them; a 40-department hospital is imported from one CSV (and a bad file is refused line by line); a closure of a
 * day without bookings, and one with bookings cancelled (停诊) from the same screen; facilities, vaccine types and
 * policies as CSV; vaccine types with their schedules; uploaded and generated names. In the shared test context
 * (the console through MockMvc and the security filter chain); the voice menu offering a new department by its
 * spoken name over HTTP needs a real server and is in {@code ConsoleBrowserTest}.
 */
@IntegrationTest
class HospitalAdminTest {

    static final AtomicInteger WORLD = new AtomicInteger();
    static final AtomicInteger SEQ = new AtomicInteger();

    @Autowired WebApplicationContext web;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired BookingService booking;
    @Autowired RosterAdmin rosters;
    @Autowired QuotaRelease release;

    ConsoleFixtures cfx;
    LocalDateTime monday;

    @BeforeEach
    void world() {
        // a Monday 07:30 of this test's own, years from any other test's slots
        monday = LocalDateTime.of(2081, 1, 6, 7, 30).plusWeeks(6L * WORLD.getAndIncrement())
                .with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        clock.set(monday);
        cfx = new ConsoleFixtures(users, transferLog, clock);
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    ConsoleClient as(ConsoleRole role, Long facility) {
        return ConsoleClient.over(web).loggedIn(cfx.user(role, facility), ConsoleFixtures.PASSWORD);
    }

    static String code(String prefix) {
        return prefix + SEQ.incrementAndGet() + "-" + (System.nanoTime() % 100000);
    }

    long facility(ConsoleClient admin, String kind, boolean named) {
        String code = code("H");
        ConsoleClient.Answer a = admin.post("/api/admin/facilities", Map.of("code", code, "name", "测试医院" + code,
                "kind", kind, "reason", "新医院接入热线"));
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        long id = a.json().get("id").asLong();
        if (named) {
            ConsoleClient.Answer n = admin.post("/api/admin/facilities/" + id + "/names/FACILITY/" + id + "/generate",
                    Map.of("reason", "机构名称语音"));
            assertThat(n.status()).as(n.body()).isEqualTo(200);
        }
        return id;
    }

    long department(ConsoleClient c, long facility, String name, boolean named) {
        ConsoleClient.Answer a = c.post("/api/admin/facilities/" + facility + "/departments", Map.of("code", code("D"),
                "name", name, "reason", "开设新科室", "generateName", named));
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        if (named) {
            assertThat(a.json().get("namePrompt").asString()).matches("nm_[0-9a-f]{40}");
        }
        return a.json().get("id").asLong();
    }

    static Map<String, Object> roster(DayOfWeek day, String starts, String ends, int minutes, int onsite, int community,
            int pub) {
        Map<String, Object> m = new HashMap<>();
        m.put("day", day.name());
        m.put("period", LocalTime.parse(starts).getHour() < 12 ? "MORNING" : "AFTERNOON");
        m.put("starts", starts);
        m.put("ends", ends);
        m.put("slotMinutes", minutes);
        m.put("onsite", onsite);
        m.put("community", community);
        m.put("pub", pub);
        m.put("reason", "按新排班出诊");
        return m;
    }

    // ------------------------------------------------------------------------------------------ scope

    @Test
    void aHospitalAdministratorRunsTheirOwnFacilityAndAnotherOneIsAsIfItDidNotExist() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long own = facility(admin, "DISTRICT_HOSPITAL", false);
        long other = facility(admin, "DISTRICT_HOSPITAL", false);
        long otherDept = department(admin, other, "别院内科", false);
        ConsoleClient hospital = as(ConsoleRole.HOSPITAL_ADMIN, own);

        assertThat(hospital.get("/api/admin/facilities").json().findValuesAsString("id").stream().toList())
                .isNotNull();
        assertThat(hospital.get("/api/admin/facilities").json().size()).isEqualTo(1);
        assertThat(hospital.get("/api/admin/facilities").json().get(0).get("id").asLong()).isEqualTo(own);
        long dept = department(hospital, own, "老年病科", false);
        assertThat(jdbc.queryForObject("SELECT detail FROM audit_event WHERE action = 'CATALOGUE_SERVICE' AND role = "
                + "'HOSPITAL_ADMIN' ORDER BY id DESC LIMIT 1", String.class)).contains("老年病科", "原因：开设新科室");

        // everything at the other hospital answers exactly as for a facility that does not exist
        long missing = other + 1_000_000;
        List<String[]> tries = List.of(
                new String[] {"GET", "/api/admin/facilities/%d"},
                new String[] {"POST", "/api/admin/facilities/%d/departments"},
                new String[] {"POST", "/api/admin/facilities/%d/services/" + otherDept + "/roster"},
                new String[] {"POST", "/api/admin/facilities/%d/policy"},
                new String[] {"POST", "/api/admin/facilities/%d/closures"},
                new String[] {"POST", "/api/admin/facilities/%d/names/SERVICE/" + otherDept + "/generate"},
                new String[] {"GET", "/api/admin/facilities/%d/roster.csv"});
        Map<String, Object> body = new HashMap<>(roster(DayOfWeek.MONDAY, "08:00", "12:00", 30, 2, 4, 6));
        body.putAll(Map.of("code", "X1", "name", "不该有的科室", "date", monday.toLocalDate().plusDays(3).toString(),
                "publicDaysAhead", 7, "publicOpensAt", "08:00", "communityDaysAhead", 14, "communityOpensAt", "08:00",
                "communityToPublicDaysBefore", 1, "communityToPublicAt", "12:00", "closeBeforeMinutes", 120));
        for (String[] t : tries) {
            ConsoleClient.Answer there = t[0].equals("GET") ? hospital.get(t[1].formatted(other))
                    : hospital.post(t[1].formatted(other), body);
            ConsoleClient.Answer nowhere = t[0].equals("GET") ? hospital.get(t[1].formatted(missing))
                    : hospital.post(t[1].formatted(missing), body);
            assertThat(there.status()).as(t[1] + " " + there.body()).isEqualTo(404);
            assertThat(there.body()).as(t[1]).isEqualTo(nowhere.body()).doesNotContain("别院内科");
        }
        // its own department's id under the other facility's path: not found either
        assertThat(hospital.post("/api/admin/facilities/" + other + "/services/" + dept + "/roster", body).status())
                .isEqualTo(404);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM service WHERE facility_id = ?", Integer.class, other))
                .isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM schedule_template WHERE service_id = ?", Integer.class,
                otherDept)).isZero();
        // what the role may not do at all, and a change without a reason
        assertThat(hospital.post("/api/admin/facilities", Map.of("code", "NEW1", "name", "新医院", "kind",
                "DISTRICT_HOSPITAL", "reason", "想建")).status()).isEqualTo(403);
        ConsoleClient.Answer noReason = hospital.post("/api/admin/facilities/" + own + "/departments",
                Map.of("code", "NR", "name", "无原因科室"));
        assertThat(noReason.status()).isEqualTo(400);
        assertThat(noReason.json().get("field").asString()).isEqualTo("reason");
        // other roles do not reach the screen at all
        assertThat(as(ConsoleRole.AGENT, null).get("/api/admin/facilities").status()).isEqualTo(403);
        assertThat(as(ConsoleRole.SUPERVISOR, null).get("/api/admin/facilities/" + own).status()).isEqualTo(403);
    }

    // ------------------------------------------------------------------------------------------ rules

    @Test
    void aRosterOrPolicyBreakingTheBureausRulesIsRefusedByNameAndAnAdminOverridesItWithAReason() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "DISTRICT_HOSPITAL", false);
        long dept = department(admin, f, "心内科", false);
        ConsoleClient hospital = as(ConsoleRole.HOSPITAL_ADMIN, f);
        String path = "/api/admin/facilities/" + f + "/services/" + dept + "/roster";

        // community 2 of 8 (25 %) and no walk-in places: both rules named
        ConsoleClient.Answer refused = hospital.post(path, roster(DayOfWeek.TUESDAY, "08:00", "12:00", 30, 0, 2, 6));
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.json().get("refusal").asString()).isEqualTo("POLICY_RULES");
        assertThat(refused.json().get("rules").findValuesAsString("rule")).containsExactly("ONSITE_QUOTA", "COMMUNITY_SHARE");
        assertThat(refused.json().get("text").asString()).contains("40 %", "现场号源");
        assertThat(refused.json().get("overrideAllowed").asBoolean()).isFalse();
        // a hospital administrator cannot override, even with a reason
        Map<String, Object> withReason = new HashMap<>(roster(DayOfWeek.TUESDAY, "08:00", "12:00", 30, 0, 2, 6));
        withReason.put("overrideReason", "院长同意");
        assertThat(hospital.post(path, withReason).status()).isEqualTo(422);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM schedule_template WHERE service_id = ?", Integer.class,
                dept)).isZero();
        // 40 % exactly is within the rule
        assertThat(hospital.post(path, roster(DayOfWeek.WEDNESDAY, "08:00", "12:00", 30, 1, 4, 6)).status())
                .isEqualTo(200);

        // the policy: community quota released only 7 days ahead
        Map<String, Object> policy = new HashMap<>(Map.of("publicDaysAhead", 3, "publicOpensAt", "08:00",
                "communityDaysAhead", 7, "communityOpensAt", "08:00", "communityToPublicDaysBefore", 1,
                "communityToPublicAt", "12:00", "closeBeforeMinutes", 120, "reason", "缩短放号周期"));
        ConsoleClient.Answer p = hospital.post("/api/admin/facilities/" + f + "/policy", policy);
        assertThat(p.status()).isEqualTo(422);
        assertThat(p.json().get("rules").findValuesAsString("rule")).containsExactly("COMMUNITY_DAYS_AHEAD");
        assertThat(p.json().get("rules").get(0).get("text").asString()).contains("14 天");

        // an ADMIN stores both with a reason; each override is recorded with who and why, and listed on /ops/policy
        ConsoleClient.Answer over = admin.post(path, withReason);
        assertThat(over.status()).as(over.body()).isEqualTo(200);
        assertThat(over.json().get("overridden").asBoolean()).isTrue();
        policy.put("overrideReason", "试点：社区号提前 7 天");
        assertThat(admin.post("/api/admin/facilities/" + f + "/policy", policy).json().get("overridden").asBoolean())
                .isTrue();
        List<Map<String, Object>> rows = jdbc.queryForList(
                "SELECT subject, rules, reason, username FROM policy_override WHERE facility_id = ? ORDER BY id", f);
        assertThat(rows).extracting(r -> r.get("subject") + " " + r.get("rules") + " " + r.get("reason"))
                .containsExactly("ROSTER ONSITE_QUOTA,COMMUNITY_SHARE 院长同意",
                        "POLICY COMMUNITY_DAYS_AHEAD 试点：社区号提前 7 天");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE outcome = 'OVERRIDE' AND detail LIKE ?",
                Integer.class, "%越权理由：院长同意%")).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE outcome = 'POLICY_RULES' AND role = "
                + "'HOSPITAL_ADMIN' AND detail LIKE ?", Integer.class, "%服务 " + dept + "%")).isEqualTo(2);
        String page = admin.get("/ops/policy").body();
        assertThat(page).contains("越权保存的排班与放号策略", "院长同意", "试点：社区号提前 7 天", "ONSITE_QUOTA,COMMUNITY_SHARE");
        // and the stored policy is the one the releases follow
        assertThat(rosters.policy(f, null).communityDaysAhead()).isEqualTo(7);
    }

    // ------------------------------------------------------------------------------------------ regeneration race

    @Test
    void aRosterChangeRacingBookingsLosesNoBookingAndShrinksNoSlotBelowItsBookings() throws Exception {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "COMMUNITY_CENTRE", false);
        long dept = department(admin, f, "全科", false);
        // Wednesday and Thursday mornings, 08:00–12:00 in 30-minute slices; public opens 7 days ahead
        for (DayOfWeek d : List.of(DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY)) {
            assertThat(rosters.save(new WeeklyTemplate(dept, d, "MORNING", LocalTime.of(8, 0), LocalTime.of(12, 0), 30,
                    1, 0, 3), null, "test", true).stored()).isTrue();
        }
        clock.set(monday.withHour(8).withMinute(1));
        release.openDue(ReleaseScope.facilities(f));
        List<Long> open = jdbc.queryForList("""
                SELECT sl.id FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id WHERE sl.service_id = ? AND q.pool = 'PUBLIC'
                AND q.opens_at <= ? AND q.capacity > 0""", Long.class, dept, clock.now());
        assertThat(open).hasSizeGreaterThanOrEqualTo(16);

        int bookers = 4;
        AtomicBoolean stop = new AtomicBoolean();
        List<Long> booked = Collections.synchronizedList(new ArrayList<>());
        Map<String, AtomicInteger> refusals = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(bookers + 1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger seq = new AtomicInteger();
        for (int i = 0; i < bookers; i++) {
            pool.submit(() -> {
                go.await();
                java.util.Random r = new java.util.Random();
                while (!stop.get()) {
                    List<Long> now = jdbc.queryForList("""
                            SELECT sl.id FROM slot sl JOIN quota_pool q ON q.slot_id = sl.id WHERE sl.service_id = ?
                            AND q.pool = 'PUBLIC' AND q.opens_at <= ? AND q.closes_at > ?""", Long.class, dept,
                            clock.now(), clock.now());
                    if (now.isEmpty()) {
                        continue;
                    }
                    int n = seq.incrementAndGet();
                    String id = Fixtures.residentId(monday.toLocalDate().minusYears(60 + n % 30).minusDays(n / 30));
                    String phone = Fixtures.mobile();
                    BookingOutcome out = booking.book(now.get(r.nextInt(now.size())), Pool.PUBLIC, new BookingRequest(0,
                            id, phone, List.of(), phone, Channel.AGENT, "race-agent", null));
                    if (out instanceof BookingOutcome.Booked b) {
                        booked.add(b.booking().id());
                    } else {
                        refusals.computeIfAbsent(out.getClass().getSimpleName() + " " + out, k -> new AtomicInteger())
                                .incrementAndGet();
                    }
                }
                return null;
            });
        }
        // the roster changes under them: slices of 20 and 30 minutes, places down to 1 and up to 4
        int[][] shapes = {{20, 1}, {30, 4}, {20, 2}, {30, 1}, {15, 3}, {30, 2}};
        List<RosterAdmin.Regenerated> changes = new ArrayList<>();
        go.countDown();
        long started = System.nanoTime();
        for (int round = 0; round < 6; round++) {
            int[] s = shapes[round % shapes.length];
            RosterAdmin.Outcome o = rosters.save(new WeeklyTemplate(dept, round % 2 == 0 ? DayOfWeek.WEDNESDAY
                    : DayOfWeek.THURSDAY, "MORNING", LocalTime.of(8, 0), LocalTime.of(12, 0), s[0], 1, 0, s[1]), null,
                    "test", true);
            changes.add(o.regenerated());
            release.openDue(ReleaseScope.facilities(f));
        }
        stop.set(true);
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        double seconds = (System.nanoTime() - started) / 1e9;

        // no booking lost: every confirmed booking is ACTIVE on a slot that exists, and every pool counts exactly
        // the active bookings it holds; no pool below what is held and booked in it
        assertThat(booked).isNotEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE service_id = ? AND status = 'ACTIVE'",
                Integer.class, dept)).isEqualTo(booked.size());
        List<Map<String, Object>> pools = jdbc.queryForList("""
                SELECT q.id, q.capacity, q.held, q.booked,
                       (SELECT COUNT(*) FROM booking b WHERE b.pool_id = q.id AND b.status = 'ACTIVE') AS active
                FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id WHERE sl.service_id = ?""", dept);
        for (Map<String, Object> p : pools) {
            int capacity = ((Number) p.get("capacity")).intValue();
            int held = ((Number) p.get("held")).intValue();
            int b = ((Number) p.get("booked")).intValue();
            assertThat(held + b).as("pool " + p).isLessThanOrEqualTo(capacity);
            assertThat(b).as("pool " + p).isEqualTo(((Number) p.get("active")).intValue());
        }
        int keptForBookings = changes.stream().mapToInt(RosterAdmin.Regenerated::slotsKeptForBookings).sum();
        System.out.printf("[roster race] %d bookings by %d threads during 6 roster changes in %.1f s; slices kept for "
                + "their bookings: %d; refusals: %s%n", booked.size(), bookers, seconds, keptForBookings, refusals);
        // the slices that left the roster but had bookings are still there, closed, holding exactly them
        assertThat(keptForBookings).isPositive();
        assertThat(jdbc.queryForObject("""
                SELECT COUNT(*) FROM slot sl JOIN booking b ON b.slot_id = sl.id AND b.status = 'ACTIVE'
                WHERE sl.service_id = ?""", Integer.class, dept)).isEqualTo(booked.size());
    }

    // ------------------------------------------------------------------------------------------ CSV

    @Test
    void aFortyDepartmentHospitalIsImportedFromOneFileAndABadFileIsRefusedLineByLine() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "DISTRICT_HOSPITAL", false);
        ConsoleClient hospital = as(ConsoleRole.HOSPITAL_ADMIN, f);
        StringBuilder csv = new StringBuilder(String.join(",", RosterCsv.HEADER)).append('\n');
        for (int d = 1; d <= 40; d++) {
            String c = "K" + d;
            csv.append(c).append(",第").append(d).append("科,").append(d % 5 == 0 ? "王医生" : "").append(",1,MORNING,08:00,12:00,30,2,4,6\n");
        }
        long t0 = System.nanoTime();
        ConsoleClient.Answer a = hospital.postBody("/api/admin/facilities/" + f + "/roster.csv?reason="
                + java.net.URLEncoder.encode("开通热线", StandardCharsets.UTF_8), "text/csv",
                csv.toString().getBytes(StandardCharsets.UTF_8));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.json().get("departmentsAdded").asInt()).isEqualTo(40);
        assertThat(a.json().get("rosterLines").asInt()).isEqualTo(40);
        assertThat(a.json().get("namesGenerated").asInt()).isEqualTo(40);
        System.out.printf("[onboarding] 40 departments, 40 roster lines, 40 generated names, %d slots: %.1f s%n",
                a.json().get("slotsAdded").asInt(), seconds);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM service WHERE facility_id = ?", Integer.class, f)).isEqualTo(40);
        assertThat(jdbc.queryForObject("""
                SELECT COUNT(*) FROM name_audio n JOIN service s ON s.id = n.entry_id AND n.kind = 'SERVICE'
                WHERE s.facility_id = ?""", Integer.class, f)).isEqualTo(40);
        assertThat(jdbc.queryForObject("""
                SELECT COUNT(DISTINCT cs.id) FROM clinic_session cs JOIN service s ON s.id = cs.service_id
                WHERE s.facility_id = ?""", Integer.class, f)).isGreaterThanOrEqualTo(40 * 2);
        // exported, it reads back as the same 40 roster lines
        String out = hospital.get("/api/admin/facilities/" + f + "/roster.csv").body();
        assertThat(out.lines().filter(l -> l.startsWith("K")).count()).isEqualTo(40);
        assertThat(out).contains("K10,第10科,王医生,1,MORNING,08:00,12:00,30,2,4,6");

        // a file with mistakes: nothing stored, each problem named by its line and column
        long g = facility(admin, "DISTRICT_HOSPITAL", false);
        String bad = String.join(",", RosterCsv.HEADER) + "\n"
                + "A1,内科,,1,MORNING,08:00,12:00,30,2,4,6\n"     // line 2: fine
                + "A2,外科,,8,MORNING,08:00,12:00,30,2,4,6\n"     // line 3: weekday
                + "A3,眼科,,2,MORNING,8点,12:00,30,2,4,6\n"       // line 4: starts
                + "A4,骨科,,3,MORNING,08:00,12:00,30,2,1,6\n"     // line 5: community share
                + "A5,,,3,MORNING,08:00,12:00,30,2,4,6\n"         // line 6: name
                + "A1,内科,,1,MORNING,08:00,11:00,30,2,4,6\n"     // line 7: duplicate line
                + "A6,皮肤科,,3,MORNING,08:00\n";                  // line 8: columns
        ConsoleClient.Answer r = admin.postBody("/api/admin/facilities/" + g + "/roster.csv?reason=x", "text/csv",
                bad.getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).isEqualTo(422);
        List<String> problems = new ArrayList<>();
        r.json().get("problems").forEach(p -> problems.add(p.get("line").asInt() + ":" + p.get("column").asString()));
        assertThat(problems).containsExactly("3:weekday", "4:starts", "5:community", "6:department_name", "7:period",
                "8:ends");
        assertThat(r.json().get("problems").get(2).get("text").asString()).contains("COMMUNITY_SHARE");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM service WHERE facility_id = ?", Integer.class, g)).isZero();
    }

    // ------------------------------------------------------------------------------------------ more CSV

    static List<String> problems(ConsoleClient.Answer r) {
        List<String> out = new ArrayList<>();
        r.json().get("problems").forEach(p -> out.add(p.get("line").asInt() + ":" + p.get("column").asString()));
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void facilitiesComeInAndOutAsCsvAndABadFileIsRefusedLineByLine() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        String a = code("FA");
        String b = code("FB");
        String good = String.join(",", CatalogueCsv.FACILITY_HEADER) + "\n"
                + a + ",导入医院" + a + ",DISTRICT_HOSPITAL,东城区,\"东城区某路1号, 3楼\"\n"
                + b + ",导入接种点" + b + ",vaccination_clinic,西城区,\n";
        ConsoleClient.Answer ok = admin.postBody("/api/admin/facilities.csv?generateNames=false&reason=x", "text/csv",
                utf8(good));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().get("added").asInt()).isEqualTo(2);
        assertThat(jdbc.queryForMap("SELECT kind, address, spoken_name_required FROM facility WHERE code = ?", a))
                .containsEntry("kind", "DISTRICT_HOSPITAL").containsEntry("address", "东城区某路1号, 3楼")
                .containsEntry("spoken_name_required", true);
        // again with a new name: the same facility renamed, nothing added
        ConsoleClient.Answer again = admin.postBody("/api/admin/facilities.csv?generateNames=false&reason=x",
                "text/csv", utf8(good.replace("导入医院", "改名医院")));
        assertThat(again.json().get("updated").asInt()).isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT name FROM facility WHERE code = ?", String.class, a)).startsWith("改名医院");
        assertThat(admin.get("/api/admin/facilities.csv").body()).contains(a + ",改名医院" + a
                + ",DISTRICT_HOSPITAL,东城区,\"东城区某路1号, 3楼\"");

        String c = code("FC");
        String bad = String.join(",", CatalogueCsv.FACILITY_HEADER) + "\n"
                + c + ",好医院,COMMUNITY_CENTRE,,\n"          // line 2: fine
                + code("FD") + ",坏类别,HOSPITAL,,\n"          // line 3: kind
                + c + ",重复,COMMUNITY_CENTRE,,\n"            // line 4: code repeated
                + code("FE") + ",,COMMUNITY_CENTRE,,\n"       // line 5: name
                + a + ",换类别,COMMUNITY_CENTRE,,\n"          // line 6: a known facility's kind changed
                + "有空格 代码,医院,COMMUNITY_CENTRE,,\n"     // line 7: code
                + code("FF") + ",医院\n";                      // line 8: columns
        ConsoleClient.Answer r = admin.postBody("/api/admin/facilities.csv?reason=x", "text/csv", utf8(bad));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(problems(r)).containsExactly("3:kind", "4:code", "5:name", "6:kind", "7:code", "8:kind");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM facility WHERE code = ?", Integer.class, c)).isZero();
        // a hospital's administrator imports no facilities; exports only their own
        long own = jdbc.queryForObject("SELECT id FROM facility WHERE code = ?", Long.class, a);
        ConsoleClient hospital = as(ConsoleRole.HOSPITAL_ADMIN, own);
        assertThat(hospital.postBody("/api/admin/facilities.csv?reason=x", "text/csv", utf8(good)).status())
                .isEqualTo(403);
        assertThat(hospital.get("/api/admin/facilities.csv").body().lines().count()).isEqualTo(2);
    }

    @Test
    void vaccineTypesWithTheirDoseRulesComeInAndOutAsCsvAndABadFileIsRefusedLineByLine() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        String flu = code("FLU");
        String zos = code("ZOS");
        String good = String.join(",", CatalogueCsv.VACCINE_HEADER) + "\n"
                + flu + ",流感疫苗" + flu + ",1,0,3,150,09-01,04-30,,,\n"
                + zos + ",带状疱疹疫苗" + zos + ",2,60,50,150,,,,2:60-180:,接种证\n";
        ConsoleClient.Answer ok = admin.postBody("/api/admin/vaccines.csv?reason=" + java.net.URLEncoder.encode(
                "导入疫苗品种", StandardCharsets.UTF_8), "text/csv", utf8(good));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().get("added").asInt()).isEqualTo(2);
        long z = jdbc.queryForObject("SELECT id FROM vaccine WHERE code = ?", Long.class, zos);
        assertThat(jdbc.queryForObject("SELECT CONCAT(dose_number, ':', min_interval_days, '-', max_interval_days) FROM "
                + "vaccine_dose WHERE vaccine_id = ?", String.class, z)).isEqualTo("2:60-180");
        assertThat(jdbc.queryForMap("SELECT season_start, season_end, spoken_name_required FROM vaccine WHERE code = ?",
                flu)).containsEntry("season_start", "09-01").containsEntry("season_end", "04-30")
                .containsEntry("spoken_name_required", true);
        String out = admin.get("/api/admin/vaccines.csv").body();
        assertThat(out).contains(flu + ",流感疫苗" + flu + ",1,0,3,150,09-01,04-30,,,",
                zos + ",带状疱疹疫苗" + zos + ",2,60,50,150,,,,2:60-180:-,接种证");
        // what it exports reads back unchanged
        String exported = out.replace("\uFEFF", "").lines().filter(l -> l.startsWith(zos) || l.startsWith("code,"))
                .collect(java.util.stream.Collectors.joining("\n"));
        ConsoleClient.Answer back = admin.postBody("/api/admin/vaccines.csv?reason=x", "text/csv", utf8(exported));
        assertThat(back.status()).as(back.body()).isEqualTo(200);
        assertThat(back.json().get("updated").asInt()).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM vaccine_dose WHERE vaccine_id = ?", Integer.class, z))
                .isEqualTo(1);

        String bad = String.join(",", CatalogueCsv.VACCINE_HEADER) + "\n"
                + code("V1") + ",好疫苗,1,0,0,150,,,,,\n"                // line 2: fine
                + code("V2") + ",半个季节,1,0,0,150,09-01,,,,\n"         // line 3: season without its end
                + code("V3") + ",错规则,2,30,0,150,,,,2-60-180,\n"       // line 4: dose_rules malformed
                + code("V4") + ",年龄倒置,1,0,80,60,,,,,\n"              // line 5: ages
                + code("V5") + ",季节加强,1,0,0,150,09-01,04-30,365,,\n" // line 6: booster for a seasonal vaccine
                + code("V6") + ",零剂,0,0,0,150,,,,,\n"                  // line 7: doses
                + code("V7") + ",间隔倒置,2,60,0,150,,,,2:60-30:,\n"     // line 8: a dose's maximum below its minimum
                + code("V8") + ",坏日期,1,0,0,150,13-01,04-30,,,\n";     // line 9: season_start
        ConsoleClient.Answer r = admin.postBody("/api/admin/vaccines.csv?reason=x", "text/csv", utf8(bad));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(problems(r)).containsExactly("3:season_end", "4:dose_rules", "5:min_age_years",
                "6:booster_after_days", "7:doses", "8:dose_rules", "9:season_start");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM vaccine WHERE name = '好疫苗'", Integer.class)).isZero();
        long f = facility(admin, "VACCINATION_CLINIC", false);
        assertThat(as(ConsoleRole.HOSPITAL_ADMIN, f).postBody("/api/admin/vaccines.csv?reason=x", "text/csv",
                utf8(good)).status()).isEqualTo(403);
    }

    @Test
    void policiesComeInAsCsvCheckedAgainstTheBureausRulesAndOnlyAnAdminOverridesThem() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "DISTRICT_HOSPITAL", false);
        long dept = department(admin, f, "眼科", false);
        String deptCode = jdbc.queryForObject("SELECT code FROM service WHERE id = ?", String.class, dept);
        ConsoleClient hospital = as(ConsoleRole.HOSPITAL_ADMIN, f);
        String path = "/api/admin/facilities/" + f + "/policies.csv?reason=x";
        String header = String.join(",", CatalogueCsv.POLICY_HEADER) + "\n";

        String bad = header
                + ",7,08:00,14,08:00,1,12:00,120,\n"               // line 2: the facility's, fine
                + deptCode + ",3,08:00,7,08:00,1,12:00,120,\n"     // line 3: community 7 days ahead (rule)
                + "NOPE,7,08:00,14,08:00,1,12:00,120,\n"           // line 4: no such service
                + ",7,08:00,14,08:00,1,12:00,120,\n"               // line 5: the facility's again
                + deptCode + "2,7,8点,14,08:00,1,12:00,120,\n";    // line 6: time (and service)
        ConsoleClient.Answer r = hospital.postBody(path, "text/csv", utf8(bad));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(problems(r)).containsExactly("3:community_days_ahead", "4:service_code", "5:service_code",
                "6:service_code", "6:public_opens_at");
        assertThat(r.json().get("problems").get(0).get("text").asString()).contains("COMMUNITY_DAYS_AHEAD", "14 天");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM release_policy WHERE facility_id = ?", Integer.class, f))
                .isZero();

        // the rule broken alone: a hospital administrator cannot override it, an ADMIN can with a reason
        String ruled = header + ",7,08:00,14,08:00,1,12:00,120,\n" + deptCode + ",3,08:00,7,08:00,1,12:00,120,10:00\n";
        assertThat(hospital.postBody(path + "&overrideReason=x", "text/csv", utf8(ruled)).status()).isEqualTo(422);
        ConsoleClient.Answer over = admin.postBody(path + "&overrideReason=" + java.net.URLEncoder.encode("眼科试点",
                StandardCharsets.UTF_8), "text/csv", utf8(ruled));
        assertThat(over.status()).as(over.body()).isEqualTo(200);
        assertThat(over.json().get("overridden").size()).isEqualTo(1);
        assertThat(jdbc.queryForList("SELECT CONCAT(subject, ' ', rules, ' ', reason) FROM policy_override WHERE "
                + "facility_id = ? AND service_id = ?", String.class, f, dept))
                .containsExactly("POLICY COMMUNITY_DAYS_AHEAD 眼科试点");
        assertThat(rosters.policy(f, dept).communityDaysAhead()).isEqualTo(7);
        assertThat(rosters.policy(f, null).communityDaysAhead()).isEqualTo(14);
        // a clean file from the hospital's own administrator; the export reads back as stored
        assertThat(hospital.postBody(path, "text/csv", utf8(header + ",6,07:30,14,08:00,1,12:00,90,\n")).status())
                .isEqualTo(200);
        assertThat(hospital.get("/api/admin/facilities/" + f + "/policies.csv").body())
                .contains(",6,07:30,14,08:00,1,12:00,90,", deptCode + ",3,08:00,7,08:00,1,12:00,120,10:00");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'CATALOGUE_IMPORT' AND detail "
                + "LIKE ?", Integer.class, "导入放号策略 机构 " + f + "：%")).isEqualTo(2);
    }

    // ------------------------------------------------------------------------------------------ vaccine types

    @Test
    void anAdminDefinesAVaccineTypeWithItsScheduleAndAHospitalAdministratorMayNot() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "VACCINATION_CLINIC", false);
        String c = code("PPV");
        Map<String, Object> ppv = new HashMap<>(Map.of("code", c, "name", "23价肺炎疫苗" + c, "doses", 1,
                "minIntervalDays", 0, "minAgeYears", 60, "maxAgeYears", 150, "boosterAfterDays", 1826,
                "reason", "新增疫苗品种"));
        assertThat(as(ConsoleRole.HOSPITAL_ADMIN, f).post("/api/admin/vaccines", ppv).status()).isEqualTo(403);
        // a booster for a seasonal vaccine cannot hold: refused, naming the field
        Map<String, Object> seasonal = new HashMap<>(ppv);
        seasonal.putAll(Map.of("seasonStart", "09-01", "seasonEnd", "04-30"));
        ConsoleClient.Answer no = admin.post("/api/admin/vaccines", seasonal);
        assertThat(no.status()).as(no.body()).isEqualTo(400);
        assertThat(no.json().get("field").asString()).isEqualTo("boosterAfterDays");
        ConsoleClient.Answer made = admin.post("/api/admin/vaccines", ppv);
        assertThat(made.status()).as(made.body()).isEqualTo(200);
        long id = made.json().get("id").asLong();
        assertThat(jdbc.queryForObject("SELECT booster_after_days FROM vaccine WHERE id = ?", Integer.class, id))
                .isEqualTo(1826);
        // edited: the name and a per-dose age band; the code stays
        Map<String, Object> edit = new HashMap<>(ppv);
        edit.put("name", "肺炎球菌多糖疫苗" + c);
        edit.put("perDose", List.of(Map.of("number", 1, "minAgeYears", 65)));
        edit.put("reason", "按新规年龄");
        assertThat(admin.post("/api/admin/vaccines/" + id, edit).status()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT name FROM vaccine WHERE id = ?", String.class, id)).startsWith("肺炎球菌");
        assertThat(jdbc.queryForObject("SELECT min_age_years FROM vaccine_dose WHERE vaccine_id = ? AND dose_number = 1",
                Integer.class, id)).isEqualTo(65);
        assertThat(admin.post("/api/admin/vaccines/" + (id + 1_000_000), edit).status()).isEqualTo(404);
        // its spoken name: a recording converted for the phone; a hospital's administrator may not set it
        String upload = "/api/admin/vaccines/" + id + "/name/upload?reason=" + java.net.URLEncoder.encode("录制的名称",
                StandardCharsets.UTF_8);
        assertThat(as(ConsoleRole.HOSPITAL_ADMIN, f).postBody(upload, "audio/wav", studioWav()).status()).isEqualTo(403);
        ConsoleClient.Answer named = admin.postBody(upload, "audio/wav", studioWav());
        assertThat(named.status()).as(named.body()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM name_audio WHERE kind = 'VACCINE' AND entry_id = ?",
                Integer.class, id)).isEqualTo(1);
        ConsoleClient.Answer views = admin.get("/api/admin/vaccines/schedules");
        assertThat(views.body()).contains("\"code\":\"" + c + "\"", "\"boosterAfterDays\":1826", "\"speakable\":true");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'CATALOGUE_VACCINE' AND detail "
                + "LIKE ?", Integer.class, "修改疫苗 " + id + " %按新规年龄")).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------ closures

    @Test
    void aDayWithoutBookingsIsClosedAndOneWithBookingsIsCancelledFromTheSameScreenOnlyByItsOwnHospital() {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "COMMUNITY_CENTRE", false);
        long dept = department(admin, f, "中医科", false);
        ConsoleClient hospital = as(ConsoleRole.HOSPITAL_ADMIN, f);
        assertThat(hospital.post("/api/admin/facilities/" + f + "/services/" + dept + "/roster",
                roster(DayOfWeek.FRIDAY, "08:00", "10:00", 30, 1, 0, 2)).status()).isEqualTo(200);
        assertThat(hospital.post("/api/admin/facilities/" + f + "/services/" + dept + "/roster",
                roster(DayOfWeek.FRIDAY, "14:00", "16:00", 30, 1, 0, 2)).status()).isEqualTo(200);
        var friday = monday.toLocalDate().plusDays(4);
        var nextFriday = friday.plusDays(7);
        // a booking on this Friday morning, with a family phone
        clock.set(monday.withHour(9));
        release.openDue(ReleaseScope.facilities(f));
        long slot = jdbc.queryForObject("""
                SELECT sl.id FROM slot sl WHERE sl.service_id = ? AND sl.slot_date = ? ORDER BY sl.starts_at LIMIT 1""",
                Long.class, dept, friday);
        String phone = Fixtures.mobile();
        String family = Fixtures.mobile();
        BookingOutcome made = booking.book(slot, Pool.PUBLIC, new BookingRequest(0, Fixtures.residentIdAged(70), phone,
                List.of(family), phone, Channel.AGENT, "a", null));
        assertThat(made).isInstanceOf(BookingOutcome.Booked.class);
        long bookingId = ((BookingOutcome.Booked) made).booking().id();
        String morningSum = "SELECT SUM(capacity) FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id "
                + "WHERE sl.service_id = ? AND sl.slot_date = ? AND sl.starts_at < ?";

        Map<String, Object> close = new HashMap<>(Map.of("date", friday.toString(), "period", "MORNING",
                "reason", "医生外出培训"));
        ConsoleClient.Answer refused = hospital.post("/api/admin/facilities/" + f + "/closures", close);
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.json().get("refusal").asString()).isEqualTo("HAS_BOOKINGS");
        assertThat(refused.json().get("text").asString()).contains("停诊");
        assertThat(refused.json().get("cancelBookings").asBoolean()).isTrue();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM closure WHERE facility_id = ?", Integer.class, f)).isZero();
        assertThat(jdbc.queryForObject(morningSum, Integer.class, dept, friday, friday.atTime(12, 0))).isEqualTo(4 * 3);

        // the administrator of another hospital cannot cancel it: answered as a facility that does not exist
        long elsewhere = facility(admin, "COMMUNITY_CENTRE", false);
        ConsoleClient stranger = as(ConsoleRole.HOSPITAL_ADMIN, elsewhere);
        Map<String, Object> cancel = new HashMap<>(close);
        cancel.put("cancelBookings", true);
        ConsoleClient.Answer foreign = stranger.post("/api/admin/facilities/" + f + "/closures", cancel);
        assertThat(foreign.status()).as(foreign.body()).isEqualTo(404);
        assertThat(foreign.body()).isEqualTo(stranger.post("/api/admin/facilities/" + (f + 1_000_000) + "/closures",
                cancel).body());
        Map<String, Object> ownPathOurService = new HashMap<>(cancel);
        ownPathOurService.put("serviceId", dept);
        assertThat(stranger.post("/api/admin/facilities/" + elsewhere + "/closures", ownPathOurService).status())
                .isEqualTo(404);
        assertThat(jdbc.queryForObject("SELECT status FROM booking WHERE id = ?", String.class, bookingId))
                .isEqualTo("ACTIVE");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM session_cancellation WHERE facility_id = ?", Integer.class,
                f)).isZero();
        // without a reason: nothing
        Map<String, Object> noReason = new HashMap<>(cancel);
        noReason.remove("reason");
        assertThat(hospital.post("/api/admin/facilities/" + f + "/closures", noReason).status()).isEqualTo(400);

        // its own administrator cancels the morning from the closure screen: 停诊 as /console/closures does it
        ConsoleClient.Answer done = hospital.post("/api/admin/facilities/" + f + "/closures", cancel);
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.json().get("bookingsCancelled").asInt()).isEqualTo(1);
        assertThat(done.json().get("offered").asInt()).isEqualTo(1);
        assertThat(done.json().get("elders").asInt()).isEqualTo(1);
        assertThat(jdbc.queryForMap("SELECT status, cancel_reason FROM booking WHERE id = ?", bookingId))
                .containsEntry("status", "CANCELLED").containsEntry("cancel_reason", "HOSPITAL");
        // the patient and the family phone are told, with the afternoon's slice and "reply 1"
        List<Map<String, Object>> sms = jdbc.queryForList("SELECT phone, body FROM sms_message WHERE booking_id = ? "
                + "AND kind = 'HOSPITAL_CANCELLATION' ORDER BY phone", bookingId);
        assertThat(sms).extracting(m -> (String) m.get("phone")).containsExactlyInAnyOrder(phone, family);
        assertThat(sms).allSatisfy(m -> assertThat((String) m.get("body")).contains("回复“1”", "下午14:00"));
        assertThat(jdbc.queryForObject("SELECT offer_status FROM cancellation_notice WHERE booking_id = ?", String.class,
                bookingId)).isEqualTo("OPEN");
        // the morning is closed for good (and recorded as closed), the afternoon stays open
        assertThat(jdbc.queryForObject(morningSum, Integer.class, dept, friday, friday.atTime(12, 0))).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM closure WHERE facility_id = ? AND closed_date = ? AND "
                + "period = 'MORNING'", Integer.class, f, friday)).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT SUM(q.capacity) FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id "
                + "WHERE sl.service_id = ? AND sl.slot_date = ? AND sl.starts_at > ?", Integer.class, dept, friday,
                friday.atTime(12, 0))).isEqualTo(4 * 3);
        // audited with who and why; the elder is on the worklist of the 停诊 page
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'SESSION_CANCEL' AND outcome = "
                + "'OK' AND role = 'HOSPITAL_ADMIN' AND detail LIKE ?", Integer.class, "%机构 " + f + " %医生外出培训%"))
                .isEqualTo(1);
        assertThat(hospital.get("/api/closures/elders").body()).contains("\"bookingId\":" + bookingId);

        ConsoleClient.Answer closed = hospital.post("/api/admin/facilities/" + f + "/closures",
                Map.of("date", nextFriday.toString(), "reason", "节假日"));
        assertThat(closed.status()).as(closed.body()).isEqualTo(200);
        assertThat(closed.json().get("sessionsClosed").asInt()).isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT SUM(capacity) FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id "
                + "WHERE sl.service_id = ? AND sl.slot_date = ?", Integer.class, dept, nextFriday)).isZero();
        // a later roster change does not bring the closed day back; the nightly generation does not either
        rosters.regenerate(dept);
        assertThat(jdbc.queryForObject("SELECT SUM(capacity) FROM quota_pool q JOIN slot sl ON sl.id = q.slot_id "
                + "WHERE sl.service_id = ? AND sl.slot_date = ?", Integer.class, dept, nextFriday)).isZero();
        assertThat(jdbc.queryForObject(morningSum, Integer.class, dept, friday, friday.atTime(12, 0))).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'CLOSURE' AND detail LIKE ?",
                Integer.class, "%" + nextFriday + "%节假日%")).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------ names and voice

    /** A WAV as a studio records it: 44.1 kHz, 16-bit stereo, one second of a tone. */
    static byte[] studioWav() {
        int rate = 44100;
        int frames = rate;
        ByteBuffer pcm = ByteBuffer.allocate(frames * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < frames; i++) {
            short v = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate));
            pcm.putShort(v).putShort(v);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            AudioSystem.write(new javax.sound.sampled.AudioInputStream(new java.io.ByteArrayInputStream(pcm.array()),
                    new AudioFormat(rate, 16, 2, true, false), frames), javax.sound.sampled.AudioFileFormat.Type.WAVE, out);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    @Test
    void anUploadedRecordingIsConvertedAndOnlyTheAsteriskServersFetchIt() throws Exception {
        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        long f = facility(admin, "DISTRICT_HOSPITAL", false);
        long dept = department(admin, f, "康复科", false);
        String base = "/api/admin/facilities/" + f + "/names/SERVICE/" + dept;
        ConsoleClient.Answer up = admin.postBody(base + "/upload?reason=" + java.net.URLEncoder.encode("院方录音",
                StandardCharsets.UTF_8), "audio/wav", studioWav());
        assertThat(up.status()).as(up.body()).isEqualTo(200);
        String sha1 = up.json().get("namePrompt").asString().substring(3);
        byte[] stored = jdbc.queryForObject("SELECT wav FROM name_audio WHERE kind = 'SERVICE' AND entry_id = ?",
                byte[].class, dept);
        AudioFormat fmt = AudioSystem.getAudioFileFormat(new java.io.ByteArrayInputStream(stored)).getFormat();
        assertThat(fmt.getSampleRate()).isEqualTo(8000f);
        assertThat(fmt.getChannels()).isEqualTo(1);
        assertThat(fmt.getSampleSizeInBits()).isEqualTo(16);
        // not a WAV, and too big: refused, nothing run on it
        ConsoleClient.Answer notWav = admin.postBody(base + "/upload?reason=x", "audio/wav",
                "$(touch /tmp/pwned); not a wav file at all, but long enough to be read as one".getBytes());
        assertThat(notWav.status()).isEqualTo(422);
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("/tmp/pwned"))).isFalse();
        assertThat(admin.postBody(base + "/upload?reason=x", "audio/wav", new byte[NameRecordings.MAX_UPLOAD + 1])
                .status()).isIn(413, 422);

        // Asterisk (loopback, an allowed peer) fetches it as its media cache would; anyone else gets nothing
        MockMvc mvc = MockMvcBuilders.webAppContextSetup(web)
                .addFilters(web.getBean("springSecurityFilterChain", jakarta.servlet.Filter.class)).build();
        String uri = "/media/names/" + sha1 + ".wav";
        MockHttpServletResponse got = mvc.perform(MockMvcRequestBuilders.get(uri).with(r -> {
            r.setRemoteAddr("127.0.0.1");
            return r;
        })).andReturn().getResponse();
        assertThat(got.getStatus()).isEqualTo(200);
        assertThat(got.getContentType()).startsWith("audio/x-wav");
        assertThat(got.getHeader("Cache-Control")).contains("max-age=31536000");
        assertThat(got.getContentAsByteArray()).isEqualTo(stored);
        MockHttpServletResponse outsider = mvc.perform(MockMvcRequestBuilders.get(uri).with(r -> {
            r.setRemoteAddr("203.0.113.9");
            return r;
        })).andReturn().getResponse();
        assertThat(outsider.getStatus()).isEqualTo(403);
        assertThat(outsider.getContentAsByteArray()).isEmpty();
    }
}
