package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import tools.jackson.databind.JsonNode;

import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/** Who may do what in the console, over real HTTP with form login and CSRF, on the real database. */
@ConsoleTest
class ConsoleRolesTest {

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;

    ConsoleFixtures cfx;
    long hospital;
    long dept;
    long centre;

    @BeforeEach
    void setUp() {
        cfx = new ConsoleFixtures(users, transferLog, clock);
        hospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        centre = fx.facility("COMMUNITY_CENTRE");
    }

    LocalDateTime inDays(int days, int hour) {
        return clock.now().plusDays(days).withHour(hour).withMinute(0).withSecond(0).withNano(0);
    }

    ConsoleClient as(ConsoleRole role) {
        String name = cfx.user(role, role == ConsoleRole.COMMUNITY_DOCTOR ? centre : null);
        return new ConsoleClient(port).loggedIn(name, ConsoleFixtures.PASSWORD);
    }

    static Map<String, Object> bookBody(long slot, String pool, String residentId, String transferId) {
        Map<String, Object> m = new HashMap<>();
        m.put("slotId", slot);
        m.put("pool", pool);
        m.put("residentId", residentId);
        m.put("smsPhone", Fixtures.mobile());
        m.put("familyPhones", List.of(Fixtures.mobile()));
        m.put("transferId", transferId);
        return m;
    }

    int auditRows(String username, String action, String outcome) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE username = ? AND action = ? AND outcome = ?",
                Integer.class, username, action, outcome);
    }

    String username(ConsoleClient c) {
        return c.get("/api/me").json().get("username").asString();
    }

    @Test
    void anonymousRequestsAreRefused() {
        ConsoleClient anon = new ConsoleClient(port);
        long slot = fx.slot(dept, inDays(2, 9), 0, 0, 5);
        assertThat(anon.get("/api/me").status()).isEqualTo(401);
        assertThat(anon.get("/api/transfers").status()).isEqualTo(401);
        assertThat(anon.get("/api/callbacks").status()).isEqualTo(401);
        assertThat(anon.get("/api/catalogue/services/" + dept + "/slots?date=" + inDays(2, 9).toLocalDate()).status())
                .isEqualTo(401);
        // a POST without session is refused (CSRF comes first: 403) and books nothing
        assertThat(anon.post("/api/bookings", bookBody(slot, null, Fixtures.residentIdAged(70), null)).status())
                .isIn(401, 403);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(5, 0, 0);
        // pages send the browser to the login form
        ConsoleClient.Answer page = anon.get("/console");
        assertThat(page.status()).isEqualTo(302);
        assertThat(page.location()).endsWith("/login");
        // a wrong password does not log in
        ConsoleClient.Answer bad = anon.login(cfx.user(ConsoleRole.AGENT, null), "wrong-password-xx");
        assertThat(bad.location()).contains("/login?error");
        assertThat(anon.get("/api/me").status()).isEqualTo(401);
    }

    @Test
    void actuatorHealthAndPrometheusStayOpenWithoutLogin() {
        ConsoleClient anon = new ConsoleClient(port);
        // health answers for itself (503 while a component such as the stopped scheduler is down), never a login;
        // its components (database host, node names, disk paths) only to a signed-in supervisor or admin
        ConsoleClient.Answer health = anon.get("/actuator/health");
        assertThat(health.status()).isIn(200, 503);
        assertThat(health.json().get("status").asString()).isIn("UP", "DOWN");
        assertThat(health.json().get("components")).isNull();
        ConsoleClient.Answer signedIn = new ConsoleClient(port).loggedIn("admin", "hotline-demo-admin")
                .get("/actuator/health");
        assertThat(signedIn.status()).isEqualTo(health.status());
        assertThat(signedIn.json().get("components")).isNotNull();
        ConsoleClient.Answer prom = anon.get("/actuator/prometheus");
        assertThat(prom.status()).isEqualTo(200);
        assertThat(prom.body()).contains("hotline_holds_active");
    }

    @Test
    void openApiDescriptionListsTheConsoleApi() {
        ConsoleClient anon = new ConsoleClient(port);
        JsonNode doc = anon.get("/api/openapi").json();
        assertThat(doc.get("openapi").asString()).startsWith("3.");
        assertThat(doc.get("paths").propertyNames()).contains("/api/bookings", "/api/bookings/{id}/move",
                "/api/transfers", "/api/callbacks/{id}/attempts", "/api/users", "/api/audit");
        assertThat(anon.get("/api/openapi.yaml").body()).contains("/api/bookings/{id}/cancel:");
    }

    @Test
    void theBrowsableApiDescriptionIsPublicAsDocumented() {
        // docs/agent.md and docs/configuration.md: /api/docs needs no login
        ConsoleClient anon = new ConsoleClient(port);
        ConsoleClient.Answer docs = anon.get("/api/docs");
        assertThat(docs.status()).isEqualTo(302);
        String page = java.net.URI.create(docs.location()).getPath();
        ConsoleClient.Answer ui = anon.get(page);
        assertThat(ui.status()).as(page).isEqualTo(200);
        assertThat(ui.body()).contains("swagger-ui");
        String base = page.substring(0, page.lastIndexOf('/') + 1);
        assertThat(anon.get(base + "swagger-initializer.js").status()).isEqualTo(200);
        assertThat(anon.get(base + "swagger-ui-bundle.js").status()).isEqualTo(200);
        ConsoleClient.Answer config = anon.get("/api/openapi/swagger-config");
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.json().get("url").asString()).isEqualTo("/api/openapi");
        // and the API itself still wants a login
        assertThat(anon.get("/api/bookings").status()).isEqualTo(401);
    }

    @Test
    void anAgentCannotBookTheCommunityPool() {
        ConsoleClient agent = as(ConsoleRole.AGENT);
        String me = username(agent);
        long slot = fx.slot(dept, inDays(3, 9), 0, 4, 0);
        ConsoleClient.Answer asked = agent.post("/api/bookings", bookBody(slot, "COMMUNITY", Fixtures.residentIdAged(75), null));
        assertThat(asked.status()).isEqualTo(422);
        assertThat(asked.json().get("refusal").asString()).isEqualTo("POOL_NOT_FOR_CHANNEL");
        assertThat(asked.json().get("text").asString()).isEqualTo("该号源不能通过此渠道预约");
        // nor does the slot list offer it, and without a pool the PUBLIC share (empty) is all it may take
        assertThat(agent.get("/api/catalogue/services/" + dept + "/slots?date=" + inDays(3, 9).toLocalDate()).json())
                .isEmpty();
        ConsoleClient.Answer auto = agent.post("/api/bookings", bookBody(slot, null, Fixtures.residentIdAged(75), null));
        assertThat(auto.json().get("refusal").asString()).isEqualTo("FULL");
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(4, 0, 0);
        assertThat(auditRows(me, "BOOK", "POOL_NOT_FOR_CHANNEL")).isEqualTo(1);
        assertThat(auditRows(me, "BOOK", "FULL")).isEqualTo(1);
    }

    @Test
    void aCommunityDoctorBooksTheCommunityPoolAsAReferralFromTheirCentre() {
        ConsoleClient doctor = as(ConsoleRole.COMMUNITY_DOCTOR);
        String me = username(doctor);
        long slot = fx.slot(dept, inDays(3, 10), 0, 1, 1);
        assertThat(doctor.get("/api/catalogue/services/" + dept + "/slots?date=" + inDays(3, 10).toLocalDate()).json()
                .get(0).get("pool").asString()).isEqualTo("COMMUNITY");
        ConsoleClient.Answer ok = doctor.post("/api/bookings", bookBody(slot, null, Fixtures.residentIdAged(68), null));
        assertThat(ok.status()).isEqualTo(200);
        JsonNode b = ok.json().get("booking");
        assertThat(b.get("pool").asString()).isEqualTo("COMMUNITY");
        assertThat(b.get("channel").asString()).isEqualTo("COMMUNITY_DOCTOR");
        assertThat(jdbc.queryForObject("SELECT referring_facility_id FROM booking WHERE id = ?", Long.class,
                b.get("id").asLong())).isEqualTo(centre);
        assertThat(fx.counts(slot, "COMMUNITY")).containsExactly(1, 0, 1);
        assertThat(auditRows(me, "BOOK", "OK")).isEqualTo(1);
        // the doctor sees their referral, an agent's booking elsewhere stays out of their view
        assertThat(doctor.post("/api/bookings/search", Map.of("code", b.get("code").asString())).json()).hasSize(1);
        ConsoleClient agent = as(ConsoleRole.AGENT);
        long other = fx.slot(dept, inDays(4, 10), 0, 0, 1);
        JsonNode agentBooking = agent.post("/api/bookings", bookBody(other, null, Fixtures.residentIdAged(66), null))
                .json().get("booking");
        assertThat(doctor.post("/api/bookings/search", Map.of("code", agentBooking.get("code").asString())).json())
                .isEmpty();
        // outside their reach is as not there (as reading it is a 404): no oracle, and nothing of it in the answer
        assertThat(doctor.post("/api/bookings/" + agentBooking.get("id").asLong() + "/cancel", Map.of()).json()
                .get("refusal").asString()).isEqualTo("NOT_FOUND");
        // and a doctor does not see the call-centre's transfers
        assertThat(doctor.get("/api/transfers").status()).isEqualTo(403);
    }

    @Test
    void rolesKeepToTheirOwnScreens() {
        ConsoleClient agent = as(ConsoleRole.AGENT);
        ConsoleClient supervisor = as(ConsoleRole.SUPERVISOR);
        ConsoleClient admin = new ConsoleClient(port).loggedIn("admin", "hotline-demo-admin");
        long slot = fx.slot(dept, inDays(2, 14), 0, 0, 2);
        assertThat(agent.get("/api/users").status()).isEqualTo(403);
        assertThat(agent.get("/api/audit").status()).isEqualTo(403);
        assertThat(supervisor.post("/api/bookings", bookBody(slot, null, Fixtures.residentIdAged(70), null)).status())
                .isEqualTo(403);
        assertThat(supervisor.get("/api/transfers").status()).isEqualTo(200);
        assertThat(agent.get("/api/sms/notices").status()).isEqualTo(200);
        assertThat(admin.get("/api/sms/notices").status()).isEqualTo(403);
        assertThat(supervisor.get("/api/audit").status()).isEqualTo(200);
        assertThat(admin.post("/api/bookings", bookBody(slot, null, Fixtures.residentIdAged(70), null)).status())
                .isEqualTo(403);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(2, 0, 0);
        // the admin creates users; a doctor needs a community centre; passwords are stored hashed
        Map<String, Object> doc = new HashMap<>(Map.of("username", "dr-" + System.nanoTime(), "password",
                "a-long-password", "displayName", "王医生", "role", "COMMUNITY_DOCTOR"));
        assertThat(admin.post("/api/users", doc).json().get("problem").asString()).isEqualTo("DOCTOR_NEEDS_CENTRE");
        doc.put("facilityId", centre);
        assertThat(admin.post("/api/users", doc).status()).isEqualTo(200);
        String hash = jdbc.queryForObject("SELECT password_hash FROM console_user WHERE username = ?", String.class,
                doc.get("username"));
        assertThat(hash).startsWith("{bcrypt}$2").doesNotContain("a-long-password");
        assertThat(new ConsoleClient(port).loggedIn((String) doc.get("username"), "a-long-password")
                .get("/api/me").json().get("channel").asString()).isEqualTo("COMMUNITY_DOCTOR");
        // disabled users cannot log in
        assertThat(admin.post("/api/users/" + doc.get("username") + "/enabled", Map.of("enabled", false)).status())
                .isEqualTo(200);
        assertThat(new ConsoleClient(port).login((String) doc.get("username"), "a-long-password").location())
                .contains("error");
        assertThat(auditRows("admin", "USER_CREATE", "OK")).isGreaterThanOrEqualTo(1);
        assertThat(auditRows("admin", "USER_DISABLE", "OK")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void csrfIsEnforcedOnEveryStateChange() {
        ConsoleClient agent = as(ConsoleRole.AGENT);
        long slot = fx.slot(dept, inDays(2, 15), 0, 0, 2);
        String id = Fixtures.residentIdAged(72);
        ConsoleClient.Answer without = agent.post("/api/bookings", bookBody(slot, null, id, null), false);
        assertThat(without.status()).isEqualTo(403);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(2, 0, 0);
        ConsoleClient.Answer with = agent.post("/api/bookings", bookBody(slot, null, id, null), true);
        assertThat(with.status()).isEqualTo(200);
        long bookingId = with.json().get("booking").get("id").asLong();
        assertThat(agent.post("/api/bookings/" + bookingId + "/cancel", Map.of(), false).status()).isEqualTo(403);
        assertThat(agent.post("/api/bookings/" + bookingId + "/cancel", Map.of(), true).json().get("ok").asBoolean())
                .isTrue();
    }

    @Test
    void everyActionLeavesAnAuditRowWithWhoWhatAndWhichCall() {
        ConsoleClient agent = as(ConsoleRole.AGENT);
        String me = username(agent);
        String caller = Fixtures.mobile();
        TransferContext t = cfx.transfer(caller, Map.of("医院", "测试医院"));
        long slotA = fx.slot(dept, inDays(5, 9), 0, 0, 3);
        long slotB = fx.slot(dept, inDays(5, 10), 0, 0, 3);
        String id = Fixtures.residentIdAged(81);

        assertThat(agent.post("/api/transfers/" + t.transferId() + "/pickup", null).status()).isEqualTo(200);
        JsonNode booked = agent.post("/api/bookings", bookBody(slotA, null, id, t.transferId())).json();
        assertThat(booked.get("ok").asBoolean()).isTrue();
        long firstId = booked.get("booking").get("id").asLong();
        // the calling number comes from the transfer when the agent does not type one
        assertThat(booked.get("booking").get("callingNumber").asString()).isEqualTo(caller);
        JsonNode moved = agent.post("/api/bookings/" + firstId + "/move",
                Map.of("slotId", slotB, "residentId", id, "transferId", t.transferId())).json();
        assertThat(moved.get("ok").asBoolean()).isTrue();
        long secondId = moved.get("booking").get("id").asLong();
        assertThat(moved.get("previous").get("code").asString()).isEqualTo(booked.get("booking").get("code").asString());
        assertThat(fx.counts(slotA, "PUBLIC")).containsExactly(3, 0, 0);
        assertThat(fx.counts(slotB, "PUBLIC")).containsExactly(3, 0, 1);
        assertThat(agent.post("/api/bookings/" + secondId + "/cancel", Map.of("transferId", t.transferId())).json()
                .get("ok").asBoolean()).isTrue();
        assertThat(agent.post("/api/bookings/search", Map.of("residentId", id)).json()).hasSize(2);
        // refused actions are audited too
        assertThat(agent.post("/api/bookings/" + secondId + "/cancel", Map.of("transferId", t.transferId())).json()
                .get("refusal").asString()).isEqualTo("NOT_ACTIVE");

        List<Map<String, Object>> rows = jdbc.queryForList(
                "SELECT username, role, action, outcome, transfer_id, booking_id, detail, at FROM audit_event "
                        + "WHERE username = ? ORDER BY id", me);
        assertThat(rows).extracting(r -> r.get("action") + ":" + r.get("outcome")).containsExactly("PICK_UP:OK",
                "BOOK:OK", "MOVE:OK", "MOVE:OK", "CANCEL:OK", "FIND:OK", "CANCEL:NOT_ACTIVE");
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.get("role")).isEqualTo("AGENT");
            assertThat(r.get("at")).isNotNull();
            // whole resident IDs and phone numbers never land in the audit text
            assertThat((String) r.get("detail")).doesNotContain(id).doesNotContain(caller);
        });
        assertThat(rows).filteredOn(r -> !"FIND".equals(r.get("action")))
                .allSatisfy(r -> assertThat(r.get("transfer_id")).isEqualTo(t.transferId()));
        assertThat(rows.get(1).get("booking_id")).isEqualTo(firstId);
        assertThat(rows.get(4).get("booking_id")).isEqualTo(secondId);
        // the supervisor reads the same trail by call
        ConsoleClient supervisor = as(ConsoleRole.SUPERVISOR);
        assertThat(supervisor.get("/api/audit?transferId=" + t.transferId()).json()).hasSize(6);
    }

    @Test
    void aMoveTheRulesRefuseLeavesThePatientBookedOnTheOldSlot() {
        ConsoleClient agent = as(ConsoleRole.AGENT);
        long otherDept = fx.outpatientService(hospital);
        long slotA = fx.slot(dept, inDays(6, 9), 0, 0, 2);
        long slotOther = fx.slot(otherDept, inDays(6, 9), 0, 0, 2);
        long slotOtherLater = fx.slot(otherDept, inDays(6, 11), 0, 0, 2);
        String id = Fixtures.residentIdAged(77);
        long a = agent.post("/api/bookings", bookBody(slotA, null, id, null)).json().get("booking").get("id").asLong();
        agent.post("/api/bookings", bookBody(slotOther, null, id, null));
        // moving A to the other department on the day the patient already has it: refused at confirmation
        JsonNode refused = agent.post("/api/bookings/" + a + "/move", Map.of("slotId", slotOtherLater, "residentId", id))
                .json();
        assertThat(refused.get("refusal").asString()).isEqualTo("DUPLICATE_SAME_DAY");
        assertThat(refused.get("booking").get("slotId").asLong()).isEqualTo(slotA);
        assertThat(fx.counts(slotA, "PUBLIC")).containsExactly(2, 0, 1);
        assertThat(fx.counts(slotOtherLater, "PUBLIC")).containsExactly(2, 0, 0);
        // a wrong resident ID does not move someone else's booking
        long b = refused.get("booking").get("id").asLong();
        assertThat(agent.post("/api/bookings/" + b + "/move",
                Map.of("slotId", slotOtherLater, "residentId", Fixtures.residentIdAged(50))).json().get("refusal")
                .asString()).isEqualTo("NOT_ALLOWED");
    }

    @Test
    void callBackAttemptsAreRecordedUntilTheCallerIsReachedOrGivenUp() {
        ConsoleClient agent = as(ConsoleRole.AGENT);
        String me = username(agent);
        TransferContext t = cfx.transfer(Fixtures.mobile(), Map.of());
        long reached = transferLog.requestCallback(t, "坐席忙，请求回拨");
        long unreachable = transferLog.requestCallback(cfx.transfer("01065529988", Map.of()), "非工作时间");

        JsonNode open = agent.get("/api/callbacks?status=OPEN").json();
        assertThat(open.findValues("id").stream().map(JsonNode::asLong).toList()).contains(reached, unreachable);
        assertThat(post(agent, reached, "NO_ANSWER", "没人接").status()).isEqualTo(200);
        JsonNode done = post(agent, reached, "REACHED", "已帮其预约").json();
        assertThat(done.get("request").get("status").asString()).isEqualTo("DONE");
        assertThat(done.get("attempts")).extracting(a -> a.get("outcome").asString()).containsExactly("NO_ANSWER",
                "REACHED");
        assertThat(done.get("attempts").get(0).get("username").asString()).isEqualTo(me);
        ConsoleClient.Answer late = post(agent, reached, "BUSY", null);
        assertThat(late.status()).isEqualTo(422);
        assertThat(late.json().get("text").asString()).isEqualTo("该回拨已结束");

        for (int i = 0; i < 3; i++) {
            post(agent, unreachable, "NO_ANSWER", null);
        }
        assertThat(agent.get("/api/callbacks/" + unreachable).json().get("request").get("status").asString())
                .isEqualTo("GAVE_UP");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM callback_attempt WHERE callback_id IN (?, ?)",
                Integer.class, reached, unreachable)).isEqualTo(5);
        assertThat(auditRows(me, "CALLBACK_ATTEMPT", "NO_ANSWER")).isEqualTo(4);
        assertThat(auditRows(me, "CALLBACK_ATTEMPT", "REFUSED")).isEqualTo(1);
        // supervisors read call-backs but do not dial
        assertThat(post(as(ConsoleRole.SUPERVISOR), unreachable, "REACHED", null).status()).isEqualTo(403);
    }

    ConsoleClient.Answer post(ConsoleClient c, long callback, String outcome, String note) {
        Map<String, Object> body = new HashMap<>();
        body.put("outcome", outcome);
        body.put("note", note);
        return c.post("/api/callbacks/" + callback + "/attempts", body);
    }
}
