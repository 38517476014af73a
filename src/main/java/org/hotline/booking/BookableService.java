package org.hotline.booking;

/** An outpatient department (optionally with a named doctor) or a vaccine offered at a clinic. */
public record BookableService(long id, long facilityId, String code, ServiceKind kind, String name,
        String doctorName, Vaccine vaccine) {
}
