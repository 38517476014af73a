package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.TestClock;

/**
 * Logging in to the console over real HTTP: failed logins are throttled per user name and per address, by the
 * form and by HTTP Basic alike, without telling which names exist; a session ends when its user is disabled
 * or given a new password; weak passwords are refused; the session cookie is SameSite and, over HTTPS, Secure;
 * health's details are for signed-in operators only.
 */
@ConsoleTest
class ConsoleLoginTest {

    static final AtomicInteger ADDRESS = new AtomicInteger(10);

    @LocalServerPort int port;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired TestClock clock;
    @Autowired org.springframework.jdbc.core.JdbcTemplate jdbc;

    ConsoleFixtures cfx() {
        return new ConsoleFixtures(users, transferLog, clock);
    }

    /** A client at an address of its own (as a reverse proxy on this host reports it). */
    ConsoleClient from(String address) {
        return new ConsoleClient(port).header("X-Forwarded-For", address);
    }

    static String address() {
        return "198.51.100." + ADDRESS.getAndIncrement();
    }

    ConsoleClient admin() {
        return from(address()).loggedIn("admin", "hotline-demo-admin");
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    @Test
    void aHundredWrongPasswordsThenTheRightOneDoNotLogIn() {
        clock.set(clock.now());
        String name = cfx().user(ConsoleRole.AGENT, null);
        ConsoleClient c = from(address());
        long start = System.nanoTime();
        int plainErrors = 0;
        int waits = 0;
        for (int i = 0; i < 100; i++) {
            ConsoleClient.Answer a = c.login(name, "wrong-password-" + i);
            assertThat(a.location()).contains("/login?error");
            if (a.location().contains("wait=")) {
                waits++;
                assertThat(Integer.parseInt(a.header("Retry-After"))).isBetween(1, 15 * 60);
            } else {
                plainErrors++;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(plainErrors).as("passwords actually checked").isEqualTo(5);
        assertThat(waits).isEqualTo(95);
        ConsoleClient.Answer right = c.login(name, ConsoleFixtures.PASSWORD);
        assertThat(right.location()).contains("wait=");
        assertThat(c.get("/api/me").status()).isEqualTo(401);
        // the page says why
        assertThat(c.get(right.location().replace("http://127.0.0.1:" + port, "")).body()).contains("秒后再试");
        // the same from another address: it is the name that waits
        assertThat(from(address()).login(name, ConsoleFixtures.PASSWORD).location()).contains("wait=");
        System.out.printf("[login] 100 wrong passwords in %.1f s: 5 checked, 95 refused unchecked%n", seconds);

        // after the wait (one minute after five failures) the right password logs in and clears the count
        clock.advance(Duration.ofSeconds(61));
        assertThat(from(address()).loggedIn(name, ConsoleFixtures.PASSWORD).get("/api/me").status()).isEqualTo(200);
        for (int i = 0; i < 4; i++) {
            assertThat(c.login(name, "wrong-again-" + i).location()).doesNotContain("wait=");
        }
    }

    @Test
    void aNameThatDoesNotExistIsAnsweredAsOneThatDoes() {
        clock.set(clock.now());
        String real = cfx().user(ConsoleRole.AGENT, null);
        String ghost = "nobody-" + System.nanoTime();
        ConsoleClient a = from(address());
        ConsoleClient b = from(address());
        for (int i = 0; i < 7; i++) {
            ConsoleClient.Answer r = a.login(real, "wrong-password-" + i);
            ConsoleClient.Answer g = b.login(ghost, "wrong-password-" + i);
            assertThat(g.status()).isEqualTo(r.status());
            assertThat(g.location()).isEqualTo(r.location());
            assertThat(g.header("Retry-After")).isEqualTo(r.header("Retry-After"));
        }
    }

    @Test
    void httpBasicOnTheReportsCountsAndWaitsToo() {
        clock.set(clock.now());
        String supervisor = cfx().user(ConsoleRole.SUPERVISOR, null);
        ConsoleClient c = from(address());
        assertThat(c.getBasic("/ops/policy.csv", supervisor, ConsoleFixtures.PASSWORD).status()).isEqualTo(200);
        Map<Integer, Integer> byStatus = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            byStatus.merge(c.getBasic("/ops/policy.csv", supervisor, "wrong-password-" + i).status(), 1, Integer::sum);
        }
        assertThat(byStatus).containsEntry(401, 5).containsEntry(429, 95);
        ConsoleClient.Answer right = c.getBasic("/ops/policy.csv", supervisor, ConsoleFixtures.PASSWORD);
        assertThat(right.status()).isEqualTo(429);
        assertThat(Long.parseLong(right.header("Retry-After"))).isBetween(1L, 60L);
        assertThat(right.body()).doesNotContain("policy");
        // Basic and the form share the count: the form waits too
        assertThat(from(address()).login(supervisor, ConsoleFixtures.PASSWORD).location()).contains("wait=");
        clock.advance(Duration.ofSeconds(61));
        assertThat(c.getBasic("/ops/policy.csv", supervisor, ConsoleFixtures.PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void oneAddressTryingManyNamesWaitsWhileOtherAddressesLogIn() {
        clock.set(clock.now());
        String victim = cfx().user(ConsoleRole.AGENT, null);
        String sprayer = address();
        ConsoleClient c = from(sprayer);
        for (int i = 0; i < 30; i++) {
            // one try per name: no name reaches its own limit
            assertThat(c.login("sprayed-" + i + "-" + System.nanoTime(), "Spring2026!x").location())
                    .doesNotContain("wait=");
        }
        assertThat(c.login(victim, ConsoleFixtures.PASSWORD).location()).contains("wait=");
        assertThat(c.getBasic("/ops/policy.csv", victim, ConsoleFixtures.PASSWORD).status()).isEqualTo(429);
        // the user itself, from its own desk, is not locked out by someone else's spraying
        assertThat(from(address()).loggedIn(victim, ConsoleFixtures.PASSWORD).get("/api/me").status()).isEqualTo(200);
    }

    @Test
    void aDisabledUserOrOneWithANewPasswordIsLoggedOutAtTheNextRequest() {
        ConsoleClient admin = admin();
        String agent = cfx().user(ConsoleRole.AGENT, null);
        ConsoleClient session = from(address()).loggedIn(agent, ConsoleFixtures.PASSWORD);
        ConsoleClient second = from(address()).loggedIn(agent, ConsoleFixtures.PASSWORD);
        assertThat(session.get("/api/transfers").status()).isEqualTo(200);
        assertThat(admin.post("/api/users/" + agent + "/enabled", Map.of("enabled", false)).status()).isEqualTo(200);
        assertThat(session.get("/api/transfers").status()).isEqualTo(401);
        assertThat(second.get("/api/me").status()).isEqualTo(401);
        assertThat(session.get("/console").location()).endsWith("/login");
        // enabled again, the old sessions stay ended: a new login is needed
        assertThat(admin.post("/api/users/" + agent + "/enabled", Map.of("enabled", true)).status()).isEqualTo(200);
        assertThat(second.get("/api/me").status()).isEqualTo(401);

        ConsoleClient again = from(address()).loggedIn(agent, ConsoleFixtures.PASSWORD);
        assertThat(again.get("/api/me").status()).isEqualTo(200);
        assertThat(admin.post("/api/users/" + agent + "/password", Map.of("password", "brand-new-secret-42"))
                .status()).isEqualTo(200);
        assertThat(again.get("/api/me").status()).isEqualTo(401);
        assertThat(from(address()).login(agent, ConsoleFixtures.PASSWORD).location()).contains("error");
        ConsoleClient latest = from(address()).loggedIn(agent, "brand-new-secret-42");
        assertThat(latest.get("/api/me").status()).isEqualTo(200);
        // a reset made on another gateway node is only a row in the shared database: this node sees it at once
        jdbc.update("UPDATE console_user SET credential_version = credential_version + 1 WHERE username = ?", agent);
        assertThat(latest.get("/api/me").status()).isEqualTo(401);

        // a supervisor's session on the reports ends the same way
        String supervisor = cfx().user(ConsoleRole.SUPERVISOR, null);
        ConsoleClient reader = from(address()).loggedIn(supervisor, ConsoleFixtures.PASSWORD);
        assertThat(reader.get("/ops/reports").status()).isEqualTo(200);
        assertThat(admin.post("/api/users/" + supervisor + "/enabled", Map.of("enabled", false)).status())
                .isEqualTo(200);
        assertThat(reader.get("/ops/reports").status()).isEqualTo(302);
        assertThat(reader.getBasic("/ops/policy.csv", supervisor, ConsoleFixtures.PASSWORD).status()).isEqualTo(401);
    }

    @Test
    void weakPasswordsAreRefusedForNewUsersAndResets() {
        ConsoleClient admin = admin();
        String name = String.format("clerk%06d", System.nanoTime() % 1_000_000); // always 11 characters: long enough to be judged "like the user name", not "too short"
        for (String weak : List.of("1234567890", "aaaaaaaaaa", name, name + "123", "password123", "P@ssw0rd2024",
                "qwertyuiop", "1q2w3e4r5t", "woaini1314", "abcdefghijk")) {
            Map<String, Object> body = new HashMap<>(Map.of("username", name, "password", weak, "displayName", "文员",
                    "role", "AGENT"));
            ConsoleClient.Answer a = admin.post("/api/users", body);
            assertThat(a.status()).as(weak + " " + a.body()).isEqualTo(422);
            assertThat(a.json().get("problem").asString()).as(weak)
                    .isIn("PASSWORD_TOO_COMMON", "PASSWORD_LIKE_USERNAME", "PASSWORD_TOO_SHORT");
        }
        Map<String, Object> body = new HashMap<>(Map.of("username", name, "password", name,
                "displayName", "文员", "role", "AGENT"));
        assertThat(admin.post("/api/users", body).json().get("problem").asString()).isEqualTo("PASSWORD_LIKE_USERNAME");
        body.put("password", "x".repeat(80) + "-long");
        assertThat(admin.post("/api/users", body).json().get("problem").asString()).isEqualTo("PASSWORD_TOO_LONG");
        body.put("password", "a-long-password");
        assertThat(admin.post("/api/users", body).status()).isEqualTo(200);
        for (String weak : List.of("1234567890", name + name, "aaaaaaaaaa")) {
            ConsoleClient.Answer reset = admin.post("/api/users/" + name + "/password", Map.of("password", weak));
            assertThat(reset.status()).as(weak).isEqualTo(422);
        }
        assertThat(from(address()).loggedIn(name, "a-long-password").get("/api/me").status()).isEqualTo(200);
    }

    @Test
    void theSessionCookieIsSameSiteLaxHttpOnlyAndSecureBehindHttps() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/login"))
                .build(), HttpResponse.BodyHandlers.ofString());
        String cookie = plain.headers().allValues("Set-Cookie").stream().filter(v -> v.startsWith("JSESSIONID="))
                .findFirst().orElseThrow(() -> new AssertionError(plain.headers().map().toString()));
        assertThat(cookie).containsIgnoringCase("SameSite=Lax").containsIgnoringCase("HttpOnly")
                .doesNotContainIgnoringCase("Secure;").doesNotEndWithIgnoringCase("Secure");
        // behind a TLS-terminating proxy on this host (a trusted proxy): Secure
        HttpResponse<String> tls = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/login"))
                .header("X-Forwarded-Proto", "https").header("X-Forwarded-For", address()).build(),
                HttpResponse.BodyHandlers.ofString());
        String secure = tls.headers().allValues("Set-Cookie").stream().filter(v -> v.startsWith("JSESSIONID="))
                .findFirst().orElseThrow(() -> new AssertionError(tls.headers().map().toString()));
        assertThat(secure).containsIgnoringCase("SameSite=Lax").containsIgnoringCase("Secure");
        // and after login (a new session id), the same
        ConsoleClient c = new ConsoleClient(port);
        ConsoleClient.Answer login = c.login(cfx().user(ConsoleRole.AGENT, null), ConsoleFixtures.PASSWORD);
        assertThat(login.headers().allValues("Set-Cookie")).anySatisfy(v -> assertThat(v).startsWith("JSESSIONID=")
                .containsIgnoringCase("SameSite=Lax"));
    }

    @Test
    void healthShowsItsStatusToAnyoneAndItsDetailsToSignedInOperatorsOnly() {
        ConsoleClient anon = new ConsoleClient(port);
        ConsoleClient.Answer open = anon.get("/actuator/health");
        assertThat(open.status()).isIn(200, 503);
        assertThat(open.json().get("status").asString()).isIn("UP", "DOWN");
        assertThat(open.json().has("components")).isFalse();
        assertThat(open.body()).doesNotContain("127.0.0.1").doesNotContain("mariadb").doesNotContain("details");

        ConsoleClient.Answer agent = new ConsoleClient(port).loggedIn(cfx().user(ConsoleRole.AGENT, null),
                ConsoleFixtures.PASSWORD).get("/actuator/health");
        assertThat(agent.json().has("components")).as("an agent is not an operator").isFalse();
        String supervisor = cfx().user(ConsoleRole.SUPERVISOR, null);
        ConsoleClient.Answer signedIn = new ConsoleClient(port).loggedIn(supervisor, ConsoleFixtures.PASSWORD)
                .get("/actuator/health");
        assertThat(signedIn.json().get("components").get("database").get("details")).isNotNull();
        ConsoleClient.Answer basic = new ConsoleClient(port).getBasic("/actuator/health", supervisor,
                ConsoleFixtures.PASSWORD);
        assertThat(basic.json().get("components").get("database").get("status").asString()).isIn("UP", "DOWN");
        assertThat(from(address()).getBasic("/actuator/health", supervisor, "wrong-password-x").status())
                .isEqualTo(401);
        // one component by name is the operators' too
        assertThat(anon.get("/actuator/health/database").status()).isEqualTo(404);
        assertThat(new ConsoleClient(port).getBasic("/actuator/health/database", supervisor, ConsoleFixtures.PASSWORD)
                .status()).isIn(200, 503);
    }
}
