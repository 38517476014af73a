package org.hotline.ivr;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.concurrent.atomic.AtomicInteger;

import org.hotline.booking.ResidentId;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * A bookable world of a test's own: the clock is set to a Monday no other test uses (each world is four
 * weeks after the last), so that only this world's slots are open and "key 1" means its first entry.
 */
final class IvrWorld {

    private static final AtomicInteger EPOCH = new AtomicInteger();

    final LocalDateTime now;
    final long hospital;
    final long dept;
    final long dept2;
    final long clinic;
    final long oneDoseVaccine;
    final long twoDoseVaccine;
    final long oneDoseService;
    final long twoDoseService;
    /** The first slot with places: tomorrow 09:00. */
    final long firstSlot;

    private IvrWorld(Fixtures fx, TestClock clock, int capacity) {
        now = LocalDateTime.of(2031, 1, 6, 10, 0).plusWeeks(4L * EPOCH.getAndIncrement());
        clock.set(now);
        hospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        dept2 = fx.outpatientService(hospital);
        clinic = fx.facility("VACCINATION_CLINIC");
        oneDoseVaccine = fx.vaccine(1, 0, 3, 150);
        twoDoseVaccine = fx.vaccine(2, 60, 50, 150);
        oneDoseService = fx.vaccineService(clinic, oneDoseVaccine);
        twoDoseService = fx.vaccineService(clinic, twoDoseVaccine);
        LocalDateTime tomorrow9 = now.toLocalDate().plusDays(1).atTime(9, 0);
        firstSlot = fx.slot(dept, tomorrow9, 1, 0, capacity);
        for (long svc : new long[] {dept, dept2, oneDoseService, twoDoseService}) {
            for (int day = 1; day <= 3; day++) {
                for (LocalDateTime t = now.toLocalDate().plusDays(day).atTime(9, 0); t.getHour() < 11;
                        t = t.plusMinutes(30)) {
                    if (svc == dept && t.equals(tomorrow9)) {
                        continue;
                    }
                    fx.slot(svc, t, 1, 0, capacity);
                }
            }
        }
    }

    static IvrWorld open(Fixtures fx, TestClock clock) {
        return new IvrWorld(fx, clock, 5);
    }

    static IvrWorld open(Fixtures fx, TestClock clock, int capacity) {
        return new IvrWorld(fx, clock, capacity);
    }

    LocalDate today() {
        return now.toLocalDate();
    }

    /** A valid ID of someone {@code years} old on this world's today. */
    String idAged(int years) {
        return Fixtures.residentId(today().minusYears(years).minusDays(40));
    }

    static boolean valid(String id) {
        return ResidentId.parse(id).valid();
    }
}
