package org.hotline.booking;

public record Facility(long id, String code, String name, FacilityKind kind, String district, String address) {
}
