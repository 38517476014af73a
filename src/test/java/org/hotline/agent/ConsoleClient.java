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

import org.springframework.http.HttpMethod;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A browser-like HTTP client for the console: session cookie, form login, CSRF header from the page. Over real HTTP
 * ({@link #ConsoleClient(int)}, a {@code @ConsoleTest}'s server), or through the same filters and controllers in the
 * shared test context without a server ({@link #over}, MockMvc with the security filter chain; one session kept
 * across requests, as the cookie would).
 */
public class ConsoleClient {

    private static final Pattern HIDDEN_CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private static final Pattern META_CSRF = Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"");
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final String base;
    private final HttpClient http;
    private final MockMvc mvc;
    private MockHttpSession session;
    private String remoteAddress = "127.0.0.1";
    private String csrf;
    private final java.util.Map<String, String> extraHeaders = new java.util.LinkedHashMap<>();

    public ConsoleClient(int port) {
        this.base = "http://127.0.0.1:" + port;
        this.http = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        this.mvc = null;
    }

    private ConsoleClient(MockMvc mvc) {
        this.base = "";
        this.http = null;
        this.mvc = mvc;
        this.session = new MockHttpSession();
    }

    /** The console in the shared test context (no HTTP server): MockMvc through the security filter chain. */
    public static ConsoleClient over(WebApplicationContext web) {
        return new ConsoleClient(MockMvcBuilders.webAppContextSetup(web)
                .addFilters(web.getBean("springSecurityFilterChain", jakarta.servlet.Filter.class)).build());
    }

    /** Over MockMvc only: the client's address as the server sees it (e.g. not one of the Asterisk servers). */
    public ConsoleClient from(String address) {
        this.remoteAddress = address;
        return this;
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
        Answer posted = send("POST", "/login", java.util.Map.of("Content-Type", "application/x-www-form-urlencoded"),
                form.getBytes(StandardCharsets.UTF_8));
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
        return send("GET", path, java.util.Map.of("Authorization", "Basic " + basic), null);
    }

    public Answer get(String path) {
        // the console's script asks /api for JSON; pages and scrapers accept anything, as a browser does
        String accept = path.startsWith("/api/") && !path.endsWith(".yaml") ? "application/json"
                : "text/html,application/xhtml+xml,*/*;q=0.8";
        return send("GET", path, java.util.Map.of("Accept", accept), null);
    }

    /** A JSON POST with the CSRF header (as the console's script sends it). */
    public Answer post(String path, Object body) {
        return post(path, body, true);
    }

    /** A POST of this text as JSON, as is (malformed bodies), with the CSRF header. */
    public Answer postRaw(String path, String json) {
        return send("POST", path, headers("application/json", true), json.getBytes(StandardCharsets.UTF_8));
    }

    /** A POST of raw bytes with this content type (CSV, audio uploads), with the CSRF header. */
    public Answer postBody(String path, String contentType, byte[] body) {
        return send("POST", path, headers(contentType, true), body);
    }

    public Answer post(String path, Object body, boolean withCsrf) {
        return send("POST", path, headers("application/json", withCsrf),
                (body == null ? "" : JSON.writeValueAsString(body)).getBytes(StandardCharsets.UTF_8));
    }

    private java.util.Map<String, String> headers(String contentType, boolean withCsrf) {
        java.util.Map<String, String> h = new java.util.LinkedHashMap<>();
        h.put("Content-Type", contentType);
        h.put("Accept", "application/json");
        if (withCsrf && csrf != null) {
            h.put("X-CSRF-TOKEN", csrf);
        }
        return h;
    }

    private Answer send(String method, String path, java.util.Map<String, String> headers, byte[] body) {
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>(headers);
        all.putAll(extraHeaders);
        if (mvc != null) {
            return sendMock(method, path, all, body);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        all.forEach(b::header);
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Location").orElse(null), r.headers());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Answer sendMock(String method, String path, java.util.Map<String, String> headers, byte[] body) {
        MockHttpServletRequestBuilder b = MockMvcRequestBuilders.request(HttpMethod.valueOf(method), URI.create(path))
                .session(session).with(r -> {
                    r.setRemoteAddr(remoteAddress);
                    return r;
                });
        headers.forEach((k, v) -> {
            if (k.equalsIgnoreCase("Content-Type")) {
                b.contentType(v);
            } else {
                b.header(k, v);
            }
        });
        if (body != null) {
            b.content(body);
        }
        try {
            MvcResult result = mvc.perform(b).andReturn();
            jakarta.servlet.http.HttpSession now = result.getRequest().getSession(false);
            if (now instanceof MockHttpSession m && !m.isInvalid()) {
                session = m;
            } else if (now == null || (now instanceof MockHttpSession m2 && m2.isInvalid())) {
                session = new MockHttpSession();
            }
            MockHttpServletResponse r = result.getResponse();
            java.util.Map<String, java.util.List<String>> h = new java.util.LinkedHashMap<>();
            for (String name : r.getHeaderNames()) {
                h.put(name, r.getHeaders(name));
            }
            if (r.getContentType() != null) {
                h.putIfAbsent("Content-Type", java.util.List.of(r.getContentType()));
            }
            return new Answer(r.getStatus(), r.getContentAsString(StandardCharsets.UTF_8), r.getHeader("Location"),
                    java.net.http.HttpHeaders.of(h, (x, y) -> true));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
