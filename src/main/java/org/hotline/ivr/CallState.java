package org.hotline.ivr;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.hotline.booking.BookableService;
import org.hotline.booking.Booking;
import org.hotline.booking.Facility;
import org.hotline.booking.HoldOutcome;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.ResidentId;
import org.hotline.booking.SlotOffer;
import org.hotline.booking.Vaccine;

/** What one call has chosen and keyed so far. Lives on the call's thread only. */
final class CallState {

    /** A calling number is digits ("anonymous", "unknown", "Restricted" are what networks say for withheld). */
    private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("\\+?[0-9]{3,20}");

    final CallChannel call;
    /** The verified calling number, normalised; {@code ""} when withheld or unverified (see {@link CallChannel#callerVerified()}). */
    final String caller;
    /** A number the network gave that could not be verified (for the agent's screen only, masked); else null. */
    final String unverifiedCaller;
    /** Look-ups by code or resident ID in this call that found no booking this number may manage. */
    int lookupFailures;
    CallerProfile profile;

    String at;
    int steps;
    int failures;
    CallResult.End end;
    String transferId;
    /** The id a transfer of this call will carry, told to the adapter as soon as the caller's age was known. */
    String reservedTransferId;
    /** The priority last told to the adapter ({@link CallChannel#priorityKnown}); null: none yet. */
    Integer toldPriority;
    Long callbackId;
    String error;

    Facility facility;
    BookableService service;
    Vaccine vaccine;
    LocalDate date;
    SlotOffer slot;
    HoldOutcome.Held hold;
    String residentId;
    /** Instead of {@link #residentId}: a person booked before from this (verified) number. */
    org.hotline.booking.KnownPatient patient;
    /** The people booked before from this number (read once per call). */
    List<org.hotline.booking.KnownPatient> known;
    Integer patientAge;
    /** Issue 16: places nowhere ("no_places") this call; the second offers a person. */
    int deadEnds;
    /** The nearest free place offered when the chosen service had none. */
    org.hotline.booking.Alternatives.Alternative alternative;
    /** The caller chose to wait (候补) for the chosen service: the steps after "for whom" join instead of booking. */
    boolean waitlisting;
    /** How many wait before the caller, once joined. */
    Integer waitingAhead;
    String smsPhone;
    String elderPhone;
    String bookingCode;
    LocalDate earliestDate;
    List<Booking> found = List.of();
    Booking booking;
    /** On an outbound call: what the {@code opt_out} action does; null on a call that came in. */
    Runnable optOut;
    /** An outbound call that offers a place: what key 1 and key 2 do (see FlowEngine.OutboundStart). */
    java.util.function.Supplier<String> acceptOffer;
    Runnable declineOffer;
    final List<Booking> booked = new ArrayList<>();
    final List<Long> holdsTaken = new ArrayList<>();

    CallState(CallChannel call) {
        this.call = call;
        String n = PhoneNumber.normalise(call.callerNumber());
        boolean number = n != null && NUMBER.matcher(n).matches();
        boolean verified = number && call.callerVerified();
        this.caller = verified ? n : "";
        this.unverifiedCaller = number && !verified ? n : null;
    }

    /** What the caller chose, as an agent reads it; the resident ID only masked. */
    Map<String, String> choices() {
        Map<String, String> c = new LinkedHashMap<>();
        if (unverifiedCaller != null) {
            c.put("来电号码（未验证）", PhoneNumber.mask(unverifiedCaller));
        }
        if (vaccine != null) {
            c.put("疫苗", vaccine.name());
        }
        if (facility != null) {
            c.put(vaccine != null ? "接种门诊" : "医院", facility.name());
        }
        if (service != null && vaccine == null) {
            c.put("科室", service.name() + (service.doctorName() == null ? "" : "（" + service.doctorName() + "）"));
        }
        if (date != null) {
            c.put("日期", date.toString());
        }
        if (slot != null) {
            c.put("时段", slot.startsAt().toLocalTime() + "-" + slot.endsAt().toLocalTime());
        }
        if (residentId != null) {
            c.put(elderPhone != null ? "家人身份证" : "身份证", ResidentId.mask(residentId.replace('*', 'X')));
        } else if (patient != null) {
            c.put("身份证", "**************" + patient.lastFour() + "（以前约过的人）");
        }
        if (elderPhone != null) {
            c.put("家人手机", PhoneNumber.mask(elderPhone));
        }
        if (smsPhone != null) {
            c.put("短信号码", PhoneNumber.mask(smsPhone));
        }
        if (booking != null) {
            c.put("预约码", booking.code());
        }
        for (int i = 0; i < booked.size(); i++) {
            c.put("已预约" + (i + 1), booked.get(i).code() + " " + booked.get(i).facilityName() + " "
                    + booked.get(i).serviceName() + " " + booked.get(i).startsAt());
        }
        return c;
    }

    String patientMasked() {
        if (residentId == null) {
            return patient == null ? null : "**************" + patient.lastFour();
        }
        ResidentId.Parsed p = ResidentId.parse(residentId);
        return p.valid() ? p.id().masked() : null;
    }
}
