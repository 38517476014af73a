package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * Whatever the console API is sent, it answers 400 (or the rules' 422) and holds nothing: never a 500, never a
 * place held until the sweeper. Over real HTTP, on the real database.
 */
@ConsoleTest
class ConsoleInputTest {

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;

    ConsoleFixtures cfx;
    long dept;

    @BeforeEach
    void setUp() {
        cfx = new ConsoleFixtures(users, transferLog, clock);
        dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
    }

    LocalDateTime inDays(int days, int hour) {
        return clock.now().plusDays(days).withHour(hour).withMinute(0).withSecond(0).withNano(0);
    }

    int activeHolds(long slot) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ? AND status = 'ACTIVE'", Integer.class,
                slot);
    }

    Map<String, Object> book(long slot) {
        Map<String, Object> m = new HashMap<>();
        m.put("slotId", slot);
        m.put("residentId", Fixtures.residentIdAged(70));
        m.put("smsPhone", Fixtures.mobile());
        m.put("familyPhones", List.of(Fixtures.mobile()));
        m.put("callingNumber", Fixtures.mobile());
        return m;
    }

    @Test
    void aFortyCharacterCallingNumberIsA400AndHoldsNothing() {
        ConsoleClient agent = new ConsoleClient(port).loggedIn(cfx.user(ConsoleRole.AGENT, null),
                ConsoleFixtures.PASSWORD);
        long slot = fx.slot(dept, inDays(3, 9), 0, 0, 3);
        Map<String, Object> body = book(slot);
        body.put("callingNumber", "1".repeat(40));
        ConsoleClient.Answer a = agent.post("/api/bookings", body);
        assertThat(a.status()).as(a.body()).isEqualTo(400);
        assertThat(a.json().get("field").asString()).isEqualTo("callingNumber");
        assertThat(activeHolds(slot)).isZero();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(3, 0, 0);
        // the same request with a proper number books
        body.put("callingNumber", "+86 138-0013-8000");
        assertThat(agent.post("/api/bookings", body).status()).isEqualTo(200);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(3, 0, 1);
    }

    @Test
    void everyMalformedInputIsA400OrTheRulesRefusalAndNothingIsHeld() throws Exception {
        ConsoleClient agent = new ConsoleClient(port).loggedIn(cfx.user(ConsoleRole.AGENT, null),
                ConsoleFixtures.PASSWORD);
        ConsoleClient admin = new ConsoleClient(port).loggedIn("admin", "hotline-demo-admin");
        long desk = fx.facility("DISTRICT_HOSPITAL");
        ConsoleClient frontDesk = new ConsoleClient(port).loggedIn(cfx.user(ConsoleRole.FRONT_DESK, desk),
                ConsoleFixtures.PASSWORD);
        long slot = fx.slot(dept, inDays(4, 9), 0, 0, 3);
        long other = fx.slot(dept, inDays(4, 10), 0, 0, 3);
        String id = Fixtures.residentIdAged(66);
        Map<String, Object> ok = book(other);
        ok.put("residentId", id);
        long booked = agent.post("/api/bookings", ok).json().get("booking").get("id").asLong();
        int[] otherCounts = fx.counts(other, "PUBLIC");

        List<String> seen = new ArrayList<>();
        List<Map<String, Object>> bookings = new ArrayList<>();
        for (String[] change : new String[][] {
                {"callingNumber", "9".repeat(40)}, {"callingNumber", "anonymous"}, {"callingNumber", "<script>"},
                {"smsPhone", "1".repeat(200)}, {"smsPhone", "13800138000x"}, {"residentId", "x".repeat(10_000)},
                {"residentId", "11010519491231002'; DROP"}, {"residentId", ""}, {"residentId", null},
                {"slotId", "0"}, {"slotId", "-5"}, {"pool", "NOPE"}, {"transferId", "t".repeat(100)},
                {"transferId", "no-such-transfer"}}) {
            Map<String, Object> body = book(slot);
            if (change[0].equals("slotId")) {
                body.put("slotId", Long.parseLong(change[1]));
            } else {
                body.put(change[0], change[1]);
            }
            bookings.add(body);
        }
        Map<String, Object> sevenFamily = book(slot);
        sevenFamily.put("familyPhones", List.of(Fixtures.mobile(), Fixtures.mobile(), Fixtures.mobile(),
                Fixtures.mobile(), Fixtures.mobile(), Fixtures.mobile(), Fixtures.mobile()));
        bookings.add(sevenFamily);
        Map<String, Object> longFamily = book(slot);
        longFamily.put("familyPhones", List.of("1".repeat(60)));
        bookings.add(longFamily);
        for (Map<String, Object> body : bookings) {
            ConsoleClient.Answer a = agent.post("/api/bookings", body);
            seen.add("book " + a.status() + " " + a.body());
            assertThat(a.status()).as(a.body()).isEqualTo(400);
        }
        // what only the rules can tell (an ID's check digit, a landline for SMS) stays their refusal, still nothing held
        Map<String, Object> landline = book(slot);
        landline.put("smsPhone", "01065529988");
        assertThat(agent.post("/api/bookings", landline).json().get("refusal").asString()).isEqualTo("PHONE_NOT_MOBILE");
        Map<String, Object> checkDigit = book(slot);
        String good = Fixtures.residentIdAged(50);
        checkDigit.put("residentId", good.substring(0, 17) + (good.charAt(17) == '1' ? '2' : '1'));
        assertThat(agent.post("/api/bookings", checkDigit).status()).isEqualTo(422);

        // not JSON, a body of the wrong shape, no body
        for (String raw : new String[] {"{", "[1,2]", "{\"slotId\": \"abc\"}", ""}) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + port + "/api/bookings")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(raw)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("anonymous " + raw).isIn(401, 403);
            ConsoleClient.Answer a = agent.postRaw("/api/bookings", raw);
            seen.add("raw " + a.status() + " " + a.body());
            assertThat(a.status()).as(raw + " " + a.body()).isEqualTo(400);
        }

        // the other actions
        Map<String, Object> moveBody = new HashMap<>(Map.of("slotId", slot, "residentId", "9".repeat(500)));
        assertThat(agent.post("/api/bookings/" + booked + "/move", moveBody).status()).isEqualTo(400);
        moveBody.put("residentId", id);
        moveBody.put("slotId", -1);
        assertThat(agent.post("/api/bookings/" + booked + "/move", moveBody).status()).isEqualTo(400);
        assertThat(agent.post("/api/bookings/" + booked + "/cancel", Map.of("transferId", "t".repeat(41))).status())
                .isEqualTo(400);
        assertThat(agent.post("/api/bookings/search", Map.of("code", "1".repeat(5000))).status()).isEqualTo(400);
        assertThat(agent.post("/api/bookings/search", Map.of("phone", "1".repeat(5000))).status()).isEqualTo(400);
        assertThat(agent.post("/api/bookings/search", Map.of("residentId", "1".repeat(5000))).status()).isEqualTo(400);
        assertThat(agent.get("/api/bookings/abc").status()).isEqualTo(400);
        assertThat(agent.get("/api/catalogue/services/" + dept + "/slots?date=tomorrow").status()).isEqualTo(400);
        assertThat(agent.get("/api/catalogue/services/" + dept + "/slots").status()).isEqualTo(400);
        assertThat(frontDesk.post("/api/check-ins", Map.of("code", "1".repeat(5000))).status()).isEqualTo(400);
        Map<String, Object> attempt = new HashMap<>(Map.of("outcome", "MAYBE"));
        assertThat(agent.post("/api/callbacks/1/attempts", attempt).status()).isEqualTo(400);
        Map<String, Object> user = new HashMap<>(Map.of("username", "u" + System.nanoTime() % 1_000_000,
                "password", "a-long-password", "displayName", "名".repeat(65), "role", "AGENT"));
        assertThat(admin.post("/api/users", user).json().get("problem").asString()).isEqualTo("DISPLAY_NAME_TOO_LONG");
        user.put("role", "EMPEROR");
        assertThat(admin.post("/api/users", user).status()).isEqualTo(400);

        assertThat(activeHolds(slot)).as(String.join("\n", seen)).isZero();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(3, 0, 0);
        assertThat(fx.counts(other, "PUBLIC")).containsExactly(otherCounts);
        assertThat(jdbc.queryForObject("SELECT status FROM booking WHERE id = ?", String.class, booked))
                .isEqualTo("ACTIVE");
    }
}
