package org.hotline.his.fhir;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.Pool;
import org.hotline.booking.SlotPublishing;
import org.hotline.his.HisRequests;
import org.hotline.booking.BookingEvents;
import org.hotline.booking.BookingSearch;
import org.hotline.booking.BookingService;
import org.hotline.booking.CancelOutcome;
import org.hotline.booking.Channel;
import org.hotline.booking.CheckInOutcome;
import org.hotline.his.AppointmentFeed;
import org.hotline.his.HisClient;

/**
 * Appointment (docs/his.md): every booking of a client's facilities, on any channel, read and searched; cancelled
 * ({@code status = cancelled}) or checked in ({@code status = arrived}) by the hospital system through the booking
 * core. The patient is the keyed hash of the resident ID ({@value #PATIENT_HASH}) and its masked form as display:
 * the clear ID is not kept by the gateway, so no client can get it.
 */
@Component
public class AppointmentResources {

    public static final String PATIENT_HASH = Fhir.NS + "resident-id-hash";
    public static final String RESIDENT_ID = Fhir.NS + "resident-id";
    public static final String BOOKING_CODE = Fhir.NS + "booking-code";
    public static final String FACILITY = Fhir.NS + "facility";
    public static final String POOL = Fhir.EXT + "appointment-pool";
    public static final String CHANNEL = Fhir.EXT + "appointment-channel";

    /** What a write did: its status (200, 201) and the Appointment as it now is. */
    record Written(int status, Appointment appointment) {
    }

    private final BookingSearch search;
    private final SlotPublishing slots;
    private final HisRequests requests;
    private final BookingService booking;
    private final AppointmentFeed feed;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    AppointmentResources(BookingSearch search, SlotPublishing slots, HisRequests requests, BookingService booking,
            AppointmentFeed feed, ApplicationEventPublisher events, Clock clock) {
        this.search = search;
        this.slots = slots;
        this.requests = requests;
        this.booking = booking;
        this.feed = feed;
        this.events = events;
        this.clock = clock;
    }

    /** The search parameters we take (null: not given). */
    record Params(Long facilityId, String facilityCode, FhirParams.Range date, FhirParams.Range lastUpdated,
            String patientSystem, String patientValue, String code, Appointment.AppointmentStatus status) {
    }

    public Optional<Appointment> read(HisClient client, long id) {
        return found(client, List.of(id)).stream().findFirst();
    }

    List<Appointment> search(HisClient client, Params p) {
        List<Long> facilities = client.facilityIds().stream().filter(f -> p.facilityId() == null || f.equals(p.facilityId()))
                .sorted().toList();
        if (facilities.isEmpty()) {
            return List.of();
        }
        String patientHash = null;
        if (p.patientValue() != null) {
            if (RESIDENT_ID.equals(p.patientSystem())) {
                patientHash = search.patientHashOf(p.patientValue()).orElse("-");
            } else if (p.patientSystem() == null || PATIENT_HASH.equals(p.patientSystem())) {
                patientHash = p.patientValue();
            } else {
                throw new FhirProblem(400, IssueType.NOTSUPPORTED, "patient identifier system must be " + RESIDENT_ID
                        + " or " + PATIENT_HASH);
            }
        }
        List<Long> ids = null;
        if (p.lastUpdated() != null && (p.lastUpdated().from() != null || p.lastUpdated().to() != null)) {
            ids = feed.changedBetween(facilities, p.lastUpdated().from(), p.lastUpdated().to());
        }
        List<BookingSearch.Found> rows = search.find(new BookingSearch.Query(facilities, ids,
                p.date() == null ? null : p.date().from(), p.date() == null ? null : p.date().to(), patientHash,
                p.code(), 1000));
        List<Appointment> out = render(rows).stream()
                .filter(a -> p.facilityCode() == null || p.facilityCode().equals(facilityCodeOf(a)))
                .filter(a -> p.status() == null || a.getStatus() == p.status()).toList();
        return out;
    }

    /**
     * Changes an Appointment's status: {@code cancelled} cancels the booking (channel HOSPITAL), {@code arrived}
     * checks it in (today, at its facility). Asking for the status it already has changes nothing (200): a retried
     * request never cancels or checks in twice (the booking core's own guards make the second a no-op).
     */
    Written update(HisClient client, long id, Appointment body) {
        BookingSearch.Found f = one(client, id)
                .orElseThrow(() -> new FhirProblem(404, IssueType.NOTFOUND, "Appointment/" + id + " is not known"));
        Appointment.AppointmentStatus want = body.getStatus();
        Appointment.AppointmentStatus now = status(f.booking().status());
        if (want == null) {
            throw new FhirProblem(422, IssueType.REQUIRED, "Appointment.status is required");
        }
        if (want == now) {
            return new Written(200, read(client, id).orElseThrow());
        }
        String actor = "his:" + client.id();
        switch (want) {
            case CANCELLED -> {
                CancelOutcome out = booking.cancel(id, Channel.HOSPITAL, null, actor);
                if (out instanceof CancelOutcome.Refused r && status(reread(client, id)) != want) {
                    throw new FhirProblem(409, IssueType.CONFLICT, "not cancelled: " + r.reason().name() + " ("
                            + r.reason().text() + ")");
                }
            }
            case ARRIVED -> {
                CheckInOutcome out = booking.checkIn(f.booking().code(), f.booking().facilityId(), actor);
                if (out instanceof CheckInOutcome.CheckedIn c) {
                    events.publishEvent(new BookingEvents.BookingCheckedIn(c.booking()));
                } else if (status(reread(client, id)) != want) {
                    CheckInOutcome.Refused r = (CheckInOutcome.Refused) out;
                    throw new FhirProblem(409, IssueType.CONFLICT, "not checked in: " + r.reason().name() + " ("
                            + r.reason().text() + ")");
                }
            }
            default -> throw new FhirProblem(422, IssueType.NOTSUPPORTED, "Appointment.status " + want.toCode()
                    + " cannot be set here: only cancelled or arrived (booked ones are made by booking a Slot)");
        }
        return new Written(200, read(client, id).orElseThrow());
    }

    /**
     * A booking made at the hospital's window (or by the HIS itself) into the slot's ONSITE pool, so the counts stay
     * true: channel HOSPITAL, through the booking core's rules (the resident ID is checked, hashed and dropped).
     * {@code status = arrived} checks the walk-in in at once. A retry with the same key ({@code If-None-Exist},
     * {@code X-Request-Id}, or the HIS's own Appointment.identifier) answers the first one's Appointment (200) and
     * never books twice, also when the retries run at the same moment.
     */
    Written create(HisClient client, Appointment body, String key) {
        Long slotId = FhirParams.id(body.getSlotFirstRep().getReference(), "Slot");
        if (slotId == null) {
            throw new FhirProblem(422, IssueType.REQUIRED, "Appointment.slot must reference the Slot to book");
        }
        SlotPublishing.SlotState slot = slots.slot(slotId).filter(st -> client.reaches(st.facilityId()))
                .orElseThrow(() -> new FhirProblem(422, IssueType.NOTFOUND, "Slot/" + slotId + " is not known"));
        String residentId = body.getParticipant().stream().map(p -> p.getActor().getIdentifier())
                .filter(i -> RESIDENT_ID.equals(i.getSystem())).map(Identifier::getValue).findFirst()
                .orElseThrow(() -> new FhirProblem(422, IssueType.REQUIRED, "a participant's actor.identifier with"
                        + " system " + RESIDENT_ID + " carries the patient's resident ID"));
        var poolExt = body.getExtensionByUrl(POOL);
        if (poolExt != null && !Pool.ONSITE.name().equals(poolExt.getValue().primitiveValue())) {
            throw new FhirProblem(422, IssueType.BUSINESSRULE, "a hospital system books the ONSITE pool only (the"
                    + " phone pools are the hotline's)");
        }
        Appointment.AppointmentStatus want = body.getStatus() == null ? Appointment.AppointmentStatus.BOOKED
                : body.getStatus();
        if (want != Appointment.AppointmentStatus.BOOKED && want != Appointment.AppointmentStatus.ARRIVED) {
            throw new FhirProblem(422, IssueType.NOTSUPPORTED, "a new Appointment is booked or arrived");
        }
        if (key == null && !body.getIdentifier().isEmpty() && body.getIdentifierFirstRep().hasValue()) {
            key = "identifier=" + body.getIdentifierFirstRep().getSystem() + "|" + body.getIdentifierFirstRep().getValue();
        }
        if (key != null) {
            HisRequests.Claim claim = requests.claim(client.id(), key, "Appointment");
            if (claim instanceof HisRequests.Claim.Done d) {
                return new Written(200, read(client, d.resourceId()).orElseThrow());
            }
            if (claim instanceof HisRequests.Claim.Busy) {
                throw new FhirProblem(409, IssueType.TRANSIENT, "the same request is still being done: retry");
            }
        }
        BookingOutcome out;
        try {
            out = booking.book(slotId, Pool.ONSITE, new BookingRequest(0, residentId, null, List.of(), null,
                    Channel.HOSPITAL, "his:" + client.id(), null));
        } catch (RuntimeException e) {
            if (key != null) {
                requests.giveBack(client.id(), key);
            }
            throw e;
        }
        if (out instanceof BookingOutcome.Refused r) {
            if (key != null) {
                requests.giveBack(client.id(), key);
            }
            throw new FhirProblem(409, IssueType.BUSINESSRULE, "not booked: " + r.reason().name() + " ("
                    + r.reason().text() + ")");
        }
        Booking b = ((BookingOutcome.Booked) out).booking();
        if (want == Appointment.AppointmentStatus.ARRIVED) {
            CheckInOutcome in = booking.checkIn(b.code(), b.facilityId(), "his:" + client.id());
            if (in instanceof CheckInOutcome.CheckedIn c) {
                events.publishEvent(new BookingEvents.BookingCheckedIn(c.booking()));
            }
        }
        if (key != null) {
            // last: a retry waiting for this request answers the Appointment as the request left it
            requests.done(client.id(), key, b.id());
        }
        return new Written(201, read(client, b.id()).orElseThrow());
    }

    /** The single Appointment a conditional request names by its booking code. */
    Optional<Long> byCode(HisClient client, String code) {
        if (code == null || !code.matches("\\d{6}")) {
            return Optional.empty();
        }
        List<BookingSearch.Found> rows = search.find(new BookingSearch.Query(client.facilityIds(), null, null, null,
                null, code, 2));
        // a code is unique among active bookings only: prefer the active one, else the latest
        return rows.stream().filter(r -> r.booking().status() == Booking.BookingStatus.ACTIVE).findFirst()
                .or(() -> rows.stream().reduce((a, b) -> b)).map(r -> r.booking().id());
    }

    private Booking.BookingStatus reread(HisClient client, long id) {
        return one(client, id).orElseThrow().booking().status();
    }

    private Optional<BookingSearch.Found> one(HisClient client, long id) {
        return search.find(new BookingSearch.Query(client.facilityIds(), List.of(id), null, null, null, null, 1))
                .stream().findFirst();
    }

    private List<Appointment> found(HisClient client, List<Long> ids) {
        return render(search.find(new BookingSearch.Query(client.facilityIds(), ids, null, null, null, null, 1000)));
    }

    private List<Appointment> render(List<BookingSearch.Found> rows) {
        Map<Long, AppointmentFeed.Version> versions = feed.versions(rows.stream().map(r -> r.booking().id()).toList());
        List<Appointment> out = new ArrayList<>(rows.size());
        for (BookingSearch.Found r : rows) {
            out.add(appointment(r, versions.get(r.booking().id())));
        }
        return out;
    }

    Appointment appointment(BookingSearch.Found f, AppointmentFeed.Version v) {
        Booking b = f.booking();
        Appointment a = new Appointment();
        a.setId("Appointment/" + b.id());
        LocalDateTime updated = v != null ? v.lastUpdated() : f.cancelledAt() != null ? f.cancelledAt() : b.createdAt();
        a.getMeta().setVersionId(Integer.toString(v != null ? v.version() : 1)).setLastUpdatedElement(instant(updated));
        a.addIdentifier().setSystem(BOOKING_CODE).setValue(b.code());
        a.setStatus(status(b.status()));
        a.setStartElement(instant(b.startsAt()));
        a.setEndElement(instant(b.endsAt()));
        a.addSlot(new Reference("Slot/" + b.slotId()));
        a.addServiceType(new CodeableConcept().setText(b.serviceName()));
        a.setCreated(Date.from(b.createdAt().atZone(clock.getZone()).toInstant()));
        a.addExtension(POOL, new CodeType(b.pool().name()));
        a.addExtension(CHANNEL, new CodeType(b.channel().name()));
        a.addParticipant().setActor(new Reference().setType("Patient")
                .setIdentifier(new Identifier().setSystem(PATIENT_HASH).setValue(f.patientHash()))
                .setDisplay(b.patientMasked())).setStatus(Appointment.ParticipationStatus.ACCEPTED);
        a.addParticipant().setActor(new Reference("Location/" + b.facilityId()).setType("Location")
                .setIdentifier(new Identifier().setSystem(FACILITY).setValue(f.facilityCode()))
                .setDisplay(b.facilityName())).setStatus(Appointment.ParticipationStatus.ACCEPTED);
        if (b.status() == Booking.BookingStatus.CANCELLED) {
            a.setCancelationReason(new CodeableConcept().setText("cancelled"));
        }
        return a;
    }

    static String facilityCodeOf(Appointment a) {
        return a.getParticipant().stream().map(p -> p.getActor().getIdentifier())
                .filter(i -> FACILITY.equals(i.getSystem())).map(Identifier::getValue).findFirst().orElse(null);
    }

    static Appointment.AppointmentStatus status(Booking.BookingStatus s) {
        return switch (s) {
            case ACTIVE -> Appointment.AppointmentStatus.BOOKED;
            case CANCELLED -> Appointment.AppointmentStatus.CANCELLED;
            case ATTENDED -> Appointment.AppointmentStatus.ARRIVED;
            case NO_SHOW -> Appointment.AppointmentStatus.NOSHOW;
        };
    }

    InstantType instant(LocalDateTime t) {
        return new InstantType(Date.from(t.atZone(clock.getZone()).toInstant()), TemporalPrecisionEnum.MILLI,
                java.util.TimeZone.getTimeZone(clock.getZone()));
    }
}
