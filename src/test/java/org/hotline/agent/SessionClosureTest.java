package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.TimeConfig;
import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Channel;
import org.hotline.booking.HoldOutcome;
import org.hotline.booking.Period;
import org.hotline.booking.Refusal;
import org.hotline.booking.SessionCancellations;
import org.hotline.booking.SessionCancellations.AffectedPatient;
import org.hotline.booking.SessionCancellations.CallOutcome;
import org.hotline.ops.report.ClosureReports;
import org.hotline.ops.report.ReportRange;
import org.hotline.sms.SmsReplies;
import org.hotline.sms.SmsReplyDriver;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * 停诊 on the real database with the real SMS path (outbox → dispatcher → embedded SMSC sink → receipts): a morning
 * session with 30 bookings is cancelled from the console's desk; every booking is cancelled with reason HOSPITAL,
 * the places stay closed, the patients and their family phones get an SMS with the nearest free slice, a reply "1"
 * from a family phone moves one booking (one from a phone the SMS did not go to moves nothing), the elders are on
 * the worklist with their calls, and the bureau's report counts it all, each figure checked against plain SQL.
 * Then the cancellation races new bookings into the same session.
 */
@IntegrationTest
class SessionClosureTest {

    @Autowired SessionClosureDesk desk;
    @Autowired SessionCancellations cancellations;
    @Autowired BookingService booking;
    @Autowired Catalogue catalogue;
    @Autowired SmsReplies replies;
    @Autowired ClosureReports reports;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    final Actor admin = new Actor("admin-closure", ConsoleRole.ADMIN, null);
    final Actor supervisor = new Actor("banzhang-closure", ConsoleRole.SUPERVISOR, null);
    long hospital;
    long dept;
    LocalDate day;

    @BeforeEach
    void setUp() {
        clock.reset(); // real time: the SMS sink and its receipts run on it
        hospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        day = LocalDate.now(TimeConfig.ZONE).plusDays(3);
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    record Patient(String id, String sms, List<String> family, int age) {
    }

    @Test
    void thirtyBookingsInACancelledMorningAreCancelledToldOfferedMovedByReplyAndReported() {
        // the morning: 6 slices × 5 public places, full with 30 bookings; the afternoon has 3 (+1 being held) + 2 free places
        List<Long> morning = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            morning.add(fx.slot(dept, day.atTime(8, 0).plusMinutes(30L * i), 2, 0, 5));
        }
        long pm1 = fx.slot(dept, day.atTime(14, 0), 0, 0, 4);
        long pm2 = fx.slot(dept, day.atTime(14, 30), 0, 0, 2);
        List<Patient> patients = new ArrayList<>();
        Map<Long, Patient> byBooking = new HashMap<>();
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            int age = i % 5 == 0 ? 45 : i % 5 == 1 ? 59 : i % 5 == 2 ? 60 : i % 5 == 3 ? 74 : 86;
            List<String> family = i % 3 == 0 ? List.of() : i % 3 == 1 ? List.of(Fixtures.mobile())
                    : List.of(Fixtures.mobile(), Fixtures.mobile());
            Patient p = new Patient(Fixtures.residentIdAged(age), Fixtures.mobile(), family, age);
            BookingOutcome out = booking.book(morning.get(i / 5), null, new BookingRequest(0, p.id(), p.sms(), family,
                    null, Channel.AGENT, "agent-x", null));
            assertThat(out).as("booking %d", i).isInstanceOf(BookingOutcome.Booked.class);
            Booking b = ((BookingOutcome.Booked) out).booking();
            patients.add(p);
            byBooking.put(b.id(), p);
            ids.add(b.id());
        }
        // someone is in the middle of booking the afternoon (not cancelled) and the morning's walk-in pool (held)
        HoldOutcome.Held pmHold = (HoldOutcome.Held) booking.hold(pm1, Channel.PHONE_MENU);
        int eldersExpected = (int) patients.stream().filter(p -> p.age() >= 60).count();

        // a supervisor may not cancel; an administrator may
        assertThatThrownBy(() -> desk.cancel(supervisor, new SessionClosureDesk.CancelRequest(hospital, dept, day,
                Period.MORNING, "医生临时停诊"))).isInstanceOf(SessionClosureDesk.NotAllowed.class);
        assertThat(desk.cancel(admin, new SessionClosureDesk.CancelRequest(hospital, dept, day, Period.MORNING, " ")))
                .isEqualTo(new SessionCancellations.Result.Refused(SessionCancellations.Problem.REASON_REQUIRED));
        long started = System.nanoTime();
        SessionCancellations.Result result = desk.cancel(admin, new SessionClosureDesk.CancelRequest(hospital, dept,
                day, Period.MORNING, "医生临时停诊"));
        long cancelMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(result).isInstanceOf(SessionCancellations.Result.Done.class);
        SessionCancellations.Result.Done done = (SessionCancellations.Result.Done) result;
        assertThat(done.sessions()).isEqualTo(1);
        assertThat(done.slots()).isEqualTo(6);
        assertThat(done.bookingsCancelled()).isEqualTo(30);
        assertThat(done.elders()).isEqualTo(eldersExpected);
        // only 5 free places in the afternoon: 5 offers there, the other 25 elsewhere or none, never more than free
        assertThat(done.offered()).isEqualTo(5);
        // a second time: nothing left to cancel
        assertThat(desk.cancel(admin, new SessionClosureDesk.CancelRequest(hospital, dept, day, Period.MORNING, "再次")))
                .isEqualTo(new SessionCancellations.Result.Refused(SessionCancellations.Problem.ALREADY_CANCELLED));

        // independent SQL: 30 cancellations with reason HOSPITAL, none active, every pool closed and empty
        String in = String.join(",", morning.stream().map(String::valueOf).toList());
        assertThat(count("SELECT COUNT(*) FROM booking WHERE slot_id IN (" + in + ") AND status = 'CANCELLED'"
                + " AND cancel_reason = 'HOSPITAL' AND cancelled_at IS NOT NULL")).isEqualTo(30);
        assertThat(count("SELECT COUNT(*) FROM booking WHERE slot_id IN (" + in + ") AND status = 'ACTIVE'")).isZero();
        assertThat(count("SELECT COUNT(*) FROM quota_pool WHERE slot_id IN (" + in + ") AND closed_by = ?",
                done.cancellationId())).isEqualTo(18);
        assertThat(count("SELECT COALESCE(SUM(held + booked), 0) FROM quota_pool WHERE slot_id IN (" + in + ")")).isZero();
        assertThat(count("SELECT COUNT(*) FROM cancellation_notice WHERE cancellation_id = ?", done.cancellationId()))
                .isEqualTo(30);
        // the afternoon's hold is untouched; the places are not resold: not offered, not holdable, not bookable
        assertThat(count("SELECT COUNT(*) FROM hold WHERE id = ? AND status = 'ACTIVE'", pmHold.holdId())).isEqualTo(1);
        booking.release(pmHold.holdId());
        for (long slot : morning) {
            assertThat(((HoldOutcome.Refused) booking.hold(slot, Channel.PHONE_MENU)).reason())
                    .isEqualTo(Refusal.POOL_CLOSED);
        }
        assertThat(catalogue.slots(dept, day, Channel.AGENT)).extracting(o -> o.slotId()).containsExactly(pm1, pm2);
        // offers never exceed the free places of a slice
        Map<Long, Integer> offers = new HashMap<>();
        jdbc.query("SELECT offer_slot_id, COUNT(*) FROM cancellation_notice WHERE cancellation_id = ?"
                + " AND offer_slot_id IS NOT NULL GROUP BY offer_slot_id",
                rs -> {
                    offers.put(rs.getLong(1), rs.getInt(2));
                }, done.cancellationId());
        assertThat(offers).containsExactlyInAnyOrderEntriesOf(Map.of(pm1, 3, pm2, 2));

        // the SMS: one 停诊 message to each patient and each family phone, naming the alternative; no whole ID and
        // no other person's number in any of them
        int phones = patients.stream().mapToInt(p -> 1 + p.family().size()).sum();
        List<Map<String, Object>> sms = jdbc.queryForList("""
                SELECT m.booking_id, m.phone, m.body FROM sms_message m WHERE m.kind = 'HOSPITAL_CANCELLATION'
                  AND m.booking_id IN (%s)""".formatted(String.join(",", ids.stream().map(String::valueOf).toList())));
        assertThat(sms).hasSize(phones);
        Set<String> allPhones = new HashSet<>();
        patients.forEach(p -> {
            allPhones.add(p.sms());
            allPhones.addAll(p.family());
        });
        for (Map<String, Object> m : sms) {
            Patient p = byBooking.get(((Number) m.get("booking_id")).longValue());
            String body = (String) m.get("body");
            String to = (String) m.get("phone");
            assertThat(to).isIn(allowedPhones(p));
            assertThat(body).startsWith("【健康热线】因医院停诊").contains("已取消").doesNotContain("医生临时停诊");
            for (Patient other : patients) {
                assertThat(body).as("no whole resident ID").doesNotContain(other.id())
                        .doesNotContain(other.id().substring(6, 14));
            }
            for (String phone : allPhones) {
                assertThat(body).as("no phone number in the text").doesNotContain(phone);
            }
            if (!to.equals(p.sms())) {
                assertThat(body).contains("您家人（身份证**************" + p.id().substring(14) + "）");
            }
        }
        List<String> bodies = sms.stream().map(m -> (String) m.get("body")).toList();
        assertThat(bodies.stream().filter(b -> b.contains("回复“1”即改约到该时段") && b.contains("下午14:00-14:30")))
                .hasSize((int) count("SELECT COUNT(*) FROM booking_phone bp JOIN cancellation_notice n ON n.booking_id ="
                        + " bp.booking_id WHERE n.offer_slot_id = ?", pm1));
        assertThat(bodies.stream().filter(b -> b.contains("同科室近期暂无可约时段"))).isNotEmpty();
        await("every 停诊 SMS delivered", () -> count("""
                SELECT COUNT(*) FROM sms_message WHERE kind = 'HOSPITAL_CANCELLATION' AND status = 'DELIVERED'
                  AND booking_id IN (%s)""".formatted(String.join(",", ids.stream().map(String::valueOf).toList())))
                == phones);

        // a reply "1" from a phone the SMS was not sent to moves nothing (it is answered as any text)
        long offered = jdbc.queryForObject("""
                SELECT n.booking_id FROM cancellation_notice n WHERE n.cancellation_id = ? AND n.offer_slot_id = ?
                  AND n.booking_id IN (SELECT booking_id FROM booking_phone WHERE role = 'FAMILY')
                ORDER BY n.id LIMIT 1""", Long.class, done.cancellationId(), pm1);
        Patient mover = byBooking.get(offered);
        String stranger = Fixtures.mobile();
        SmsReplyDriver.reply(replies, stranger, "1");
        assertThat(cancellations.acceptOffer(stranger, null)).isInstanceOf(SessionCancellations.OfferOutcome.NotFound.class);
        assertThat(count("SELECT COUNT(*) FROM cancellation_notice WHERE offer_status = 'MOVED' AND cancellation_id = ?",
                done.cancellationId())).isZero();
        assertThat(jdbc.queryForList("SELECT body FROM sms_message WHERE phone = ?", String.class, stranger))
                .singleElement().asString().contains("回复“取消+预约码”");
        // ... and the family phone's reply moves it, in one transaction
        int[] before = fx.counts(pm1, "PUBLIC");
        SmsReplyDriver.reply(replies, mover.family().get(0), "１。");
        Long movedId = jdbc.queryForObject("SELECT moved_booking_id FROM cancellation_notice WHERE booking_id = ?",
                Long.class, offered);
        assertThat(movedId).isNotNull();
        Map<String, Object> moved = jdbc.queryForMap("SELECT * FROM booking WHERE id = ?", movedId);
        assertThat(moved.get("status")).isEqualTo("ACTIVE");
        assertThat(((Number) moved.get("slot_id")).longValue()).isEqualTo(pm1);
        assertThat(moved.get("patient_hash")).isEqualTo(jdbc.queryForObject("SELECT patient_hash FROM booking WHERE id = ?",
                String.class, offered));
        assertThat(fx.counts(pm1, "PUBLIC")).containsExactly(before[0], before[1], before[2] + 1);
        assertThat(jdbc.queryForList("SELECT phone FROM booking_phone WHERE booking_id = ?", String.class, movedId))
                .containsExactlyInAnyOrderElementsOf(allowedPhones(mover));
        assertThat(jdbc.queryForList("SELECT kind FROM sms_message WHERE booking_id = ? ORDER BY id", String.class,
                movedId)).containsOnly("CONFIRMATION", "FAMILY_COPY").hasSize(allowedPhones(mover).size());
        assertThat(booking.findByResidentId(mover.id())).extracting(Booking::id).contains(movedId);
        // the same reply again: nothing more to move
        assertThat(cancellations.acceptOffer(mover.family().get(0), null))
                .isInstanceOf(SessionCancellations.OfferOutcome.NotFound.class);

        // the worklist: exactly the elders (SQL), with phones to dial; calls recorded with their outcome
        List<AffectedPatient> work = desk.worklist(supervisor).stream()
                .filter(a -> a.cancellationId() == done.cancellationId()).toList();
        assertThat(work).extracting(AffectedPatient::bookingId).containsExactlyInAnyOrderElementsOf(
                jdbc.queryForList("""
                        SELECT b.id FROM booking b JOIN cancellation_notice n ON n.booking_id = b.id
                        WHERE n.cancellation_id = ? AND b.patient_age >= 60""", Long.class, done.cancellationId()));
        assertThat(work).hasSize(eldersExpected).allMatch(a -> a.age() >= 60 && a.smsPhone() != null);
        assertThat(work.get(0).startsAt()).isEqualTo(day.atTime(8, 0));
        AffectedPatient first = work.get(0);
        desk.recordCall(supervisor, first.noticeId(), CallOutcome.NO_ANSWER, null);
        AffectedPatient after = desk.recordCall(admin, first.noticeId(), CallOutcome.REACHED, "已告知，下周再约")
                .orElseThrow();
        assertThat(after.calls()).isEqualTo(2);
        assertThat(after.lastOutcome()).isEqualTo(CallOutcome.REACHED);
        assertThat(after.lastCallBy()).isEqualTo(admin.username());
        assertThat(desk.recordCall(admin, Long.MAX_VALUE, CallOutcome.REACHED, null)).isEmpty();
        assertThatThrownBy(() -> desk.worklist(new Actor("agent-y", ConsoleRole.AGENT, null)))
                .isInstanceOf(SessionClosureDesk.NotAllowed.class);
        int elderMoved = byBooking.get(offered).age() >= 60 ? 1 : 0;
        assertThat(work.stream().filter(a -> a.bookingId() == offered)).hasSize(elderMoved);
        assertThat(count("SELECT COUNT(*) FROM audit_event WHERE username = ? AND action = 'SESSION_CANCEL'"
                + " AND outcome = 'OK' AND detail LIKE ?", admin.username(), "停诊 " + done.cancellationId() + " %"))
                .isEqualTo(1);

        // the bureau's report line, against SQL of its own
        ClosureReports.ClosureFigures line = reports.closures(new ReportRange(day, day, hospital)).stream()
                .filter(c -> c.id() == done.cancellationId()).findFirst().orElseThrow();
        long maxTell = jdbc.queryForObject("""
                SELECT MAX(TIMESTAMPDIFF(SECOND, c.created_at, t.told)) FROM session_cancellation c
                JOIN (SELECT n.cancellation_id, n.booking_id, MIN(m.done_at) AS told FROM cancellation_notice n
                      JOIN sms_message m ON m.booking_id = n.booking_id AND m.kind = 'HOSPITAL_CANCELLATION'
                      WHERE m.status = 'DELIVERED' GROUP BY n.cancellation_id, n.booking_id) t ON t.cancellation_id = c.id
                WHERE c.id = ?""", Long.class, done.cancellationId());
        assertThat(line.cancelled()).isEqualTo(30);
        assertThat(line.told()).isEqualTo(30);
        assertThat(line.delivered()).isEqualTo(30);
        assertThat(line.moved()).isEqualTo(1);
        assertThat(line.elders()).isEqualTo(eldersExpected);
        assertThat(line.eldersReached()).isEqualTo(1);
        assertThat(line.maxSecondsToTell()).isEqualTo(maxTell).isBetween(0L, 60L);
        assertThat(line.meanSecondsToTell()).isBetween(0L, maxTell);
        String csv = new String(reports.csv(new ReportRange(day, day, hospital)), StandardCharsets.UTF_8);
        assertThat(csv).contains(day + ",测试").contains(",医生临时停诊,admin-closure,").contains(",30,30,30,");
        System.out.printf("[停诊] 30 bookings cancelled in %d ms; %d SMS to %d phones; slowest patient told after %d s"
                + " (mean %d s); %d elders on the worklist%n", cancelMs, sms.size(), phones, maxTell,
                line.meanSecondsToTell(), eldersExpected);
    }

    @Test
    void aCancellationRacingNewBookingsLeavesNoBookingAliveAndSellsNoPlace() throws Exception {
        List<Long> slots = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slots.add(fx.slot(dept, day.atTime(14, 0).plusMinutes(30L * i), 0, 0, 40));
        }
        // two callers hold a place and have not confirmed when the hospital cancels
        List<Long> sitting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            sitting.add(((HoldOutcome.Held) booking.hold(slots.get(i), Channel.PHONE_MENU)).holdId());
        }
        int threads = 12;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicInteger bookedBefore = new AtomicInteger();
        AtomicInteger bookedAfter = new AtomicInteger();
        AtomicInteger refusedAfter = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        for (int t = 0; t < threads; t++) {
            int n = t;
            pool.submit(() -> {
                try {
                    go.await();
                    // book on until the cancellation has returned, then three more tries each
                    int after = 0;
                    for (int i = 0; after < 3 && i < 2000; i++) {
                        boolean wasCancelled = cancelled.get();
                        if (wasCancelled) {
                            after++;
                        }
                        BookingOutcome out = booking.book(slots.get((n + i) % slots.size()), null, new BookingRequest(0,
                                Fixtures.residentIdAged(30 + (n + i) % 60), Fixtures.mobile(), List.of(), null,
                                Channel.AGENT, "race-" + n, null));
                        if (out instanceof BookingOutcome.Booked) {
                            (wasCancelled ? bookedAfter : bookedBefore).incrementAndGet();
                        } else if (wasCancelled) {
                            refusedAfter.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
                return null;
            });
        }
        // and callers who hold a place and confirm a moment later, across the cancellation
        ExecutorService slow = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int n = t;
            slow.submit(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 40 && !cancelled.get(); i++) {
                        HoldOutcome h = booking.hold(slots.get((n + i) % slots.size()), Channel.PHONE_MENU);
                        if (!(h instanceof HoldOutcome.Held held)) {
                            continue;
                        }
                        Thread.sleep(20 + (n * 37 + i * 11) % 200);
                        if (booking.confirm(BookingRequest.phone(held.holdId(), Fixtures.residentIdAged(65),
                                Fixtures.mobile(), null, "slow-" + n)) instanceof BookingOutcome.Booked) {
                            bookedBefore.incrementAndGet();
                        } else {
                            booking.release(held.holdId());
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
                return null;
            });
        }
        var cancel = pool.submit(() -> {
            go.await();
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (bookedBefore.get() < 20 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            SessionCancellations.Result r = cancellations.cancel("admin-race", hospital, dept, day, Period.AFTERNOON,
                    "临时放假");
            cancelled.set(true);
            return r;
        });
        go.countDown();
        SessionCancellations.Result r = cancel.get(120, TimeUnit.SECONDS);
        pool.shutdown();
        slow.shutdown();
        assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
        assertThat(slow.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
        assertThat(errors).isEmpty();
        assertThat(r).isInstanceOf(SessionCancellations.Result.Done.class);
        SessionCancellations.Result.Done done = (SessionCancellations.Result.Done) r;
        String in = String.join(",", slots.stream().map(String::valueOf).toList());
        // the sitting callers' places were released: confirming now is refused, nothing is booked
        assertThat(done.holdsReleased()).isGreaterThanOrEqualTo(2);
        for (long h : sitting) {
            assertThat(booking.confirm(BookingRequest.phone(h, Fixtures.residentIdAged(70), Fixtures.mobile(), null,
                    "sitting"))).isEqualTo(new BookingOutcome.Refused(Refusal.HOLD_EXPIRED));
        }
        LocalDateTime doneAt = jdbc.queryForObject("SELECT done_at FROM session_cancellation WHERE id = ?",
                LocalDateTime.class, done.cancellationId());
        // no booking survives, no place is held or booked
        assertThat(count("SELECT COUNT(*) FROM booking WHERE slot_id IN (" + in + ") AND status <> 'CANCELLED'")).isZero();
        assertThat(count("SELECT COUNT(*) FROM hold WHERE slot_id IN (" + in + ") AND status = 'ACTIVE'")).isZero();
        assertThat(count("SELECT COALESCE(SUM(held), 0) + COALESCE(SUM(booked), 0) FROM quota_pool WHERE slot_id IN ("
                + in + ")")).isZero();
        // no booking was confirmed after the sweep ended (any would still be ACTIVE, above)
        assertThat(count("SELECT COUNT(*) FROM booking WHERE slot_id IN (" + in + ") AND created_at > ?", doneAt)).isZero();
        assertThat(bookedAfter.get()).as("bookings confirmed after the cancellation returned").isZero();
        assertThat(refusedAfter.get()).as("attempts after the cancellation, all refused").isPositive();
        // every booking the race made is a HOSPITAL cancellation with its notice (told), and only those
        long made = count("SELECT COUNT(*) FROM booking WHERE slot_id IN (" + in + ")");
        assertThat(made).isPositive().isEqualTo(bookedBefore.get());
        assertThat(count("SELECT COUNT(*) FROM booking WHERE slot_id IN (" + in + ") AND cancel_reason = 'HOSPITAL'"))
                .isEqualTo(made);
        assertThat(count("SELECT COUNT(*) FROM cancellation_notice WHERE cancellation_id = ?", done.cancellationId()))
                .isEqualTo(made).isEqualTo(done.bookingsCancelled());
        System.out.printf("[停诊 race] %d threads: %d booked before the close (all cancelled), %d holds released,"
                + " %d refused after it, 0 resold%n", threads, made, done.holdsReleased(), refusedAfter.get());
    }

    private static Set<String> allowedPhones(Patient p) {
        Set<String> s = new HashSet<>(p.family());
        s.add(p.sms());
        return s;
    }

    private long count(String sql, Object... args) {
        Long n = jdbc.queryForObject(sql, Long.class, args);
        return n == null ? 0 : n;
    }

    private static void await(String what, java.util.function.BooleanSupplier done) {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
