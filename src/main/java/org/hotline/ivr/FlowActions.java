package org.hotline.ivr;

import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.hotline.booking.BookableService;
import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.CancelOutcome;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Channel;
import org.hotline.booking.Facility;
import org.hotline.booking.HoldOutcome;
import org.hotline.booking.KnownPatient;
import org.hotline.booking.PatientRef;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.Refusal;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.SlotOffer;
import org.hotline.booking.Vaccine;

/**
 * The live lists and the actions a flow can name, on top of the booking API. Each action answers with an
 * outcome name, or with the booking core's typed refusal, which the engine speaks and maps to a way on.
 */
final class FlowActions {

    /** An action's answer: a plain outcome, or a refusal (with the earliest date when the core gives one). */
    record Outcome(String name, Refusal refusal, LocalDate earliest) {
        static Outcome of(String name) {
            return new Outcome(name, null, null);
        }

        static Outcome refused(Refusal r, LocalDate earliest) {
            return new Outcome(r.name(), r, earliest);
        }
    }

    /** One entry of a numbered choice: how it is said, and what choosing it sets. */
    record Item(List<String> spoken, Consumer<CallState> choose) {
    }

    private static final Channel PHONE = Channel.PHONE_MENU;

    private final BookingService booking;
    private final Catalogue catalogue;
    private final NamePrompts names;
    private final SpokenValues values;
    private final IvrProperties props;
    private final Clock clock;
    private final PhoneLookups lookups;

    private final org.hotline.booking.Alternatives alternatives;
    private final org.hotline.booking.Waitlist waitlist;

    FlowActions(BookingService booking, Catalogue catalogue, NamePrompts names, SpokenValues values,
            IvrProperties props, Clock clock, PhoneLookups lookups, org.hotline.booking.Alternatives alternatives,
            org.hotline.booking.Waitlist waitlist) {
        this.alternatives = alternatives;
        this.waitlist = waitlist;
        this.lookups = lookups;
        this.booking = booking;
        this.catalogue = catalogue;
        this.names = names;
        this.values = values;
        this.props = props;
        this.clock = clock;
    }

    // ------------------------------------------------------------ lists

    List<Item> list(String name, CallState s) {
        return switch (name) {
            case "hospitals" -> numbered(catalogue.bookableFacilities(ServiceKind.OUTPATIENT, PHONE),
                    (f, n) -> names.facility(f).orElse(ordinal(n)), f -> st -> {
                        st.facility = f;
                        st.service = null;
                        st.vaccine = null;
                    });
            case "departments" -> s.facility == null ? List.of()
                    : numbered(catalogue.bookableServices(s.facility.id(), ServiceKind.OUTPATIENT, PHONE),
                            (svc, n) -> names.service(svc, s.facility).orElse(ordinal(n)), svc -> st -> st.service = svc);
            case "vaccines" -> numbered(bookableVaccines(), (v, n) -> names.vaccine(v).orElse(ordinal(n)),
                    v -> st -> {
                        st.vaccine = v;
                        st.facility = null;
                        st.service = null;
                    });
            case "vaccine_clinics" -> s.vaccine == null ? List.of() : vaccineClinics(s.vaccine, false);
            // nothing free anywhere (issue 16): where the caller may wait (候补), free or not; then booking.wait
            case "wait_hospitals" -> waitlist == null ? List.of()
                    : numbered(catalogue.waitableFacilities(ServiceKind.OUTPATIENT, PHONE, waitUntil()),
                            (f, n) -> names.facility(f).orElse(ordinal(n)), f -> st -> {
                                st.facility = f;
                                st.service = null;
                                st.vaccine = null;
                            });
            case "wait_departments" -> waitlist == null || s.facility == null ? List.of()
                    : numbered(catalogue.waitableServices(s.facility.id(), ServiceKind.OUTPATIENT, PHONE, waitUntil()),
                            (svc, n) -> names.service(svc, s.facility).orElse(ordinal(n)), svc -> st -> st.service = svc);
            case "wait_vaccines" -> waitlist == null ? List.of()
                    : numbered(vaccinesOffered(true), (v, n) -> names.vaccine(v).orElse(ordinal(n)), v -> st -> {
                        st.vaccine = v;
                        st.facility = null;
                        st.service = null;
                    });
            case "wait_clinics" -> waitlist == null || s.vaccine == null ? List.of() : vaccineClinics(s.vaccine, true);
            case "dates" -> s.service == null ? List.of()
                    : numbered(dates(s), (d, n) -> MandarinSpeech.date(d), d -> st -> st.date = d);
            case "slots" -> s.service == null || s.date == null ? List.of()
                    : numbered(catalogue.slots(s.service.id(), s.date, PHONE),
                            (o, n) -> MandarinSpeech.time(o.startsAt().toLocalTime()), o -> st -> st.slot = o);
            case "bookings" -> {
                // all at one hospital: the hospital's name once is enough (it is in the code's SMS): date, time, department
                boolean oneFacility = s.found.stream().map(Booking::facilityId).distinct().count() == 1;
                yield numbered(s.found, (b, n) -> oneFacility ? values.bookingWithoutFacility(b) : values.booking(b),
                        b -> st -> st.booking = b);
            }
            case "known_patients" -> numbered(known(s), (p, n) -> {
                List<String> say = new ArrayList<>(List.of("for_tail"));
                say.addAll(MandarinSpeech.digits(p.lastFour()));
                say.add("for_person_end");
                return say;
            }, p -> st -> choosePatient(st, p));
            default -> throw new IllegalArgumentException("no list " + name);
        };
    }

    /** At most this many people are offered by the number's history (the menu stays short). */
    static final int KNOWN_MAX = 3;

    /** The people booked before from this verified number; none for a withheld or unverified one. */
    private List<KnownPatient> known(CallState s) {
        if (s.known == null) {
            s.known = s.caller.isEmpty() ? List.of() : booking.patientsTiedTo(s.caller, KNOWN_MAX);
        }
        return s.known;
    }

    /**
     * Books for a person booked before: no ID keyed (the core takes the patient from the earlier booking), and
     * the SMS goes where it went then: to their own phone when it was not this one, with a copy to this phone.
     */
    private static void choosePatient(CallState s, KnownPatient p) {
        s.patient = p;
        s.residentId = null;
        s.patientAge = p.ageNow();
        s.elderPhone = p.smsPhone() != null && !p.smsPhone().equals(s.caller) && PhoneNumber.isMobile(p.smsPhone())
                ? p.smsPhone() : null;
    }

    private List<LocalDate> dates(CallState s) {
        List<LocalDate> all = catalogue.dates(s.service.id(), PHONE);
        if (s.earliestDate == null) {
            return all;
        }
        // after "too soon since the last dose", offer only dates the core will accept
        return all.stream().filter(d -> !d.isBefore(s.earliestDate)).toList();
    }

    /** Vaccines some clinic can book now, in the order of the clinics and their services. */
    private List<Vaccine> bookableVaccines() {
        return vaccinesOffered(false);
    }

    /** The last day a caller joining the waitlist now waits for. */
    private LocalDate waitUntil() {
        return LocalDate.now(clock).plusDays(waitlist.windowDays());
    }

    private List<Facility> vaccineFacilities(boolean waitable) {
        return waitable ? catalogue.waitableFacilities(ServiceKind.VACCINE, PHONE, waitUntil())
                : catalogue.bookableFacilities(ServiceKind.VACCINE, PHONE);
    }

    private List<BookableService> vaccineServices(Facility f, boolean waitable) {
        return waitable ? catalogue.waitableServices(f.id(), ServiceKind.VACCINE, PHONE, waitUntil())
                : catalogue.bookableServices(f.id(), ServiceKind.VACCINE, PHONE);
    }

    /** Vaccines with a place now, or (waitable) with places to wait for. */
    private List<Vaccine> vaccinesOffered(boolean waitable) {
        Map<Long, Vaccine> byId = new LinkedHashMap<>();
        for (Facility f : vaccineFacilities(waitable)) {
            for (BookableService svc : vaccineServices(f, waitable)) {
                if (svc.vaccine() != null) {
                    byId.putIfAbsent(svc.vaccine().id(), svc.vaccine());
                }
            }
        }
        return List.copyOf(byId.values());
    }

    private List<Item> vaccineClinics(Vaccine v, boolean waitable) {
        Map<Facility, BookableService> offers = new LinkedHashMap<>();
        for (Facility f : vaccineFacilities(waitable)) {
            vaccineServices(f, waitable).stream()
                    .filter(svc -> svc.vaccine() != null && svc.vaccine().id() == v.id()).findFirst()
                    .ifPresent(svc -> offers.put(f, svc));
        }
        return numbered(List.copyOf(offers.keySet()), (f, n) -> names.facility(f).orElse(ordinal(n)), f -> st -> {
            st.facility = f;
            st.service = offers.get(f);
        });
    }

    private interface Speaker<T> {
        List<String> say(T item, int number);
    }

    private static <T> List<Item> numbered(List<T> items, Speaker<T> speaker,
            java.util.function.Function<T, Consumer<CallState>> choose) {
        List<Item> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            T t = items.get(i);
            out.add(new Item(speaker.say(t, i + 1), choose.apply(t)));
        }
        return out;
    }

    /** 第三项: for an entry whose name has no recording. */
    private static List<String> ordinal(int n) {
        List<String> out = new ArrayList<>();
        out.add("ordinal_di");
        out.addAll(MandarinSpeech.number(n));
        out.add("ordinal_item");
        return out;
    }

    // ------------------------------------------------------------ actions

    Outcome run(String action, CallState s) {
        return switch (action) {
            case "caller_is_elder" -> Outcome.of(profile(s).age() != null && profile(s).age() >= props.elderAge()
                    ? "elder" : "other");
            case "previous_outpatient" -> previousOutpatient(s);
            case "hold_slot" -> hold(s);
            case "check_patient" -> checkPatient(s);
            case "caller_mobile" -> {
                if (PhoneNumber.isMobile(s.caller)) {
                    s.smsPhone = s.caller;
                    yield Outcome.of("mobile");
                }
                yield Outcome.of("not_mobile");
            }
            case "book" -> book(s);
            case "has_next_dose" -> Outcome.of(s.booking != null && s.booking.nextDoseFrom() != null ? "next_dose"
                    : "none");
            case "caller_verified" -> {
                if (s.caller.isEmpty()) {
                    lookups.count(PhoneLookups.Outcome.UNVERIFIED);
                    yield Outcome.of("unverified");
                }
                yield Outcome.of("verified");
            }
            case "may_look_up" -> mayLookUp(s);
            case "find_by_caller" -> found(s, s.caller.isEmpty() ? List.of() : booking.findByPhone(s.caller));
            case "find_by_id" -> lookUp(s, () -> s.residentId == null ? List.of()
                    : booking.findByResidentIdTiedTo(s.residentId, s.caller));
            case "find_by_code" -> lookUp(s, () -> s.bookingCode == null ? List.of()
                    : booking.findActiveByCodeTiedTo(s.bookingCode, s.caller).map(List::of).orElse(List.of()));
            case "cancel" -> cancel(s);
            case "opt_out" -> {
                if (s.optOut == null) {
                    yield Outcome.of("none");
                }
                s.optOut.run();
                yield Outcome.of("done");
            }
            case "accept_offer" -> {
                String r = s.acceptOffer == null ? "gone" : s.acceptOffer.get();
                yield Outcome.of("taken".equals(r) ? "taken" : "gone");
            }
            case "decline_offer" -> {
                if (s.declineOffer != null) {
                    s.declineOffer.run();
                }
                yield Outcome.of("done");
            }
            case "known_patients" -> Outcome.of(known(s).isEmpty() ? "none" : "some");
            case "same_again" -> sameAgain(s);
            case "dead_end" -> {
                s.deadEnds++;
                yield Outcome.of(s.deadEnds >= 2 ? "person" : "again");
            }
            case "alternative" -> alternative(s);
            case "take_alternative" -> takeAlternative(s);
            case "wait" -> {
                s.waitlisting = waitlist != null && s.service != null;
                yield Outcome.of(s.waitlisting ? "ok" : "unavailable");
            }
            case "can_wait_outpatient" -> Outcome.of(waitlist != null && !catalogue.waitableFacilities(
                    ServiceKind.OUTPATIENT, PHONE, waitUntil()).isEmpty() ? "some" : "none");
            case "can_wait_vaccine" -> Outcome.of(waitlist != null && !vaccinesOffered(true).isEmpty() ? "some" : "none");
            case "waitlisting" -> Outcome.of(s.waitlisting ? "waiting" : "booking");
            case "join_waitlist" -> joinWaitlist(s);
            case "change_start" -> changeStart(s);
            case "move" -> move(s);
            default -> throw new IllegalArgumentException("no action " + action);
        };
    }

    CallerProfile profile(CallState s) {
        if (s.profile == null) {
            s.profile = s.caller.isEmpty() ? CallerProfile.UNKNOWN
                    : CallerProfile.of(s.caller, booking.findByPhone(s.caller), LocalDate.now(clock));
        }
        return s.profile;
    }

    private Outcome previousOutpatient(CallState s) {
        Optional<Booking> last = profile(s).lastOutpatient();
        if (last.isEmpty()) {
            return Outcome.of("none");
        }
        Optional<Facility> f = catalogue.facility(last.get().facilityId());
        Optional<BookableService> svc = catalogue.service(last.get().serviceId());
        // (offered even when that department is full now: "the same again" then offers the nearest place
        // elsewhere or the waitlist, issue 16)
        if (f.isEmpty() || svc.isEmpty()) {
            return Outcome.of("none");
        }
        s.facility = f.get();
        s.service = svc.get();
        return Outcome.of("found");
    }

    /**
     * "The same again" in one key: the person of the number's last outpatient booking, at the first date and
     * slice of that department the core accepts for them, held. "none" (and nothing held) when there is none,
     * and the caller chooses step by step instead.
     */
    private Outcome sameAgain(CallState s) {
        Optional<Booking> last = profile(s).lastOutpatient();
        if (last.isEmpty() || s.service == null || s.caller.isEmpty()) {
            return Outcome.of("none");
        }
        Booking b = last.get();
        KnownPatient p = new KnownPatient(new PatientRef(b.id()),
                b.patientMasked().substring(Math.max(0, b.patientMasked().length() - 4)),
                b.patientAge() == null ? null : CallerProfile.ageToday(b, LocalDate.now(clock)), b.smsPhone(),
                b.familyPhones());
        int tried = 0;
        for (LocalDate d : catalogue.dates(s.service.id(), PHONE)) {
            if (++tried > 3) {
                break;
            }
            if (booking.checkPatient(s.service.id(), d, p.ref(), s.caller, PHONE).isPresent()) {
                continue; // booked that day already, or the rules need the ID: the next date, or step by step
            }
            for (SlotOffer o : catalogue.slots(s.service.id(), d, PHONE)) {
                HoldOutcome out = booking.hold(o.slotId(), PHONE);
                if (out instanceof HoldOutcome.Held h) {
                    s.date = d;
                    s.slot = o;
                    s.hold = h;
                    s.holdsTaken.add(h.holdId());
                    choosePatient(s, p);
                    return Outcome.of("held");
                }
            }
        }
        return Outcome.of("none");
    }

    /** The nearest place with room of the chosen department or vaccine: later here, or at another facility. */
    private Outcome alternative(CallState s) {
        s.alternative = null;
        if (alternatives == null || s.service == null) {
            return Outcome.of("none");
        }
        var q = org.hotline.booking.Alternatives.Query.of(s.service.id(), LocalDate.now(clock), PHONE, 1);
        if (s.residentId != null) {
            q = q.forPatient(s.residentId);
        }
        List<org.hotline.booking.Alternatives.Alternative> found = alternatives.find(q);
        if (found.isEmpty()) {
            return Outcome.of("none");
        }
        s.alternative = found.get(0);
        return Outcome.of("found");
    }

    /** "Press 1 to take it": the alternative becomes the choice, and its place is held. */
    private Outcome takeAlternative(CallState s) {
        var alt = s.alternative;
        if (alt == null) {
            return Outcome.refused(Refusal.NOT_FOUND, null);
        }
        Optional<Facility> f = catalogue.facility(alt.facilityId());
        Optional<BookableService> svc = catalogue.service(alt.offer().serviceId());
        if (f.isEmpty() || svc.isEmpty()) {
            return Outcome.refused(Refusal.NOT_FOUND, null);
        }
        s.facility = f.get();
        s.service = svc.get();
        s.date = alt.offer().date();
        s.slot = alt.offer();
        return hold(s);
    }

    /** 改约: the chosen booking's department or vaccine becomes the choice, for its dates and slices. */
    private Outcome changeStart(CallState s) {
        if (s.booking == null || s.caller.isEmpty()) {
            return Outcome.of("none");
        }
        Optional<BookableService> svc = catalogue.service(s.booking.serviceId());
        Optional<Facility> f = catalogue.facility(s.booking.facilityId());
        if (svc.isEmpty() || f.isEmpty() || catalogue.dates(svc.get().id(), PHONE).isEmpty()) {
            return Outcome.of("none");
        }
        s.facility = f.get();
        s.service = svc.get();
        s.vaccine = null;
        s.date = null;
        s.slot = null;
        return Outcome.of("ok");
    }

    /**
     * Moves the chosen booking to the chosen slice in one transaction (booking core's move): only a booking tied
     * to this calling number (asked again inside the move), the patient the booking's own (no ID keyed).
     */
    private Outcome move(CallState s) {
        if (s.booking == null || s.slot == null || s.caller.isEmpty()) {
            return Outcome.refused(Refusal.NOT_FOUND, null);
        }
        org.hotline.booking.MoveOutcome out = booking.move(new org.hotline.booking.MoveRequest(s.booking.id(),
                s.slot.slotId(), null, null, PHONE, s.call.callId(), null, s.caller, null));
        if (out instanceof org.hotline.booking.MoveOutcome.Moved m) {
            s.found = s.found.stream().filter(b -> b.id() != m.from().id()).toList();
            s.booking = m.to();
            s.booked.add(m.to());
            return Outcome.of("moved");
        }
        var r = (org.hotline.booking.MoveOutcome.Refused) out;
        if (r.reason() == Refusal.DOSE_TOO_SOON) {
            s.earliestDate = r.earliestDate();
        }
        return Outcome.refused(r.reason(), r.earliestDate());
    }

    private Outcome joinWaitlist(CallState s) {
        if (waitlist == null || s.service == null) {
            return Outcome.refused(Refusal.NOT_FOUND, null);
        }
        String sms = s.elderPhone != null ? s.elderPhone : s.smsPhone;
        var out = waitlist.join(s.service.id(), s.residentId, s.residentId == null && s.patient != null
                ? s.patient.ref() : null, sms, s.caller.isEmpty() ? null : s.caller);
        if (out instanceof org.hotline.booking.Waitlist.JoinOutcome.Joined j) {
            s.waitlisting = false;
            s.waitingAhead = j.ahead();
            return Outcome.of("joined");
        }
        return Outcome.refused(((org.hotline.booking.Waitlist.JoinOutcome.Refused) out).reason(), null);
    }

    private Outcome hold(CallState s) {
        releaseHold(s);
        s.waitlisting = false;
        SlotOffer slot = s.slot;
        if (slot == null) {
            return Outcome.refused(Refusal.NOT_FOUND, null);
        }
        HoldOutcome out = booking.hold(slot.slotId(), PHONE);
        if (out instanceof HoldOutcome.Held h) {
            s.hold = h;
            s.holdsTaken.add(h.holdId());
            return Outcome.of("held");
        }
        return Outcome.refused(((HoldOutcome.Refused) out).reason(), null);
    }

    void releaseHold(CallState s) {
        if (s.hold != null) {
            booking.release(s.hold.holdId());
            s.hold = null;
        }
    }

    private Outcome checkPatient(CallState s) {
        if (s.waitlisting && s.date == null && (s.residentId != null || s.patient != null)) {
            // waiting for any date: the day's rules are asked when a place is offered and confirmed
            if (s.residentId != null) {
                s.patientAge = org.hotline.booking.ResidentId.of(s.residentId).ageOn(LocalDate.now(clock));
            }
            return Outcome.of("ok");
        }
        if (s.service == null || s.date == null || s.residentId == null && s.patient == null) {
            return Outcome.refused(Refusal.NOT_FOUND, null);
        }
        Optional<BookingOutcome.Refused> no = s.residentId == null
                ? booking.checkPatient(s.service.id(), s.date, s.patient.ref(), s.caller, PHONE)
                : booking.checkPatient(s.service.id(), s.date, s.residentId, PHONE);
        if (no.isPresent()) {
            if (no.get().reason() == Refusal.DOSE_TOO_SOON) {
                s.earliestDate = no.get().earliestDate();
            }
            return Outcome.refused(no.get().reason(), no.get().earliestDate());
        }
        if (s.residentId != null) {
            s.patientAge = org.hotline.booking.ResidentId.of(s.residentId).ageOn(LocalDate.now(clock));
        }
        return Outcome.of("ok");
    }

    private Outcome book(CallState s) {
        if (s.hold == null) {
            return Outcome.refused(Refusal.HOLD_EXPIRED, null);
        }
        String sms = s.smsPhone;
        List<String> family = List.of();
        if (s.elderPhone != null) {
            // a family member booking for an elder: the elder's phone gets it, and so does the caller's
            sms = s.elderPhone;
            family = s.smsPhone != null && !s.smsPhone.equals(s.elderPhone) ? List.of(s.smsPhone) : List.of();
        }
        BookingOutcome out = booking.confirm(new BookingRequest(s.hold.holdId(), s.residentId, sms, family,
                s.caller.isEmpty() ? null : s.caller, PHONE, s.call.callId(), null, null,
                s.residentId == null && s.patient != null ? s.patient.ref() : null));
        if (out instanceof BookingOutcome.Booked b) {
            s.hold = null;
            s.booking = b.booking();
            s.booked.add(b.booking());
            return Outcome.of("booked");
        }
        BookingOutcome.Refused r = (BookingOutcome.Refused) out;
        if (r.reason() == Refusal.DOSE_TOO_SOON) {
            s.earliestDate = r.earliestDate();
        }
        return Outcome.refused(r.reason(), r.earliestDate());
    }

    /** Before a caller keys a code or an ID: a withheld or unverified number, or one over today's limit, may not. */
    private Outcome mayLookUp(CallState s) {
        if (s.caller.isEmpty()) {
            lookups.count(PhoneLookups.Outcome.UNVERIFIED);
            return Outcome.of("limited");
        }
        if (!lookups.allowedToday(s.caller)) {
            lookups.limited(s.caller, s.call.callId(), PhoneLookups.Outcome.DAY_LIMIT);
            return Outcome.of("limited");
        }
        return Outcome.of("allowed");
    }

    /**
     * A look-up by code or resident ID, which finds only bookings tied to this calling number. A booking that
     * does not exist and one that is someone else's take the same path here and in the database (one query
     * that returns nothing, one look-up kept against the day's allowance) and say the same "none"; the one
     * that uses up the call's allowance goes to a person.
     */
    private Outcome lookUp(CallState s, java.util.function.Supplier<List<Booking>> find) {
        if (s.caller.isEmpty()) {
            lookups.count(PhoneLookups.Outcome.UNVERIFIED);
            return Outcome.of("limited");
        }
        if (!lookups.take(s.caller)) {
            lookups.limited(s.caller, s.call.callId(), PhoneLookups.Outcome.DAY_LIMIT);
            return Outcome.of("limited");
        }
        List<Booking> tied = find.get();
        if (!tied.isEmpty()) {
            lookups.giveBack(s.caller);
            lookups.count(PhoneLookups.Outcome.FOUND);
            return found(s, tied);
        }
        s.found = List.of();
        if (++s.lookupFailures >= lookups.props().failuresPerCall()) {
            lookups.limited(s.caller, s.call.callId(), PhoneLookups.Outcome.CALL_LIMIT);
            return Outcome.of("too_many");
        }
        lookups.count(PhoneLookups.Outcome.NOT_FOUND);
        return Outcome.of("none");
    }

    private Outcome found(CallState s, List<Booking> bookings) {
        s.found = booking.upcoming(bookings);
        return Outcome.of(s.found.isEmpty() ? "none" : "found");
    }

    private Outcome cancel(CallState s) {
        if (s.booking == null || !booking.isTiedTo(s.booking.id(), s.caller)) {
            // only a booking found by this (verified) number gets here; asked again where it is cancelled
            return Outcome.refused(Refusal.NOT_FOUND, null);
        }
        CancelOutcome out = booking.cancel(s.booking.id(), PHONE, s.caller, s.call.callId());
        if (out instanceof CancelOutcome.Cancelled c) {
            s.booking = c.booking();
            s.found = s.found.stream().filter(b -> b.id() != c.booking().id()).toList();
            return Outcome.of("cancelled");
        }
        return Outcome.refused(((CancelOutcome.Refused) out).reason(), null);
    }
}
