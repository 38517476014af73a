package org.hotline.his.fhir;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Slot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

/**
 * {@code /fhir/Schedule} and {@code /fhir/Slot} over HTTP, and {@code POST /fhir} with a {@code batch} Bundle (a week
 * of slots in one request, each entry done or refused on its own). Every answer is FHIR JSON; every refusal an
 * OperationOutcome that says why (docs/his.md).
 */
@RestController
@Hidden
class FhirSlotApi {

    private static final Logger log = LoggerFactory.getLogger(FhirSlotApi.class);

    private final SlotResources slots;
    private final Clock clock;
    private final FhirAppointmentApi appointments;

    FhirSlotApi(SlotResources slots, Clock clock, FhirAppointmentApi appointments) {
        this.slots = slots;
        this.clock = clock;
        this.appointments = appointments;
    }

    @GetMapping("/fhir/Schedule")
    ResponseEntity<String> schedules(@AuthenticationPrincipal HisClient me) {
        return Fhir.ok(FhirBundles.searchset(new ArrayList<>(slots.schedules(me))));
    }

    @GetMapping("/fhir/Schedule/{id}")
    ResponseEntity<String> schedule(@AuthenticationPrincipal HisClient me, @PathVariable String id) {
        return slots.schedule(me, FhirParams.id(id, "Schedule")).map(Fhir::ok)
                .orElseGet(() -> Fhir.problem(404, IssueType.NOTFOUND, "Schedule/" + id + " is not known"));
    }

    @GetMapping("/fhir/Slot/{id}")
    ResponseEntity<String> slot(@AuthenticationPrincipal HisClient me, @PathVariable String id) {
        return slots.read(me, FhirParams.id(id, "Slot")).map(Fhir::ok)
                .orElseGet(() -> Fhir.problem(404, IssueType.NOTFOUND, "Slot/" + id + " is not known"));
    }

    @GetMapping("/fhir/Slot")
    ResponseEntity<String> searchSlots(@AuthenticationPrincipal HisClient me,
            @RequestParam(required = false) String schedule, @RequestParam(required = false) List<String> start) {
        FhirParams.Range r = FhirParams.range(start, clock.getZone());
        return Fhir.ok(FhirBundles.searchset(new ArrayList<>(slots.search(me, FhirParams.id(schedule, "Schedule"),
                r.from(), r.to()))));
    }

    /** Create: a slot with the same schedule and start is the same slot (updated, 200), so a retry makes one. */
    @PostMapping("/fhir/Slot")
    ResponseEntity<String> create(@AuthenticationPrincipal HisClient me, @RequestBody(required = false) String body) {
        SlotResources.Written w = slots.write(me, Fhir.parse(Slot.class, body), null);
        slots.replan(Set.of(w.facilityId()));
        return created(w);
    }

    @PutMapping("/fhir/Slot/{id}")
    ResponseEntity<String> update(@AuthenticationPrincipal HisClient me, @PathVariable String id,
            @RequestBody(required = false) String body) {
        SlotResources.Written w = slots.write(me, Fhir.parse(Slot.class, body), FhirParams.id(id, "Slot"));
        slots.replan(Set.of(w.facilityId()));
        return created(w);
    }

    /** Conditional update {@code PUT /fhir/Slot?schedule=…&start=…}: the same as POST (identity: schedule, start). */
    @PutMapping("/fhir/Slot")
    ResponseEntity<String> conditionalUpdate(@AuthenticationPrincipal HisClient me,
            @RequestBody(required = false) String body) {
        return create(me, body);
    }

    @DeleteMapping("/fhir/Slot/{id}")
    ResponseEntity<String> withdraw(@AuthenticationPrincipal HisClient me, @PathVariable String id) {
        return Fhir.ok(slots.withdraw(me, FhirParams.id(id, "Slot")).slot());
    }

    /**
     * A {@code batch} Bundle of Slot writes (POST Slot, PUT Slot/{id}, PUT Slot?…, DELETE Slot/{id}) and Appointment
     * writes: each entry is done or refused by itself; the answer is a {@code batch-response} with each entry's
     * status and, for a refusal, its OperationOutcome. A {@code transaction} is refused: we do not make a week
     * all-or-nothing (a booked slice must not block the free ones).
     */
    @PostMapping("/fhir")
    ResponseEntity<String> batch(@AuthenticationPrincipal HisClient me, @RequestBody(required = false) String body) {
        Bundle in = Fhir.parse(Bundle.class, body);
        if (in.getType() != Bundle.BundleType.BATCH) {
            throw new FhirProblem(422, IssueType.NOTSUPPORTED, "send a Bundle of type batch (a transaction is not"
                    + " supported: each slot is done or refused on its own)");
        }
        if (in.getEntry().size() > 2000) {
            throw new FhirProblem(413, IssueType.TOOCOSTLY, "at most 2000 entries per batch");
        }
        Bundle out = new Bundle().setType(Bundle.BundleType.BATCHRESPONSE);
        Set<Long> facilities = new LinkedHashSet<>();
        int refused = 0;
        for (Bundle.BundleEntryComponent e : in.getEntry()) {
            Bundle.BundleEntryResponseComponent res = out.addEntry().getResponse();
            try {
                Bundle.HTTPVerb verb = e.getRequest().getMethod();
                String url = e.getRequest().getUrl() == null ? "" : e.getRequest().getUrl();
                String path = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
                IBaseResource result;
                int status;
                if (path.startsWith("Slot")) {
                    SlotResources.Written w;
                    if (verb == Bundle.HTTPVerb.DELETE) {
                        w = slots.withdraw(me, FhirParams.id(path, "Slot"));
                    } else if (verb == Bundle.HTTPVerb.POST || verb == Bundle.HTTPVerb.PUT) {
                        if (!(e.getResource() instanceof Slot s)) {
                            throw new FhirProblem(422, IssueType.REQUIRED, "a Slot entry carries a Slot");
                        }
                        w = slots.write(me, s, path.startsWith("Slot/") ? FhirParams.id(path, "Slot") : null);
                    } else {
                        throw new FhirProblem(422, IssueType.NOTSUPPORTED, verb + " " + url + " is not supported in a batch");
                    }
                    facilities.add(w.facilityId());
                    result = w.slot();
                    status = w.status();
                } else if (path.startsWith("Appointment")) {
                    FhirAppointmentApi.Answer a = appointments.entry(me, verb, url, e.getResource(),
                            e.getRequest().getIfNoneExist());
                    result = a.resource();
                    status = a.status();
                } else {
                    throw new FhirProblem(422, IssueType.NOTSUPPORTED, "entry " + url + ": only Slot and Appointment");
                }
                res.setStatus(status + (status == 201 ? " Created" : " OK"));
                if (result instanceof Resource r) {
                    res.setLocation(r.getIdElement().getResourceType() + "/" + r.getIdElement().getIdPart());
                    e.setResource(null);
                    out.getEntry().get(out.getEntry().size() - 1).setResource(r);
                }
            } catch (FhirProblem p) {
                refused++;
                res.setStatus(p.status() + " " + reason(p.status()));
                res.setOutcome(Fhir.outcome(OperationOutcome.IssueSeverity.ERROR, p.type(), p.getMessage()));
            }
        }
        slots.replan(facilities);
        log.info("HIS client {}: batch of {} entries, {} refused", me.id(), in.getEntry().size(), refused);
        return Fhir.ok(out);
    }

    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 409 -> "Conflict";
            case 412 -> "Precondition Failed";
            case 422 -> "Unprocessable Entity";
            default -> "Error";
        };
    }

    private static ResponseEntity<String> created(SlotResources.Written w) {
        ResponseEntity<String> r = Fhir.answer(w.status(), w.slot());
        return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                .header("Location", "Slot/" + w.slot().getIdElement().getIdPart()).body(r.getBody());
    }

    @ExceptionHandler(FhirProblem.class)
    ResponseEntity<String> problem(FhirProblem p) {
        return Fhir.problem(p.status(), p.type(), p.getMessage());
    }

    static Map<String, String> none() {
        return Map.of();
    }
}
