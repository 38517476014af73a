package org.hotline.his.fhir;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Schedule;
import org.hl7.fhir.r4.model.Slot;
import org.hl7.fhir.r4.model.UnsignedIntType;
import org.springframework.stereotype.Component;

import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Facility;
import org.hotline.booking.Pool;
import org.hotline.booking.SlotPublishing;
import org.hotline.booking.SlotPublishing.SlotState;
import org.hotline.his.HisClient;
import org.hotline.release.ReleasePlan;

/**
 * Schedule and Slot (docs/his.md). A {@code Schedule} is one of our services (an outpatient department or a
 * vaccine at a clinic; its id is the service's); a {@code Slot} is one slice of it, its id ours, its identity the
 * schedule and its start. The quota per pool travels in the extension {@value #QUOTA} (one per pool: {@code pool},
 * {@code capacity}, and, in what we send, {@code booked} and {@code held}). Writes go through
 * {@code booking.SlotPublishing}; the release plan of the facility is then brought up to date, so a published
 * slot's phone pools open by the facility's release policy.
 */
@Component
public class SlotResources {

    public static final String QUOTA = Fhir.EXT + "slot-quota";

    /** What a write did: the HTTP status (201, 200) and the slot as it now is. */
    record Written(int status, Slot slot, long facilityId) {
    }

    private final SlotPublishing publishing;
    private final Catalogue catalogue;
    private final ReleasePlan releasePlan;
    private final Clock clock;

    SlotResources(SlotPublishing publishing, Catalogue catalogue, ReleasePlan releasePlan, Clock clock) {
        this.publishing = publishing;
        this.catalogue = catalogue;
        this.releasePlan = releasePlan;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- Schedule

    List<Schedule> schedules(HisClient client) {
        List<Schedule> out = new ArrayList<>();
        for (long f : client.facilityIds().stream().sorted().toList()) {
            Facility facility = catalogue.facility(f).orElse(null);
            if (facility == null) {
                continue;
            }
            for (var kind : org.hotline.booking.ServiceKind.values()) {
                for (BookableService s : catalogue.services(f, kind)) {
                    out.add(schedule(facility, s));
                }
            }
        }
        return out;
    }

    Optional<Schedule> schedule(HisClient client, long serviceId) {
        return catalogue.service(serviceId).filter(s -> client.reaches(s.facilityId()))
                .map(s -> schedule(catalogue.facility(s.facilityId()).orElseThrow(), s));
    }

    private Schedule schedule(Facility f, BookableService s) {
        Schedule sc = new Schedule();
        sc.setId("Schedule/" + s.id());
        sc.setActive(true);
        sc.addIdentifier(new Identifier().setSystem(Fhir.NS + "service").setValue(f.code() + "/" + s.code()));
        sc.addActor(new Reference().setIdentifier(new Identifier().setSystem(Fhir.NS + "facility").setValue(f.code()))
                .setDisplay(f.name()));
        sc.addServiceType(new CodeableConcept().setText(s.name()));
        sc.setComment(s.kind().name() + (s.doctorName() != null ? " " + s.doctorName() : ""));
        return sc;
    }

    // ---------------------------------------------------------------- Slot out

    Optional<Slot> read(HisClient client, long slotId) {
        return publishing.slot(slotId).filter(s -> client.reaches(s.facilityId())).map(this::slot);
    }

    List<Slot> search(HisClient client, Long serviceId, LocalDateTime from, LocalDateTime to) {
        return publishing.slots(client.facilityIds().stream().sorted().toList(), serviceId, from, to).stream()
                .map(this::slot).toList();
    }

    Slot slot(SlotState st) {
        Slot s = new Slot();
        s.setId("Slot/" + st.slotId());
        s.setSchedule(new Reference("Schedule/" + st.serviceId()));
        s.setStartElement(instant(st.startsAt()));
        s.setEndElement(instant(st.endsAt()));
        s.setStatus(st.capacity() == 0 ? Slot.SlotStatus.BUSYUNAVAILABLE
                : st.free() > 0 ? Slot.SlotStatus.FREE : Slot.SlotStatus.BUSY);
        for (var e : st.pools().entrySet()) {
            Extension q = new Extension(QUOTA);
            q.addExtension("pool", new CodeType(e.getKey().name()));
            q.addExtension("capacity", new UnsignedIntType(e.getValue().capacity()));
            q.addExtension("booked", new UnsignedIntType(e.getValue().booked()));
            q.addExtension("held", new UnsignedIntType(e.getValue().held()));
            s.addExtension(q);
        }
        return s;
    }

    // ---------------------------------------------------------------- Slot in

    /**
     * Create or update by the slot's identity (schedule and start); with {@code id} the slot must be that one.
     * {@code status = busy-unavailable} withdraws the slot (every pool to 0), as DELETE does.
     */
    Written write(HisClient client, Slot body, Long id) {
        long serviceId = scheduleOf(client, body);
        if (!body.hasStart() || !body.hasEnd()) {
            throw new FhirProblem(422, IssueType.REQUIRED, "Slot.start and Slot.end are required");
        }
        LocalDateTime start = local(body.getStartElement().getValueAsCalendar().toZonedDateTime());
        LocalDateTime end = local(body.getEndElement().getValueAsCalendar().toZonedDateTime());
        if (id != null) {
            SlotState existing = publishing.slot(id).filter(s -> client.reaches(s.facilityId()))
                    .orElseThrow(() -> new FhirProblem(404, IssueType.NOTFOUND, "Slot/" + id + " is not known"));
            if (existing.serviceId() != serviceId || !existing.startsAt().equals(start)) {
                throw new FhirProblem(409, IssueType.CONFLICT, "Slot/" + id + " is the slot of Schedule/"
                        + existing.serviceId() + " at " + existing.startsAt()
                        + ": a slot's schedule and start do not change (withdraw it and publish a new one)");
            }
        }
        if (body.getStatus() == Slot.SlotStatus.BUSYUNAVAILABLE) {
            SlotState existing = publishing.slotAt(serviceId, start).orElse(null);
            if (existing == null) {
                throw new FhirProblem(404, IssueType.NOTFOUND, "no slot of Schedule/" + serviceId + " at " + start);
            }
            return withdraw(client, existing.slotId());
        }
        Map<Pool, Integer> quota = quota(body);
        return answer(publishing.publish(serviceId, start, end, quota));
    }

    Written withdraw(HisClient client, long slotId) {
        publishing.slot(slotId).filter(s -> client.reaches(s.facilityId()))
                .orElseThrow(() -> new FhirProblem(404, IssueType.NOTFOUND, "Slot/" + slotId + " is not known"));
        return answer(publishing.withdraw(slotId));
    }

    /** Brings the release plan of these facilities up to date after slots were made (their phone pools' openings). */
    void replan(java.util.Collection<Long> facilityIds) {
        for (long f : facilityIds) {
            releasePlan.replan(f);
        }
    }

    private Written answer(SlotPublishing.Outcome out) {
        if (out instanceof SlotPublishing.Outcome.Conflict c) {
            throw new FhirProblem(409, IssueType.CONFLICT, c.why());
        }
        SlotPublishing.Outcome.Done d = (SlotPublishing.Outcome.Done) out;
        return new Written(d.created() ? 201 : 200, slot(d.slot()), d.slot().facilityId());
    }

    /** The service of the Slot's schedule, if it is one of the client's facilities' (else 403/422 saying so). */
    long scheduleOf(HisClient client, Slot body) {
        String ref = body.getSchedule().getReference();
        if (ref == null || !ref.matches("(.*/)?Schedule/\\d{1,18}")) {
            throw new FhirProblem(422, IssueType.REQUIRED, "Slot.schedule must reference Schedule/<id> (GET /fhir/Schedule)");
        }
        long serviceId = Long.parseLong(ref.substring(ref.lastIndexOf('/') + 1));
        BookableService s = catalogue.service(serviceId)
                .orElseThrow(() -> new FhirProblem(422, IssueType.NOTFOUND, ref + " is not known"));
        if (!client.reaches(s.facilityId())) {
            throw new FhirProblem(403, IssueType.FORBIDDEN, ref + " is not a schedule of your facilities");
        }
        return serviceId;
    }

    static Map<Pool, Integer> quota(Slot body) {
        Map<Pool, Integer> quota = new EnumMap<>(Pool.class);
        for (Extension q : body.getExtensionsByUrl(QUOTA)) {
            Extension pool = q.getExtensionByUrl("pool");
            Extension cap = q.getExtensionByUrl("capacity");
            if (pool == null || cap == null || !(cap.getValue() instanceof org.hl7.fhir.r4.model.IntegerType n)) {
                throw new FhirProblem(422, IssueType.INVALID, QUOTA + " needs pool (code) and capacity (unsignedInt)");
            }
            Pool p;
            try {
                p = Pool.valueOf(pool.getValue().primitiveValue());
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new FhirProblem(422, IssueType.CODEINVALID, "pool must be ONSITE, COMMUNITY or PUBLIC");
            }
            if (quota.put(p, n.getValue()) != null) {
                throw new FhirProblem(422, IssueType.INVALID, "pool " + p + " given twice");
            }
        }
        if (quota.isEmpty()) {
            throw new FhirProblem(422, IssueType.REQUIRED, "a Slot carries its quota per pool in " + QUOTA);
        }
        return quota;
    }

    Date date(LocalDateTime t) {
        return Date.from(t.atZone(clock.getZone()).toInstant());
    }

    /** An instant written in our zone ({@code +08:00}), as the HIS next door writes it. */
    org.hl7.fhir.r4.model.InstantType instant(LocalDateTime t) {
        return new org.hl7.fhir.r4.model.InstantType(date(t), ca.uhn.fhir.model.api.TemporalPrecisionEnum.SECOND,
                java.util.TimeZone.getTimeZone(clock.getZone()));
    }

    LocalDateTime local(ZonedDateTime t) {
        return t.withZoneSameInstant(clock.getZone()).toLocalDateTime();
    }
}
