package org.hotline.ops.report;

import java.time.LocalDate;
import java.time.Period;

/** The bureau's age bands of a patient, from the birth date on the booking, on the day of the slot. */
public enum AgeBand {
    UNDER_60("60岁以下"),
    FROM_60_TO_79("60–79岁"),
    FROM_80("80岁及以上");

    private final String label;

    AgeBand(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static AgeBand of(LocalDate birthDate, LocalDate onDay) {
        int age = Period.between(birthDate, onDay).getYears();
        return age >= 80 ? FROM_80 : age >= 60 ? FROM_60_TO_79 : UNDER_60;
    }
}
