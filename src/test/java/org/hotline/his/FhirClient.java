package org.hotline.his;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.client.api.IClientInterceptor;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.IHttpRequest;
import ca.uhn.fhir.rest.client.api.IHttpResponse;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;

import org.hotline.his.fhir.Fhir;

/**
 * A hospital system's FHIR client for the tests: HAPI's own generic client ({@link IGenericClient}, hapi-fhir-client)
 * with a bearer token, as a HIS built on HAPI talks to us. Each call answers the HTTP status, body and headers the
 * client got (an error is HAPI's exception, whose response is kept here too), and every FHIR body the gateway
 * answered is kept in {@link #SEEN}, so a test can validate everything the gateway emitted.
 */
public class FhirClient {

    /** The client side's own context (as a HIS has its own): it never asks for /metadata before a call. */
    static final FhirContext CTX = FhirContext.forR4();

    static {
        CTX.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
        CTX.getRestfulClientFactory().setSocketTimeout(30_000);
        CTX.getRestfulClientFactory().setPoolMaxPerRoute(32);
        CTX.getRestfulClientFactory().setPoolMaxTotal(64);
    }

    public record Answer(int status, String body, Map<String, List<String>> headers) {

        public <T extends IBaseResource> T as(Class<T> type) {
            return Fhir.CTX.newJsonParser().parseResource(type, body);
        }

        public String issue() {
            return as(OperationOutcome.class).getIssueFirstRep().getDiagnostics();
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    /** Every FHIR body the gateway answered with (for validation). */
    public static final List<String> SEEN = java.util.Collections.synchronizedList(new ArrayList<>());
    /** The last response this thread's client got. */
    private static final ThreadLocal<Answer> LAST = new ThreadLocal<>();

    private final IGenericClient client;

    public FhirClient(int port, String token) {
        client = CTX.newRestfulGenericClient("http://127.0.0.1:" + port + "/fhir");
        client.setEncoding(EncodingEnum.JSON);
        if (token != null) {
            client.registerInterceptor(new BearerTokenAuthInterceptor(token));
        }
        client.registerInterceptor(new IClientInterceptor() {
            @Override
            public void interceptRequest(IHttpRequest request) {
            }

            @Override
            public void interceptResponse(IHttpResponse response) throws IOException {
                response.bufferEntity();
                String body;
                try (InputStream in = response.readEntity()) {
                    body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                LAST.set(new Answer(response.getStatus(), body, response.getAllHeaders()));
                String type = response.getMimeType();
                if (type != null && type.startsWith("application/fhir+json") && !body.isEmpty()) {
                    SEEN.add(body);
                }
            }
        });
    }

    /** HAPI's client itself, for a call this helper does not spell. */
    public IGenericClient hapi() {
        return client;
    }

    /** Runs one call of HAPI's client and answers what came back (also when HAPI threw for an error status). */
    public Answer call(Function<IGenericClient, ?> call) {
        LAST.remove();
        try {
            call.apply(client);
        } catch (BaseServerResponseException e) {
            if (LAST.get() == null) {
                return new Answer(e.getStatusCode(), e.getResponseBody(), Map.of());
            }
        }
        Answer a = LAST.get();
        if (a == null) {
            throw new IllegalStateException("no response");
        }
        return a;
    }

    /** {@code /metadata}, {@code /Type/id} (read), else a search by URL. */
    public Answer get(String path) {
        String p = path.substring(1);
        if (p.equals("metadata")) {
            return call(c -> c.capabilities().ofType(CapabilityStatement.class).execute());
        }
        if (p.matches("[A-Za-z]+/[^/?]+")) {
            String[] tp = p.split("/");
            return call(c -> c.read().resource(tp[0]).withId(tp[1]).execute());
        }
        return call(c -> c.search().byUrl(p).returnBundle(Bundle.class).execute());
    }

    /** {@code ""} with a Bundle: a batch (HAPI's transaction call posts it to the base); else a create. */
    public Answer post(String path, Resource r) {
        if (path.isEmpty() && r instanceof Bundle b) {
            return call(c -> c.transaction().withBundle(b).execute());
        }
        return call(c -> c.create().resource(r).execute());
    }

    /** A conditional create: HAPI sends {@code If-None-Exist} with the query of {@code url}. */
    public Answer createIfNoneExist(Resource r, String url) {
        return call(c -> c.create().resource(r).conditionalByUrl(url).execute());
    }

    /** A create carrying {@code X-Request-Id}. */
    public Answer createWithRequestId(Resource r, String requestId) {
        return call(c -> c.create().resource(r).withAdditionalHeader("X-Request-Id", requestId).execute());
    }

    /** {@code /Type/id}: an update; {@code /Type?query}: a conditional update. */
    public Answer put(String path, Resource r) {
        String p = path.substring(1);
        if (p.contains("?")) {
            return call(c -> c.update().resource(r).conditionalByUrl(p).execute());
        }
        String[] tp = p.split("/");
        return call(c -> c.update().resource(r).withId(new IdType(tp[0], tp[1])).execute());
    }

    public Answer delete(String path) {
        String[] tp = path.substring(1).split("/");
        return call(c -> c.delete().resourceById(tp[0], tp[1]).execute());
    }
}
