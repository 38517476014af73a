package org.hotline.booking;

/**
 * A patient known from an earlier booking, to book them again without their resident ID (issue 16: a
 * number that booked before is offered "for the person whose ID ends 0015 press 1"). It names that earlier
 * booking; the core takes the patient (the keyed hash, the last four, the age) from it, and only when the
 * booking is tied to the calling number of the new request ({@link PhoneTie}), so a reference is worth
 * nothing from another phone. Got from {@link BookingService#patientsTiedTo}.
 */
public record PatientRef(long bookingId) {
}
