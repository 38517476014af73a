package org.hotline.booking;

/** Part of the day a clinic session runs in. */
public enum Period {
    MORNING, AFTERNOON, EVENING
}
