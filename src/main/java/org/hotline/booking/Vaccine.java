package org.hotline.booking;

public record Vaccine(long id, String code, String name, int doses, int minIntervalDays, int minAgeYears,
        int maxAgeYears, String bringNote) {
}
