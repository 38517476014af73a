package org.hotline.ops.report;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;

/** The reports are for supervisors: a supervisor of the console's own user store, logged in by its form. */
final class SupervisorLogin {

    static final String PASSWORD = "supervisor-test-password";
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private SupervisorLogin() {
    }

    /** A new console user with the given role; returns the user name. */
    static String user(ConsoleUsers users, ConsoleRole role) {
        String name = "ops-" + role.name().toLowerCase().replace('_', '-') + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        users.create(null, name, PASSWORD, "报表测试", role, null).ifPresent(p -> {
            throw new IllegalStateException(p.toString());
        });
        return name;
    }

    /** An HTTP client with a session of the given user (form login with its CSRF token, as a browser does). */
    static HttpClient client(int port, String user) throws Exception {
        HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://127.0.0.1:" + port;
        String page = http.send(HttpRequest.newBuilder(URI.create(base + "/login")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = CSRF.matcher(page);
        if (!m.find()) {
            throw new AssertionError("login page has no CSRF field");
        }
        String form = "username=" + enc(user) + "&password=" + enc(PASSWORD) + "&_csrf=" + enc(m.group(1));
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        String to = posted.headers().firstValue("Location").orElse("");
        if (to.contains("error")) {
            throw new AssertionError("login as " + user + " failed: " + posted.statusCode() + " " + to);
        }
        return http;
    }

    /** Logs the browser in through the login form. */
    static void browser(WebDriver browser, int port, String user) {
        browser.get("http://127.0.0.1:" + port + "/login");
        browser.findElement(By.id("username")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(PASSWORD);
        browser.findElement(By.id("login-submit")).click();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
