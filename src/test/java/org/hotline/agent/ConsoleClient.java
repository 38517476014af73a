package org.hotline.agent;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A browser-like HTTP client for the console: session cookie, form login, CSRF header from the page. */
public class ConsoleClient {

    private static final Pattern HIDDEN_CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private static final Pattern META_CSRF = Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"");
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final String base;
    private final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager())
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    private String csrf;
    private final java.util.Map<String, String> extraHeaders = new java.util.LinkedHashMap<>();

    public ConsoleClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /**
     * Sends this header with every request, e.g. {@code X-Forwarded-For} as a reverse proxy on this host would
     * (the loopback is a trusted proxy by default), to be another client address.
     */
    public ConsoleClient header(String name, String value) {
        extraHeaders.put(name, value);
        return this;
    }

    public record Answer(int status, String body, String location, java.net.http.HttpHeaders headers) {
        public Answer(int status, String body, String location) {
            this(status, body, location, java.net.http.HttpHeaders.of(java.util.Map.of(), (a, b) -> true));
        }

        public JsonNode json() {
            return JSON.readTree(body);
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    /** Logs in through the form, as a browser does; returns the status of the form post (302 either way). */
    public Answer login(String username, String password) {
        Answer page = get("/login");
        Matcher m = HIDDEN_CSRF.matcher(page.body());
        if (!m.find()) {
            throw new AssertionError("login page has no CSRF field: " + page.body());
        }
        String form = "username=" + enc(username) + "&password=" + enc(password) + "&_csrf=" + enc(m.group(1));
        Answer posted = send(HttpRequest.newBuilder(URI.create(base + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
        if (posted.location() != null && posted.location().endsWith("/console")) {
            Matcher meta = META_CSRF.matcher(get("/console").body());
            csrf = meta.find() ? meta.group(1) : null;
        }
        return posted;
    }

    public ConsoleClient loggedIn(String username, String password) {
        Answer a = login(username, password);
        if (csrf == null) {
            throw new AssertionError("login as " + username + " failed: " + a.status() + " " + a.location());
        }
        return this;
    }

    /** A GET with HTTP Basic credentials (as a script fetching a report or health does), no session needed. */
    public Answer getBasic(String path, String username, String password) {
        String basic = java.util.Base64.getEncoder().encodeToString((username + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Basic " + basic).GET());
    }

    public Answer get(String path) {
        // the console's script asks /api for JSON; pages and scrapers accept anything, as a browser does
        String accept = path.startsWith("/api/") && !path.endsWith(".yaml") ? "application/json"
                : "text/html,application/xhtml+xml,*/*;q=0.8";
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Accept", accept).GET());
    }

    /** A JSON POST with the CSRF header (as the console's script sends it). */
    public Answer post(String path, Object body) {
        return post(path, body, true);
    }

    /** A POST of this text as JSON, as is (malformed bodies), with the CSRF header. */
    public Answer postRaw(String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (csrf != null) {
            b.header("X-CSRF-TOKEN", csrf);
        }
        return send(b);
    }

    /** A POST of raw bytes with this content type (CSV, audio uploads), with the CSRF header. */
    public Answer postBody(String path, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", contentType)
                .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (csrf != null) {
            b.header("X-CSRF-TOKEN", csrf);
        }
        return send(b);
    }

    public Answer post(String path, Object body, boolean withCsrf) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : JSON.writeValueAsString(body)));
        if (withCsrf && csrf != null) {
            b.header("X-CSRF-TOKEN", csrf);
        }
        return send(b);
    }

    private Answer send(HttpRequest.Builder b) {
        extraHeaders.forEach(b::header);
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Location").orElse(null), r.headers());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
