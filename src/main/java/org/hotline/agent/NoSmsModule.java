package org.hotline.agent;

import java.util.List;

import org.springframework.stereotype.Component;

/** Stands in until the SMS module is part of the build: the console shows that SMS status is unknown. */
@Component
class NoSmsModule implements BookingSmsStatus {

    @Override
    public boolean available() {
        return false;
    }

    @Override
    public List<SmsLine> of(long bookingId) {
        return List.of();
    }
}
