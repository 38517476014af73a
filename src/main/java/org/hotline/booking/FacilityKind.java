package org.hotline.booking;

public enum FacilityKind {
    DISTRICT_HOSPITAL, COMMUNITY_CENTRE, VACCINATION_CLINIC
}
