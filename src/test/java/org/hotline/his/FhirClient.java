package org.hotline.his;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

import org.hotline.his.fhir.Fhir;

/**
 * A hospital system's FHIR client for the tests: HTTP with a bearer token, bodies written and read by HAPI's own R4
 * parser (HAPI's generic client, hapi-fhir-client, is not served by the registry this project builds from). Every
 * resource it reads is kept in {@link #seen}, so a test can validate everything the gateway emitted.
 */
public class FhirClient {

    public record Answer(int status, String body, java.net.http.HttpHeaders headers) {

        public <T extends IBaseResource> T as(Class<T> type) {
            return Fhir.CTX.newJsonParser().parseResource(type, body);
        }

        public String issue() {
            return as(OperationOutcome.class).getIssueFirstRep().getDiagnostics();
        }
    }

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Every FHIR body the gateway answered with (for validation). */
    public static final List<String> SEEN = java.util.Collections.synchronizedList(new ArrayList<>());

    public FhirClient(int port, String token) {
        this.base = "http://127.0.0.1:" + port + "/fhir";
        this.token = token;
    }

    public Answer get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), b -> { });
    }

    public Answer post(String path, Resource r) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).POST(body(r)), b -> { });
    }

    public Answer put(String path, Resource r) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).PUT(body(r)), b -> { });
    }

    public Answer delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE(), b -> { });
    }

    public Answer send(HttpRequest.Builder b, Consumer<HttpRequest.Builder> more) {
        b.header("Accept", "application/fhir+json").header("Content-Type", "application/fhir+json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        more.accept(b);
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/fhir+json")) {
                SEEN.add(r.body());
            }
            return new Answer(r.statusCode(), r.body(), r.headers());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest.BodyPublisher body(Resource r) {
        return HttpRequest.BodyPublishers.ofString(Fhir.json().encodeResourceToString(r), StandardCharsets.UTF_8);
    }
}
