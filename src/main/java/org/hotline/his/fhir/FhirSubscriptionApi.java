package org.hotline.his.fhir;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Hidden;

import org.hotline.his.HisClient;
import org.hotline.his.HisSubscriptions;

/**
 * {@code /fhir/Subscription} (R4, channel {@code rest-hook}): a hospital system registers where its Appointments'
 * changes go, reads, changes ({@code status: off} stops it) and deletes its own (docs/his.md). What it may ask:
 * criteria {@code Appointment} with {@code location=Location/<one of its facilities>} and {@code status=<codes>};
 * an endpoint on a host its admin allowed ({@code endpointHosts}); payload {@code application/fhir+json} (PUT
 * {@code <endpoint>/Appointment/<id>}) or none (an empty POST); headers of its own (an {@code Authorization} its
 * receiver checks, say), never the HTTP client's, the body's type or our signature. Another system's Subscription
 * is 404.
 */
@RestController
@Hidden
class FhirSubscriptionApi {

    static final String FHIR_JSON = "application/fhir+json";
    static final int MAX_HEADERS = 10;

    private final HisSubscriptions subscriptions;
    private final Clock clock;

    FhirSubscriptionApi(HisSubscriptions subscriptions, Clock clock) {
        this.subscriptions = subscriptions;
        this.clock = clock;
    }

    @PostMapping("/fhir/Subscription")
    ResponseEntity<String> create(@AuthenticationPrincipal HisClient me, @RequestBody(required = false) String body) {
        HisSubscriptions.Subscription s = subscriptions.create(me, spec(me, Fhir.parse(Subscription.class, body)));
        ResponseEntity<String> r = Fhir.answer(201, resource(s));
        return ResponseEntity.status(201).headers(r.getHeaders()).header("Location", "Subscription/" + s.id())
                .body(r.getBody());
    }

    @GetMapping("/fhir/Subscription/{id}")
    ResponseEntity<String> read(@AuthenticationPrincipal HisClient me, @PathVariable String id) {
        return subscriptions.find(me, FhirParams.id(id, "Subscription")).map(s -> Fhir.ok(resource(s)))
                .orElseGet(() -> notFound(id));
    }

    @GetMapping("/fhir/Subscription")
    ResponseEntity<String> search(@AuthenticationPrincipal HisClient me, @RequestParam Map<String, String> params) {
        for (String k : params.keySet()) {
            if (!List.of("status", "_format").contains(k)) {
                throw new FhirProblem(400, IssueType.NOTSUPPORTED, "search parameter " + k + " is not supported");
            }
        }
        String status = params.get("status");
        return Fhir.ok(FhirBundles.searchset(subscriptions.all(me).stream()
                .filter(s -> status == null || status.equals(s.spec().status())).map(this::resource).toList()));
    }

    /** Replaces it (a new version): {@code status: off} stops the pushes, {@code active} starts them again. */
    @PutMapping("/fhir/Subscription/{id}")
    ResponseEntity<String> update(@AuthenticationPrincipal HisClient me, @PathVariable String id,
            @RequestBody(required = false) String body) {
        long sid = FhirParams.id(id, "Subscription");
        Subscription in = Fhir.parse(Subscription.class, body);
        if (in.getIdElement().hasIdPart() && !in.getIdElement().getIdPart().equals(Long.toString(sid))) {
            throw new FhirProblem(400, IssueType.INVALID, "the body's id is not Subscription/" + sid);
        }
        if (subscriptions.find(me, sid).isEmpty()) {
            return notFound(id);
        }
        return subscriptions.update(me, sid, spec(me, in)).map(s -> Fhir.ok(resource(s)))
                .orElseGet(() -> notFound(id));
    }

    /** Deletes it; the pushes still waiting for it are dropped. */
    @DeleteMapping("/fhir/Subscription/{id}")
    ResponseEntity<String> delete(@AuthenticationPrincipal HisClient me, @PathVariable String id) {
        if (!subscriptions.delete(me, FhirParams.id(id, "Subscription"))) {
            return notFound(id);
        }
        return Fhir.answer(200, Fhir.outcome(OperationOutcome.IssueSeverity.INFORMATION,
                IssueType.INFORMATIONAL, "Subscription/" + id + " deleted"));
    }

    private static ResponseEntity<String> notFound(String id) {
        return Fhir.problem(404, IssueType.NOTFOUND, "Subscription/" + id + " is not known");
    }

    /** What the client asked for, checked: anything we would not do as written is refused, saying why. */
    HisSubscriptions.Spec spec(HisClient me, Subscription in) {
        String status = switch (in.getStatus() == null ? "" : in.getStatus().toCode()) {
            case "requested", "active" -> "active"; // no handshake: it is active at once
            case "off" -> "off";
            default -> throw new FhirProblem(422, IssueType.VALUE, "Subscription.status is requested, active or off");
        };
        if (!in.hasReason() || in.getReason().isBlank() || in.getReason().length() > 200) {
            throw new FhirProblem(422, IssueType.REQUIRED, "Subscription.reason is required (at most 200 characters)");
        }
        String criteria = in.getCriteria();
        if (criteria == null || criteria.length() > 500 || !criteria.matches("Appointment(\\?.*)?")) {
            throw new FhirProblem(422, IssueType.NOTSUPPORTED, "Subscription.criteria must be Appointment or "
                    + "Appointment?location=Location/<id>&status=<codes>");
        }
        Long facility = null;
        List<String> statuses = null;
        int q = criteria.indexOf('?');
        if (q > 0 && q < criteria.length() - 1) {
            for (String pair : criteria.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                switch (name) {
                    case "location" -> {
                        facility = FhirParams.id(value, "Location");
                        if (facility == null || !me.reaches(facility)) {
                            throw new FhirProblem(403, IssueType.FORBIDDEN, "criteria location " + value
                                    + " is not one of your facilities");
                        }
                    }
                    case "status" -> {
                        statuses = new ArrayList<>();
                        for (String code : value.split(",")) {
                            try {
                                statuses.add(Appointment.AppointmentStatus.fromCode(code.trim()).toCode());
                            } catch (Exception e) {
                                throw new FhirProblem(422, IssueType.CODEINVALID, "criteria status " + code
                                        + " is not an Appointment status");
                            }
                        }
                    }
                    default -> throw new FhirProblem(422, IssueType.NOTSUPPORTED, "criteria parameter " + name
                            + " is not supported (location, status)");
                }
            }
        }
        Subscription.SubscriptionChannelComponent ch = in.getChannel();
        if (ch.getType() != Subscription.SubscriptionChannelType.RESTHOOK) {
            throw new FhirProblem(422, IssueType.NOTSUPPORTED, "Subscription.channel.type must be rest-hook");
        }
        String endpoint = ch.getEndpoint();
        URI uri;
        try {
            uri = endpoint == null ? null : new URI(endpoint);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || endpoint.length() > 500 || uri.getHost() == null || uri.getRawUserInfo() != null
                || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw new FhirProblem(422, IssueType.VALUE, "Subscription.channel.endpoint must be an http(s) URL"
                    + " without user, query or fragment");
        }
        if (!me.endpointHosts().contains(uri.getHost().toLowerCase(Locale.ROOT))) {
            throw new FhirProblem(403, IssueType.FORBIDDEN, "endpoint host " + uri.getHost() + " is not one your"
                    + " admin allowed for this system (endpointHosts)");
        }
        String payload = ch.hasPayload() ? ch.getPayload().trim() : null;
        if (payload != null && !payload.startsWith(FHIR_JSON) && !payload.startsWith("application/json")) {
            throw new FhirProblem(422, IssueType.NOTSUPPORTED, "Subscription.channel.payload must be " + FHIR_JSON
                    + " or absent");
        }
        List<String> headers = new ArrayList<>();
        for (StringType h : ch.getHeader()) {
            String v = h.getValue() == null ? "" : h.getValue();
            int colon = v.indexOf(':');
            String name = colon <= 0 ? "" : v.substring(0, colon).trim();
            if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}") || v.length() > 500 || v.contains("\r")
                    || v.contains("\n")) {
                throw new FhirProblem(422, IssueType.VALUE, "Subscription.channel.header must be 'Name: value'");
            }
            if (AppointmentPush.RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new FhirProblem(422, IssueType.BUSINESSRULE, "Subscription.channel.header may not set " + name);
            }
            headers.add(name + ": " + v.substring(colon + 1).trim());
        }
        if (headers.size() > MAX_HEADERS) {
            throw new FhirProblem(422, IssueType.TOOLONG, "at most " + MAX_HEADERS + " channel headers");
        }
        LocalDateTime end = in.hasEnd() ? LocalDateTime.ofInstant(in.getEnd().toInstant(), clock.getZone()) : null;
        return new HisSubscriptions.Spec(status, in.getReason().trim(), criteria, facility, statuses, endpoint,
                payload == null ? null : FHIR_JSON, headers, end);
    }

    Subscription resource(HisSubscriptions.Subscription s) {
        Subscription r = new Subscription();
        r.setId("Subscription/" + s.id());
        r.getMeta().setVersionId(Integer.toString(s.version()))
                .setLastUpdated(Date.from(s.updatedAt().atZone(clock.getZone()).toInstant()));
        r.setStatus(Subscription.SubscriptionStatus.fromCode(s.spec().status()));
        r.setReason(s.spec().reason());
        r.setCriteria(s.spec().criteria());
        if (s.lastError() != null) {
            r.setError(s.lastError());
        }
        if (s.spec().endAt() != null) {
            r.setEnd(Date.from(s.spec().endAt().atZone(clock.getZone()).toInstant()));
        }
        Subscription.SubscriptionChannelComponent ch = r.getChannel();
        ch.setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(s.spec().endpoint());
        if (s.spec().payload() != null) {
            ch.setPayload(s.spec().payload());
        }
        s.spec().headers().forEach(ch::addHeader);
        return r;
    }

    @ExceptionHandler(FhirProblem.class)
    ResponseEntity<String> problem(FhirProblem p) {
        return Fhir.problem(p.status(), p.type(), p.getMessage());
    }
}
