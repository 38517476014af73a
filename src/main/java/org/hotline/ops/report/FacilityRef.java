package org.hotline.ops.report;

import org.hotline.booking.FacilityKind;

/** A facility as a report names it. */
public record FacilityRef(long id, String code, String name, FacilityKind kind) {
}
