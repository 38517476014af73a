package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * {@link BookingService#move}: one transaction that gives the old place back and takes the new one, on the
 * real MariaDB, with many threads at once.
 */
@IntegrationTest
class MoveTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired Waitlist waitlist;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private LocalDateTime day(int days, int hour) {
        return clock.now().plusDays(days).withHour(hour).withMinute(0).withSecond(0).withNano(0);
    }

    private Booking book(long slot, String id, String sms) {
        BookingOutcome out = booking.book(slot, null, new BookingRequest(0, id, sms, List.of(), null, Channel.AGENT,
                "agent-move", null));
        assertThat(out).isInstanceOf(BookingOutcome.Booked.class);
        return booking.findById(((BookingOutcome.Booked) out).booking().id()).orElseThrow(); // as stored
    }

    private MoveOutcome move(Booking b, long slot, String id) {
        return booking.move(new MoveRequest(b.id(), slot, null, id, Channel.AGENT, "agent-move", null, null, null));
    }

    private int sms(long bookingId, String kind) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM sms_message WHERE booking_id = ? AND kind = ?", Integer.class,
                bookingId, kind);
    }

    @Test
    void manyPatientsMovingIntoFewPlacesNeverOversellAndEachRefusedOneKeepsItsBooking() throws Exception {
        int patients = 24;
        long service = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        long target = fx.slot(service, day(6, 14), 0, 0, 5);
        List<Booking> before = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < patients; i++) {
            long from = fx.slot(service, day(3 + i / 8, 8).plusMinutes(30L * (i % 8)), 0, 0, 1);
            String id = Fixtures.residentIdAged(50 + i);
            ids.add(id);
            before.add(book(from, id, Fixtures.mobile()));
        }
        List<MoveOutcome> outs = Collections.synchronizedList(new ArrayList<>(Collections.nCopies(patients, null)));
        QuotaRaceTest.runConcurrently(patients, i -> outs.set(i, move(before.get(i), target, ids.get(i))));

        assertThat(outs).filteredOn(o -> o instanceof MoveOutcome.Moved).hasSize(5);
        assertThat(fx.counts(target, "PUBLIC")).containsExactly(5, 0, 5);
        for (int i = 0; i < patients; i++) {
            Booking old = before.get(i);
            if (outs.get(i) instanceof MoveOutcome.Moved m) {
                assertThat(m.from().id()).isEqualTo(old.id());
                assertThat(m.from().status()).isEqualTo(Booking.BookingStatus.CANCELLED);
                assertThat(m.to().slotId()).isEqualTo(target);
                assertThat(m.to().smsPhone()).isEqualTo(old.smsPhone());
                // the old place freed once, the patient told of both (as a cancel and a booking are told)
                assertThat(fx.counts(old.slotId(), "PUBLIC")).containsExactly(1, 0, 0);
                assertThat(sms(old.id(), "CANCELLATION")).isOne();
                assertThat(sms(m.to().id(), "CONFIRMATION")).isOne();
            } else {
                MoveOutcome.Refused r = (MoveOutcome.Refused) outs.get(i);
                assertThat(r.reason()).isEqualTo(Refusal.FULL);
                // the original untouched: same booking, same code, same place, nothing sent
                assertThat(r.standing()).isEqualTo(old);
                assertThat(booking.findById(old.id()).orElseThrow()).isEqualTo(old);
                assertThat(fx.counts(old.slotId(), "PUBLIC")).containsExactly(1, 0, 1);
                assertThat(sms(old.id(), "CANCELLATION")).isZero();
            }
            assertThat(booking.findByResidentId(ids.get(i))).filteredOn(b -> b.status() == Booking.BookingStatus.ACTIVE)
                    .hasSize(1);
        }
        assertThat((List<Integer>) jdbc.queryForObject("SELECT SUM(booked), SUM(held) FROM quota_pool q JOIN slot s ON s.id = q.slot_id "
                + "WHERE s.service_id = ?", (rs, n) -> List.<Integer>of(rs.getInt(1), rs.getInt(2)), service))
                .containsExactly(patients, 0);
        // every booking still has a confirmed hold behind it, and no hold is left open
        assertThat(jdbc.queryForObject("""
                SELECT COUNT(*) FROM booking b LEFT JOIN hold h ON h.id = b.hold_id
                WHERE b.service_id = ? AND (h.id IS NULL OR h.status <> 'CONFIRMED' OR h.pool_id <> b.pool_id)""",
                Integer.class, service)).isZero();
    }

    @Test
    void oneBookingMovedByManyThreadsAtOnceMovesOnceAndFreesItsPlaceOnce() throws Exception {
        int threads = 12;
        long service = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        long from = fx.slot(service, day(4, 8), 0, 0, 2);
        List<Long> targets = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            targets.add(fx.slot(service, day(5 + i / 8, 8).plusMinutes(30L * (i % 8)), 0, 0, 1));
        }
        String id = Fixtures.residentIdAged(70);
        Booking old = book(from, id, Fixtures.mobile());
        List<MoveOutcome> outs = Collections.synchronizedList(new ArrayList<>());
        QuotaRaceTest.runConcurrently(threads, i -> outs.add(move(old, targets.get(i), id)));

        assertThat(outs).filteredOn(o -> o instanceof MoveOutcome.Moved).hasSize(1);
        assertThat(outs).filteredOn(o -> o instanceof MoveOutcome.Refused)
                .allSatisfy(o -> assertThat(((MoveOutcome.Refused) o).reason()).isEqualTo(Refusal.NOT_ACTIVE));
        assertThat(fx.counts(from, "PUBLIC")).containsExactly(2, 0, 0);
        int booked = 0;
        for (long t : targets) {
            int[] c = fx.counts(t, "PUBLIC");
            assertThat(c[1]).isZero();
            booked += c[2];
        }
        assertThat(booked).isOne();
        assertThat(booking.findByResidentId(id)).extracting(Booking::status)
                .containsExactlyInAnyOrder(Booking.BookingStatus.ACTIVE, Booking.BookingStatus.CANCELLED);
    }

    @Test
    void patientsShuffledBetweenSlotsByManyThreadsKeepEveryCountTrue() throws Exception {
        long service = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        List<Long> slots = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            slots.add(fx.slot(service, day(3 + k, 9), 0, 0, 3));
        }
        List<String> ids = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            ids.add(Fixtures.residentIdAged(40 + p));
            book(slots.get(p % 4), ids.get(p), null);
        }
        List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
        QuotaRaceTest.runConcurrently(12, i -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int n = 0; n < 8; n++) {
                String id = ids.get(r.nextInt(ids.size()));
                Booking current = booking.findByResidentId(id).stream()
                        .filter(b -> b.status() == Booking.BookingStatus.ACTIVE).findFirst().orElse(null);
                if (current == null) {
                    unexpected.add("no active booking");
                    continue;
                }
                MoveOutcome out = move(current, slots.get(r.nextInt(slots.size())), id);
                if (out instanceof MoveOutcome.Refused rf && rf.reason() != Refusal.FULL
                        && rf.reason() != Refusal.NOT_ACTIVE) {
                    unexpected.add(rf.reason().name());
                }
            }
        });
        assertThat(unexpected).isEmpty();
        int total = 0;
        for (long s : slots) {
            int[] c = fx.counts(s, "PUBLIC");
            int active = jdbc.queryForObject("SELECT COUNT(*) FROM booking WHERE slot_id = ? AND status = 'ACTIVE'",
                    Integer.class, s);
            assertThat(c[1]).isZero();
            assertThat(c[2]).isEqualTo(active).isLessThanOrEqualTo(3);
            total += c[2];
        }
        assertThat(total).isEqualTo(8);
        for (String id : ids) {
            assertThat(booking.findByResidentId(id)).filteredOn(b -> b.status() == Booking.BookingStatus.ACTIVE)
                    .hasSize(1);
        }
    }

    @Test
    void aMoveTheVaccineRulesRefuseLeavesTheBookingAsItWas() {
        long vaccine = fx.vaccine(2, 21, 18, 120);
        long service = fx.vaccineService(fx.facility("VACCINATION_CLINIC"), vaccine);
        long first = fx.slot(service, day(3, 9), 0, 0, 2);
        long second = fx.slot(service, day(30, 9), 0, 0, 2);
        long tooSoon = fx.slot(service, day(10, 9), 0, 0, 2);
        String id = Fixtures.residentIdAged(66);
        book(first, id, Fixtures.mobile());
        Booking dose2 = book(second, id, Fixtures.mobile());
        int smsBefore = jdbc.queryForObject("SELECT COUNT(*) FROM sms_message WHERE booking_id = ?", Integer.class,
                dose2.id());

        MoveOutcome out = move(dose2, tooSoon, id);

        assertThat(out).isInstanceOf(MoveOutcome.Refused.class);
        MoveOutcome.Refused r = (MoveOutcome.Refused) out;
        assertThat(r.reason()).isEqualTo(Refusal.DOSE_TOO_SOON);
        assertThat(r.earliestDate()).isEqualTo(day(3, 9).toLocalDate().plusDays(21));
        assertThat(r.standing()).isEqualTo(dose2);
        assertThat(booking.findById(dose2.id()).orElseThrow()).isEqualTo(dose2);
        assertThat(fx.counts(second, "PUBLIC")).containsExactly(2, 0, 1);
        assertThat(fx.counts(tooSoon, "PUBLIC")).containsExactly(2, 0, 0);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ?", Integer.class, tooSoon)).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sms_message WHERE booking_id = ?", Integer.class,
                dose2.id())).isEqualTo(smsBefore);
        // someone else's resident ID moves nothing either
        MoveOutcome other = move(dose2, tooSoon, Fixtures.residentIdAged(40));
        assertThat(((MoveOutcome.Refused) other).reason()).isEqualTo(Refusal.NOT_ALLOWED);
        assertThat(booking.findById(dose2.id()).orElseThrow()).isEqualTo(dose2);
    }

    @Test
    void aMoveAskedFromAPhoneNeedsThePhoneTiedToTheBookingAndKeepsItsChannel() {
        long service = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        long from = fx.slot(service, day(3, 9), 0, 0, 2);
        long to = fx.slot(service, day(4, 9), 0, 0, 2);
        String sms = Fixtures.mobile();
        BookingOutcome made = booking.book(from, null, BookingRequest.phone(0, Fixtures.residentIdAged(81), sms,
                null, "call-1"));
        Booking old = booking.findById(((BookingOutcome.Booked) made).booking().id()).orElseThrow();

        MoveOutcome stranger = booking.move(new MoveRequest(old.id(), to, null, null, Channel.SMS_REPLY, "sms",
                null, Fixtures.mobile(), null));
        assertThat(stranger).isEqualTo(new MoveOutcome.Refused(Refusal.NOT_ALLOWED, null, null));
        assertThat(fx.counts(to, "PUBLIC")).containsExactly(2, 0, 0);

        MoveOutcome moved = booking.move(new MoveRequest(old.id(), to, null, null, Channel.SMS_REPLY, "sms", null,
                sms, null));
        assertThat(moved).isInstanceOf(MoveOutcome.Moved.class);
        Booking now = ((MoveOutcome.Moved) moved).to();
        assertThat(now.channel()).isEqualTo(Channel.PHONE_MENU);
        assertThat(now.actor()).isEqualTo("call-1");
        assertThat(now.patientMasked()).isEqualTo(old.patientMasked());
        assertThat(now.date()).isEqualTo(LocalDate.from(day(4, 9)));
        assertThat(fx.counts(from, "PUBLIC")).containsExactly(2, 0, 0);
        assertThat(fx.counts(to, "PUBLIC")).containsExactly(2, 0, 1);
    }

    /**
     * Issue 16: a place a move gives back reaches the waitlist at once, held for the first one waiting in the move's
     * own transaction (as a cancellation's), not at the next sweep: three moves out of a full slot at once, while
     * eight callers keep trying to book that slot and two "nodes" sweep the waitlist all the while, give its three
     * places to the first three waiting, one each, and to nobody else.
     */
    @Test
    void placesFreedByMovesGoToTheFirstWaitingOneEachAndToNobodyElse() throws Exception {
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        long service = fx.outpatientService(hospital);
        long elsewhere = fx.outpatientService(hospital);
        long full = fx.slot(service, day(4, 9), 0, 0, 3);
        List<Booking> movers = new ArrayList<>();
        List<String> moverIds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            moverIds.add(Fixtures.residentIdAged(60 + i));
            movers.add(book(full, moverIds.get(i), Fixtures.mobile()));
        }
        List<Long> targets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            targets.add(fx.slot(elsewhere, day(5, 9).plusMinutes(30L * i), 0, 0, 1));
        }
        List<Long> entries = new ArrayList<>();
        List<String> phones = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String phone = Fixtures.mobile();
            phones.add(phone);
            var joined = waitlist.join(service, Fixtures.residentIdAged(70 + i), null, phone, phone);
            entries.add(((Waitlist.JoinOutcome.Joined) joined).entryId());
        }
        assertThat(entries).allSatisfy(e -> assertThat(waitlist.status(e)).contains("WAITING"));

        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ConcurrentLinkedQueue<Booking> stolen = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.ExecutorService others = java.util.concurrent.Executors.newFixedThreadPool(10);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(10);
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (int t = 0; t < 10; t++) {
            boolean sweeper = t < 2;
            running.add(others.submit(() -> {
                started.countDown();
                while (!stop.get()) {
                    if (sweeper) {
                        try {
                            waitlist.sweep();
                        } catch (org.springframework.dao.ConcurrencyFailureException e) {
                            // a deadlock with another sweep: the next one tries again, as the minute's job does
                        }
                    } else if (booking.book(full, null, new BookingRequest(0, Fixtures.residentIdAged(40),
                            Fixtures.mobile(), List.of(), null, Channel.PHONE_MENU, "racer", null))
                            instanceof BookingOutcome.Booked b) {
                        stolen.add(b.booking());
                    }
                }
                return null;
            }));
        }
        started.await();
        List<MoveOutcome> outs = Collections.synchronizedList(new ArrayList<>(Collections.nCopies(3, null)));
        QuotaRaceTest.runConcurrently(3, i -> outs.set(i, move(movers.get(i), targets.get(i), moverIds.get(i))));
        Thread.sleep(300); // the racers and sweepers go on a little after the commits
        stop.set(true);
        for (var f : running) {
            f.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        others.shutdown();

        assertThat(outs).allMatch(o -> o instanceof MoveOutcome.Moved);
        assertThat(stolen).as("nobody but the waiting got a freed place").isEmpty();
        assertThat(fx.counts(full, "PUBLIC")).as("capacity, held for the waiting, booked").containsExactly(3, 3, 0);
        // first come, first served: the three first waiting have an offer each, on that slot, the other two wait
        for (int i = 0; i < 5; i++) {
            assertThat(waitlist.status(entries.get(i))).as("entry " + i).contains(i < 3 ? "OFFERED" : "WAITING");
        }
        List<Long> holdSlots = jdbc.queryForList("""
                SELECT h.slot_id FROM waitlist_entry w JOIN hold h ON h.id = w.offer_hold_id
                WHERE w.id IN (?, ?, ?) AND h.status = 'ACTIVE'""", Long.class, entries.get(0), entries.get(1),
                entries.get(2));
        assertThat(holdSlots).containsExactly(full, full, full);
        for (int i = 0; i < 5; i++) {
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sms_message WHERE phone = ? AND kind = 'WAITLIST_OFFER'",
                    Integer.class, phones.get(i))).as("offers texted to waiting " + i).isEqualTo(i < 3 ? 1 : 0);
        }
    }
}
