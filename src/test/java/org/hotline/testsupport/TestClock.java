package org.hotline.testsupport;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicReference;

import org.hotline.TimeConfig;

/** A clock tests can set and move; starts at the real time. Call {@link #reset()} when you are done. */
public class TestClock extends Clock {

    private final AtomicReference<Instant> fixed = new AtomicReference<>();

    @Override
    public ZoneId getZone() {
        return TimeConfig.ZONE;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
        Instant f = fixed.get();
        return f != null ? f : Instant.now();
    }

    public void set(LocalDateTime local) {
        fixed.set(local.atZone(TimeConfig.ZONE).toInstant());
    }

    public void advance(Duration d) {
        fixed.set(instant().plus(d));
    }

    public LocalDateTime now() {
        return LocalDateTime.ofInstant(instant(), TimeConfig.ZONE);
    }

    public void reset() {
        fixed.set(null);
    }
}
