package org.hotline.his.fhir;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.UriComponentsBuilder;

import io.swagger.v3.oas.annotations.Hidden;

import org.hotline.his.HisClient;

/**
 * {@code /fhir/Appointment}: read, search ({@code date}, {@code location}, {@code location:identifier},
 * {@code patient.identifier}, {@code identifier}, {@code status}, {@code _lastUpdated}), and update of the status
 * (cancelled, arrived) by id or conditionally by booking code (docs/his.md).
 */
@RestController
@Hidden
class FhirAppointmentApi {

    /** An entry's answer inside a batch. */
    record Answer(int status, IBaseResource resource) {
    }

    private final AppointmentResources appointments;
    private final Clock clock;

    FhirAppointmentApi(AppointmentResources appointments, Clock clock) {
        this.appointments = appointments;
        this.clock = clock;
    }

    @GetMapping("/fhir/Appointment/{id}")
    ResponseEntity<String> read(@AuthenticationPrincipal HisClient me, @PathVariable String id) {
        return appointments.read(me, FhirParams.id(id, "Appointment")).map(Fhir::ok)
                .orElseGet(() -> Fhir.problem(404, IssueType.NOTFOUND, "Appointment/" + id + " is not known"));
    }

    @GetMapping("/fhir/Appointment")
    ResponseEntity<String> search(@AuthenticationPrincipal HisClient me, @RequestParam Map<String, String> one,
            @RequestParam(name = "date", required = false) List<String> date,
            @RequestParam(name = "_lastUpdated", required = false) List<String> lastUpdated) {
        return Fhir.ok(FhirBundles.searchset(new ArrayList<>(appointments.search(me, params(one, date, lastUpdated)))));
    }

    /** A booking at the window (ONSITE); idempotent by If-None-Exist, X-Request-Id or the HIS's identifier. */
    @org.springframework.web.bind.annotation.PostMapping("/fhir/Appointment")
    ResponseEntity<String> create(@AuthenticationPrincipal HisClient me,
            @org.springframework.web.bind.annotation.RequestHeader(name = "If-None-Exist", required = false) String ifNoneExist,
            @org.springframework.web.bind.annotation.RequestHeader(name = "X-Request-Id", required = false) String requestId,
            @RequestBody(required = false) String body) {
        AppointmentResources.Written w = appointments.create(me, Fhir.parse(Appointment.class, body),
                key(ifNoneExist, requestId));
        ResponseEntity<String> r = Fhir.answer(w.status(), w.appointment());
        return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                .header("Location", "Appointment/" + w.appointment().getIdElement().getIdPart()).body(r.getBody());
    }

    static String key(String ifNoneExist, String requestId) {
        String k = ifNoneExist != null && !ifNoneExist.isBlank() ? "if-none-exist:" + ifNoneExist.trim()
                : requestId != null && !requestId.isBlank() ? "request-id:" + requestId.trim() : null;
        if (k != null && k.length() > 190) {
            throw new FhirProblem(400, IssueType.TOOLONG, "If-None-Exist / X-Request-Id: at most 160 characters");
        }
        return k;
    }

    @PutMapping("/fhir/Appointment/{id}")
    ResponseEntity<String> update(@AuthenticationPrincipal HisClient me, @PathVariable String id,
            @RequestBody(required = false) String body) {
        AppointmentResources.Written w = appointments.update(me, FhirParams.id(id, "Appointment"),
                Fhir.parse(Appointment.class, body));
        return Fhir.answer(w.status(), w.appointment());
    }

    /** Conditional update by booking code: {@code PUT /fhir/Appointment?identifier=<booking-code system>|123456}. */
    @PutMapping("/fhir/Appointment")
    ResponseEntity<String> conditionalUpdate(@AuthenticationPrincipal HisClient me,
            @RequestParam(required = false) String identifier, @RequestBody(required = false) String body) {
        long id = byIdentifier(me, identifier);
        AppointmentResources.Written w = appointments.update(me, id, Fhir.parse(Appointment.class, body));
        return Fhir.answer(w.status(), w.appointment());
    }

    /** An Appointment entry of a batch Bundle: PUT Appointment/{id} or PUT Appointment?identifier=… */
    Answer entry(HisClient me, Bundle.HTTPVerb verb, String url, Resource resource, String ifNoneExist) {
        if (verb == Bundle.HTTPVerb.POST && resource instanceof Appointment a && url.equals("Appointment")) {
            AppointmentResources.Written w = appointments.create(me, a, key(ifNoneExist, null));
            return new Answer(w.status(), w.appointment());
        }
        if (verb != Bundle.HTTPVerb.PUT || !(resource instanceof Appointment a)) {
            throw new FhirProblem(422, IssueType.NOTSUPPORTED, "Appointment entries are PUT with an Appointment");
        }
        long id;
        if (url.startsWith("Appointment/")) {
            id = FhirParams.id(url.substring("Appointment/".length()), "Appointment");
        } else {
            String identifier = UriComponentsBuilder.fromUriString("http://x/" + url).build().getQueryParams()
                    .getFirst("identifier");
            id = byIdentifier(me, identifier == null ? null : java.net.URLDecoder.decode(identifier,
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        AppointmentResources.Written w = appointments.update(me, id, a);
        return new Answer(w.status(), w.appointment());
    }

    private long byIdentifier(HisClient me, String identifier) {
        if (identifier == null || !identifier.startsWith(AppointmentResources.BOOKING_CODE + "|")) {
            throw new FhirProblem(412, IssueType.INVALID, "a conditional update names identifier="
                    + AppointmentResources.BOOKING_CODE + "|<code>");
        }
        return appointments.byCode(me, identifier.substring(identifier.indexOf('|') + 1))
                .orElseThrow(() -> new FhirProblem(404, IssueType.NOTFOUND, "no Appointment with this booking code"));
    }

    private AppointmentResources.Params params(Map<String, String> one, List<String> date, List<String> lastUpdated) {
        for (String k : one.keySet()) {
            if (!List.of("date", "_lastUpdated", "location", "location:identifier", "patient.identifier",
                    "patient:identifier", "identifier", "status", "_format", "_count").contains(k)) {
                throw new FhirProblem(400, IssueType.NOTSUPPORTED, "search parameter " + k + " is not supported");
            }
        }
        String location = one.get("location");
        String locId = one.get("location:identifier");
        String patient = one.getOrDefault("patient.identifier", one.get("patient:identifier"));
        String patientSystem = null;
        String patientValue = null;
        if (patient != null) {
            int bar = patient.indexOf('|');
            patientSystem = bar < 0 ? null : patient.substring(0, bar);
            patientValue = bar < 0 ? patient : patient.substring(bar + 1);
        }
        String code = null;
        String identifier = one.get("identifier");
        if (identifier != null) {
            if (!identifier.startsWith(AppointmentResources.BOOKING_CODE + "|")) {
                throw new FhirProblem(400, IssueType.NOTSUPPORTED, "identifier system must be "
                        + AppointmentResources.BOOKING_CODE);
            }
            code = identifier.substring(identifier.indexOf('|') + 1);
        }
        Appointment.AppointmentStatus status = null;
        if (one.get("status") != null) {
            try {
                status = Appointment.AppointmentStatus.fromCode(one.get("status"));
            } catch (Exception e) {
                throw new FhirProblem(400, IssueType.CODEINVALID, "unknown status " + one.get("status"));
            }
        }
        String facilityCode = null;
        if (locId != null) {
            facilityCode = locId.startsWith(AppointmentResources.FACILITY + "|")
                    ? locId.substring(locId.indexOf('|') + 1) : locId;
        }
        return new AppointmentResources.Params(FhirParams.id(location, "Location"), facilityCode,
                FhirParams.range(date, clock.getZone()), FhirParams.range(lastUpdated, clock.getZone()), patientSystem,
                patientValue, code, status);
    }

    @ExceptionHandler(FhirProblem.class)
    ResponseEntity<String> problem(FhirProblem p) {
        return Fhir.problem(p.status(), p.type(), p.getMessage());
    }
}
