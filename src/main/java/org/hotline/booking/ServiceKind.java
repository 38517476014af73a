package org.hotline.booking;

public enum ServiceKind {
    OUTPATIENT, VACCINE
}
