package org.hotline.ops.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;


import org.hotline.agent.Actor;
import org.hotline.agent.CallbackDesk;
import org.hotline.agent.CallbackOutcome;
import org.hotline.agent.TransferDesk;
import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.CancelOutcome;
import org.hotline.booking.Channel;
import org.hotline.booking.CheckInOutcome;
import org.hotline.booking.HoldOutcome;
import org.hotline.booking.PhoneNumber;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;
import org.hotline.release.NoShowRule;
import org.hotline.release.ReleaseScope;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * A month of a hotline's work, seeded through the real APIs (BookingService on a moving TestClock,
 * TransferLog, the release module's no-show rule), with a ledger of what was done. Tests compute their expected figures from the ledger and
 * from plain SQL, never from the report code.
 */
final class SeededMonth {

    static final LocalDate FIRST = LocalDate.of(2034, 3, 1);
    static final LocalDate LAST = LocalDate.of(2034, 3, 31);
    /** The no-show rule and the desk's check-ins run early on this day: bookings of the days before it are settled. */
    static final LocalDate SETTLED_BEFORE = LocalDate.of(2034, 3, 20);
    /** From this day on hospital B offers only 30 % to community centres. */
    static final LocalDate B_SHORT_FROM = LocalDate.of(2034, 3, 20);

    /** One booking as seeded. {@code age} is the patient's age in whole years on the slot's day. */
    record Seeded(long id, String code, long facility, LocalDate day, Channel channel, String pool, int age,
            String status, LocalDateTime createdAt, LocalDateTime cancelledAt) {
    }

    /** @param waitSeconds until an agent picked it up in the console, null if nobody did */
    record Transfer(LocalDate day, String reason, Integer waitSeconds) {
    }

    /** @param outcomes the agents' tries in order; @param firstAfterSeconds from the request to the first try */
    record Callback(LocalDate day, String reason, List<String> outcomes, String status, Integer firstAfterSeconds) {
    }

    final long hospitalA;
    final long hospitalB;
    final long centre;
    final List<Seeded> bookings = new ArrayList<>();
    final List<Transfer> transfers = new ArrayList<>();
    final List<Callback> callbacks = new ArrayList<>();
    /** slot id → [facility, day(epochDay)] for the holds left open: facility, day, pool PUBLIC. */
    final List<Object[]> openHolds = new ArrayList<>();
    /** facility → day → pool → capacity seeded. */
    final Map<Long, Map<LocalDate, Map<String, Integer>>> capacity = new LinkedHashMap<>();

    private final BookingService booking;
    private final Fixtures fx;
    private final TestClock clock;
    private final Random random = new Random(20340301);

    private final NoShowRule noShows;

    SeededMonth(BookingService booking, TransferLog transferLog, NoShowRule noShows, TransferDesk transferDesk,
            CallbackDesk callbackDesk, Actor agent, Fixtures fx, TestClock clock) {
        this.noShows = noShows;
        this.booking = booking;
        this.fx = fx;
        this.clock = clock;
        hospitalA = fx.facility("DISTRICT_HOSPITAL");
        hospitalB = fx.facility("DISTRICT_HOSPITAL");
        centre = fx.facility("COMMUNITY_CENTRE");
        long deptA = fx.outpatientService(hospitalA);
        long deptB = fx.outpatientService(hospitalB);
        clock.set(FIRST.minusDays(10).atTime(8, 0));
        List<long[]> slots = new ArrayList<>(); // slot, facility, epochDay
        for (LocalDate d = FIRST; !d.isAfter(LAST); d = d.plusDays(1)) {
            for (LocalTime t : List.of(LocalTime.of(9, 0), LocalTime.of(14, 0))) {
                slots.add(new long[] {fx.slot(deptA, d.atTime(t), 2, 4, 6), hospitalA, d.toEpochDay()});
                add(hospitalA, d, 2, 4, 6);
                boolean shortB = !d.isBefore(B_SHORT_FROM);
                slots.add(new long[] {fx.slot(deptB, d.atTime(t), 2, shortB ? 3 : 4, shortB ? 7 : 6), hospitalB,
                        d.toEpochDay()});
                add(hospitalB, d, 2, shortB ? 3 : 4, shortB ? 7 : 6);
            }
        }
        int[] hours = {8, 8, 8, 8, 9, 9, 10, 11, 14, 16, 20, 22};
        int[] ages = {34, 59, 60, 67, 79, 80, 93};
        Channel[] channels = {Channel.PHONE_MENU, Channel.PHONE_MENU, Channel.PHONE_MENU, Channel.AGENT,
                Channel.COMMUNITY_DOCTOR, Channel.COMMUNITY_DOCTOR};
        for (long[] s : slots) {
            LocalDate day = LocalDate.ofEpochDay(s[2]);
            int n = random.nextInt(6);
            for (int i = 0; i < n; i++) {
                LocalDateTime at = day.minusDays(1 + random.nextInt(5)).atTime(hours[random.nextInt(hours.length)],
                        random.nextInt(60));
                clock.set(at);
                int age = ages[random.nextInt(ages.length)];
                // either exactly `age` today, or one day short of `age + 1`: both are `age` on the slot's day
                LocalDate birth = random.nextBoolean() ? day.minusYears(age) : day.minusYears(age + 1).plusDays(1);
                Channel ch = channels[random.nextInt(channels.length)];
                String sms = Fixtures.mobile();
                BookingOutcome out = booking.book(s[0], null, new BookingRequest(0, Fixtures.residentId(birth), sms,
                        List.of(), Fixtures.mobile(), ch, "seed", ch == Channel.COMMUNITY_DOCTOR ? centre : null));
                assertThat(out).as("seeded booking").isInstanceOf(BookingOutcome.Booked.class);
                Booking b = ((BookingOutcome.Booked) out).booking();
                String status = "ACTIVE";
                LocalDateTime cancelledAt = null;
                int fate = random.nextInt(10);
                if (fate < 2) {
                    cancelledAt = at.plusHours(1);
                    clock.set(cancelledAt);
                    Channel by = fate == 0 ? Channel.SMS_REPLY : Channel.PHONE_MENU;
                    CancelOutcome c = booking.cancel(b.id(), by, sms, "seed");
                    assertThat(c).isInstanceOf(CancelOutcome.Cancelled.class);
                    status = "CANCELLED";
                } else if (day.isBefore(SETTLED_BEFORE)) {
                    // settled by the desk (a few came) and the no-show rule (the rest did not)
                    status = fate == 3 ? "ATTENDED" : "NO_SHOW";
                }
                bookings.add(new Seeded(b.id(), b.code(), s[1], day, ch, b.pool().name(), age, status, at,
                        cancelledAt));
            }
            if (random.nextInt(12) == 0) {
                clock.set(day.minusDays(1).atTime(21, 0));
                HoldOutcome h = booking.hold(s[0], Channel.PHONE_MENU);
                assertThat(h).isInstanceOf(HoldOutcome.Held.class);
                openHolds.add(new Object[] {s[1], day});
            }
        }
        markAfterTheDay();
        String[] reasons = {"ASKED_FOR_PERSON", "ASKED_FOR_PERSON", "REPEATED_FAILURE", "REFUSAL", "NOT_IN_MENU"};
        for (LocalDate d = FIRST; !d.isAfter(LAST); d = d.plusDays(1)) {
            int n = random.nextInt(4);
            for (int i = 0; i < n; i++) {
                LocalDateTime at = d.atTime(7 + random.nextInt(15), random.nextInt(60));
                clock.set(at);
                String reason = reasons[random.nextInt(reasons.length)];
                String caller = Fixtures.mobile();
                TransferContext t = new TransferContext("tr-" + UUID.randomUUID(), "call-" + UUID.randomUUID(),
                        caller, PhoneNumber.mask(caller), null, null, TransferReason.valueOf(reason), "main", "menu",
                        Map.of(), 1, at);
                transferLog.record(t);
                Integer wait = null;
                if (random.nextInt(3) > 0) {
                    wait = 5 + random.nextInt(300);
                    clock.set(at.plusSeconds(wait));
                    assertThat(transferDesk.pickUp(agent, t.transferId())).isPresent();
                }
                transfers.add(new Transfer(d, reason, wait));
                if (random.nextInt(3) == 0) {
                    clock.set(at);
                    String why = random.nextBoolean() ? "OUTSIDE_HOURS" : "LONG_WAIT";
                    long id = transferLog.requestCallback(t, why);
                    // the agents' tries: none yet, or one or two (a reached or wrong number ends it)
                    List<String> outcomes = new ArrayList<>();
                    Integer first = null;
                    String status = "OPEN";
                    int tries = random.nextInt(3);
                    LocalDateTime when = at;
                    for (int k = 0; k < tries && status.equals("OPEN"); k++) {
                        int after = 60 + random.nextInt(3600);
                        when = when.plusSeconds(after);
                        if (first == null) {
                            first = after;
                        }
                        CallbackOutcome o = CallbackOutcome.values()[random.nextInt(CallbackOutcome.values().length)];
                        clock.set(when);
                        assertThat(callbackDesk.recordAttempt(agent, id, o, "seed"))
                                .isInstanceOf(CallbackDesk.AttemptResult.Recorded.class);
                        outcomes.add(o.name());
                        status = o.closesAs() != null ? o.closesAs() : status;
                    }
                    callbacks.add(new Callback(d, why, outcomes, status, first));
                }
            }
        }
        clock.reset();
    }

    private void add(long facility, LocalDate d, int onsite, int community, int pub) {
        Map<String, Integer> m = capacity.computeIfAbsent(facility, k -> new LinkedHashMap<>())
                .computeIfAbsent(d, k -> new LinkedHashMap<>());
        m.merge("ONSITE", onsite, Integer::sum);
        m.merge("COMMUNITY", community, Integer::sum);
        m.merge("PUBLIC", pub, Integer::sum);
    }

    /**
     * Early on {@link #SETTLED_BEFORE} the desk's check-ins are recorded and the release module's no-show
     * rule runs (on these two hospitals only): what is still ACTIVE of the days before becomes NO_SHOW.
     */
    private void markAfterTheDay() {
        for (Seeded s : bookings) {
            if (s.status().equals("ATTENDED")) {
                clock.set(s.day().atTime(7, 30)); // the desk checks the patient in on the day
                assertThat(booking.checkIn(s.code(), s.facility(), "desk")).as("check-in of %s", s.code())
                        .isInstanceOf(CheckInOutcome.CheckedIn.class);
            }
        }
        clock.set(SETTLED_BEFORE.atTime(6, 0));
        int marked = noShows.markNoShows(ReleaseScope.facilities(hospitalA, hospitalB));
        assertThat(marked).isEqualTo(bookings.stream().filter(s -> s.status().equals("NO_SHOW")).count());
    }

    List<Long> facilities() {
        return List.of(hospitalA, hospitalB);
    }
}
