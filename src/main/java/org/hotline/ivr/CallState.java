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

    final CallChannel call;
    final String caller;
    CallerProfile profile;

    String at;
    int steps;
    int failures;
    CallResult.End end;
    String transferId;
    Long callbackId;
    String error;

    Facility facility;
    BookableService service;
    Vaccine vaccine;
    LocalDate date;
    SlotOffer slot;
    HoldOutcome.Held hold;
    String residentId;
    Integer patientAge;
    String smsPhone;
    String elderPhone;
    String bookingCode;
    LocalDate earliestDate;
    List<Booking> found = List.of();
    Booking booking;
    final List<Booking> booked = new ArrayList<>();
    final List<Long> holdsTaken = new ArrayList<>();

    CallState(CallChannel call) {
        this.call = call;
        this.caller = callerId(call.callerNumber());
    }

    /**
     * The caller id as the menu uses it: digits (an optional leading +, spaces, dashes, dots and brackets
     * dropped), the country code stripped as {@link PhoneNumber#normalise} does. Anything else (empty,
     * {@code anonymous}, {@code unknown}, letters, a SIP URI, more than 20 digits) is taken as withheld:
     * never a failed call, and never a number cut short that could be somebody else's.
     */
    static String callerId(String raw) {
        if (raw == null) {
            return "";
        }
        String s = raw.strip().replaceAll("[\\s\\-().]", "");
        if (s.length() > 21 || !s.matches("\\+?\\d{1,20}")) {
            return "";
        }
        String n = PhoneNumber.normalise(s);
        return n == null ? "" : n;
    }

    /** What the caller chose, as an agent reads it; the resident ID only masked. */
    Map<String, String> choices() {
        Map<String, String> c = new LinkedHashMap<>();
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
            return null;
        }
        ResidentId.Parsed p = ResidentId.parse(residentId);
        return p.valid() ? p.id().masked() : null;
    }
}
