package org.hotline.ops.report;

import java.time.LocalDate;
import java.time.Period;

/** The bureau's age bands of a patient: the age in whole years on the day of the slot, as the booking keeps it. */
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
        return ofAge(Period.between(birthDate, onDay).getYears());
    }

    public static AgeBand ofAge(int age) {
        return age >= 80 ? FROM_80 : age >= 60 ? FROM_60_TO_79 : UNDER_60;
    }
}
