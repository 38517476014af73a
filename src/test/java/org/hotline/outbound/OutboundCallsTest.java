package org.hotline.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingEvents;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;
import org.hotline.ivr.agi.AsteriskCall;
import org.hotline.ivr.agi.FastAgiListener;
import org.hotline.outbound.ami.AmiLinks;
import org.hotline.outbound.ami.AmiProperties;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Outbound calls end to end: the gateway's scheduler claims a due call in MariaDB, sends {@code Originate} to the
 * test AMI peer ({@link AsteriskManagerPeer}); the test answers it as Asterisk would (OriginateResponse) and then
 * connects the answered channel's FastAGI session to the application's port exactly as the
 * {@code [hotline-outbound]} context does ({@code AGI(...,outbound,<token>)}), with the callee pressing keys
 * ({@link AsteriskCall}); the outcome is then read back with SQL of its own.
 */
@IntegrationTest
class OutboundCallsTest {

    private static final AtomicInteger EPOCH = new AtomicInteger();

    @Autowired FastAgiListener agi;
    @Autowired BookingService booking;
    @Autowired TransferLog transfers;
    @Autowired OutboundStore store;
    @Autowired OutboundCalls calls;
    @Autowired ReminderCalls reminders;
    @Autowired OutboundChecks checks;
    @Autowired QueueCalls queueCalls;
    @Autowired org.hotline.sms.SmsReplies smsReplies;
    @Autowired org.hotline.ops.report.SupervisionReports reports;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    AsteriskManagerPeer peer;
    AmiLinks links;
    final List<OutboundScheduler> schedulers = new ArrayList<>();
    LocalDateTime now;
    long dept;

    @BeforeEach
    void world() throws Exception {
        jdbc.update("DELETE FROM outbound_attempt");
        jdbc.update("DELETE FROM outbound_call");
        jdbc.update("DELETE FROM outbound_number_day");
        jdbc.update("DELETE FROM outbound_contact");
        now = LocalDateTime.of(2047, 3, 4, 10, 0).plusWeeks(2L * EPOCH.getAndIncrement());
        clock.set(now);
        dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
        peer = new AsteriskManagerPeer()
                .user("hotline", AsteriskManagerPeer.User.of("s3cret-ami", "call,agent", "originate,reporting"));
        links = new AmiLinks(new AmiProperties(List.of(new AmiProperties.Server("pbx1", "127.0.0.1", peer.port(),
                "hotline", "s3cret-ami")), "hotline-agents", Duration.ofMillis(200), Duration.ofSeconds(1),
                Duration.ofSeconds(5)), new StaticListableBeanFactory().getBeanProvider(MeterRegistry.class));
        links.start();
        AmiLinkTest.waitFor(() -> links.anyConnected().isPresent(), 10);
    }

    @AfterEach
    void close() throws Exception {
        schedulers.forEach(OutboundScheduler::shutdown);
        links.stop();
        peer.close();
        clock.reset();
    }

    OutboundScheduler node(String name, OutboundProperties props) {
        return node(name, props, 20);
    }

    OutboundScheduler node(String name, OutboundProperties props, int lines) {
        return node(name, props, lines, checks);
    }

    OutboundScheduler node(String name, OutboundProperties props, int lines, OutboundChecks checks) {
        OutboundCalls c = new OutboundCalls(store, props, clock, callbackAttemptsOf(), txOf());
        OutboundScheduler s = new OutboundScheduler(store, c, checks, new AmiDialer(links, props), props, clock, name,
                lines);
        schedulers.add(s);
        return s;
    }

    @Autowired org.hotline.handoff.CallbackAttempts callbackAttempts;
    @Autowired org.springframework.transaction.support.TransactionTemplate tx;

    org.hotline.handoff.CallbackAttempts callbackAttemptsOf() {
        return callbackAttempts;
    }

    org.springframework.transaction.support.TransactionTemplate txOf() {
        return tx;
    }

    static OutboundProperties props() {
        return OutboundProperties.defaults();
    }

    /** A booking for tomorrow 09:00 made from {@code calling}, its SMS to a mobile. */
    Booking booked(String calling) {
        return booked(calling, 1);
    }

    Booking booked(String calling, int daysAhead) {
        long slot = fx.slot(dept, now.toLocalDate().plusDays(daysAhead).atTime(9, 0).plusMinutes(EPOCH.incrementAndGet() % 50),
                1, 0, 5);
        return ((BookingOutcome.Booked) booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(70),
                Fixtures.mobile(), List.of(), calling, Channel.PHONE_MENU, "test", null))).booking();
    }

    static String landline() {
        return String.format("010%08d", (System.nanoTime() / 1000) % 100_000_000);
    }

    AsteriskCall.Builder answeredCall(AsteriskManagerPeer.Originate o) {
        String token = o.variables().get("HOTLINE_OUTBOUND_TOKEN");
        // [hotline-outbound]: AGI(${HOTLINE_AGI_1},outbound,${HOTLINE_OUTBOUND_TOKEN}); the channel's caller ID is ours
        return AsteriskCall.to(agi.port()).callerId("12320").args(List.of("outbound", token))
                .installed(AsteriskCall::repositoryPrompt);
    }

    static List<String> ids(AsteriskCall.Transcript t) {
        return t.sounds.stream().map(s -> s.substring(s.lastIndexOf('/') + 1)).toList();
    }

    Map<String, Object> callRow(long id) {
        return jdbc.queryForMap("SELECT status, attempts, outcome, next_try_at FROM outbound_call WHERE id = ?", id);
    }

    void waitForStatus(long id, String status) throws InterruptedException {
        AmiLinkTest.waitFor(() -> status.equals(jdbc.queryForObject("SELECT status FROM outbound_call WHERE id = ?",
                String.class, id)), 10);
    }

    // ------------------------------------------------------------------ reminders

    @Test
    void aLandlineBookingGetsAReminderCallAndKeepsItsBookingWithKeyOne() throws Exception {
        String phone = landline();
        Booking b = booked(phone);
        reminders.on(new BookingEvents.ReminderDue(b));
        long id = store.find(Purpose.REMINDER, String.valueOf(b.id())).orElseThrow().id();

        assertThat(node("gw1", props()).poll()).isEqualTo(1);
        AsteriskManagerPeer.Originate o = peer.nextOriginate(10);
        assertThat(o).isNotNull();
        assertThat(o.header("Channel")).isEqualTo("PJSIP/" + phone + "@carrier-trunk");
        assertThat(o.header("Context")).isEqualTo("hotline-outbound");
        assertThat(o.header("Exten")).isEqualTo("s");
        assertThat(o.header("Async")).isEqualToIgnoringCase("true");
        assertThat(o.variables()).containsEntry("HOTLINE_PURPOSE", "REMINDER");
        assertThat(o.variables().get("HOTLINE_OUTBOUND_TOKEN")).matches("[0-9a-f]{32}");
        String uid = o.respond(4);

        AsteriskCall.Transcript t = answeredCall(o).uniqueId(uid).keys("1").run();
        assertThat(t.error).isNull();
        assertThat(ids(t)).startsWith("reminder_intro").contains("reminder_keys", "reminder_kept", "outbound_goodbye");
        waitForStatus(id, "DONE");
        assertThat(jdbc.queryForMap("SELECT outcome, keys_pressed, node, via FROM outbound_attempt WHERE call_id = ?"
                + " AND answered_at IS NOT NULL AND ended_at IS NOT NULL", id)).containsEntry("outcome", "ANSWERED")
                .containsEntry("keys_pressed", "1").containsEntry("node", "gw1").containsEntry("via", "AMI");
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ACTIVE);

        // the token was for one answer: Asterisk (or anyone) presenting it again gets no prompt
        AsteriskCall.Transcript replay = answeredCall(o).keys("2").run();
        assertThat(replay.sounds).isEmpty();
    }

    @Test
    void twoThenOneCancelsTheBookingAndNineOptsTheNumberOutEverywhere() throws Exception {
        String phone = landline();
        Booking b = booked(phone);
        Booking other = booked(phone);
        reminders.on(new BookingEvents.ReminderDue(b));
        OutboundScheduler gw = node("gw1", props());
        gw.poll();
        AsteriskManagerPeer.Originate o = peer.nextOriginate(10);
        o.respond(4);
        AsteriskCall.Transcript t = answeredCall(o).keys("2").keys("1").run();
        assertThat(ids(t)).contains("cancel_confirm", "cancelled");
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.CANCELLED);

        // the other booking's reminder: the person presses 9
        clock.set(now.plusMinutes(5));
        reminders.on(new BookingEvents.ReminderDue(other));
        long otherCall = store.find(Purpose.REMINDER, String.valueOf(other.id())).orElseThrow().id();
        // a call to the same number queued for another purpose, not placed yet
        long queued = calls.request(Purpose.WAITLIST_OFFER, "w-" + other.id(), phone, now.plusHours(3),
                now.plusDays(1)).orElseThrow();
        gw.poll();
        AsteriskManagerPeer.Originate o2 = peer.nextOriginate(10);
        o2.respond(4);
        AsteriskCall.Transcript t2 = answeredCall(o2).keys("9").run();
        assertThat(ids(t2)).contains("outbound_opted_out");
        waitForStatus(otherCall, "OPTED_OUT");
        assertThat(jdbc.queryForObject("SELECT opted_out_via FROM outbound_contact WHERE number = ?", String.class,
                phone)).isEqualTo("KEY");
        assertThat(jdbc.queryForObject("SELECT status FROM outbound_call WHERE id = ?", String.class, queued))
                .isEqualTo("OPTED_OUT");
        // honoured everywhere: nothing new is queued for the number, and nothing is dialled
        assertThat(calls.request(Purpose.REMINDER, "x-" + other.id(), phone, Duration.ofHours(5))).isEmpty();
        clock.set(now.plusHours(4));
        gw.poll();
        assertThat(peer.nextOriginate(1)).isNull();
        assertThat(booking.findById(other.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ACTIVE);
    }

    @Test
    void busyAndNoAnswerAreTriedAgainWithBackOffUpToTheLimitAndSilenceCountsAsNotReached() throws Exception {
        Booking b = booked(landline());
        reminders.on(new BookingEvents.ReminderDue(b));
        long id = store.find(Purpose.REMINDER, String.valueOf(b.id())).orElseThrow().id();
        OutboundScheduler gw = node("gw1", props());

        gw.poll();
        peer.nextOriginate(10).respond(5); // busy
        waitForStatus(id, "PENDING");
        assertThat(callRow(id)).containsEntry("attempts", 1).containsEntry("outcome", "BUSY");
        assertThat(((java.sql.Timestamp) callRow(id).get("next_try_at")).toLocalDateTime()).isEqualTo(now.plusMinutes(15));
        assertThat(gw.poll()).as("not due before the back-off").isZero();

        clock.set(now.plusMinutes(15));
        gw.poll();
        AsteriskManagerPeer.Originate o = peer.nextOriginate(10);
        o.respond(4);
        AsteriskCall.Transcript t = answeredCall(o).silence().silence().silence().run();
        assertThat(ids(t)).doesNotContain("offer_person", "transfer_now");
        waitForStatus(id, "PENDING");
        assertThat(callRow(id)).containsEntry("attempts", 2).containsEntry("outcome", "SILENCE");
        assertThat(((java.sql.Timestamp) callRow(id).get("next_try_at")).toLocalDateTime())
                .isEqualTo(now.plusMinutes(15 + 30));

        clock.set(now.plusMinutes(45));
        gw.poll();
        peer.nextOriginate(10).respond(3); // rang out
        waitForStatus(id, "GAVE_UP");
        assertThat(jdbc.queryForList("SELECT outcome FROM outbound_attempt WHERE call_id = ? ORDER BY attempt_no",
                String.class, id)).containsExactly("BUSY", "SILENCE", "NO_ANSWER");
        clock.set(now.plusHours(5));
        assertThat(gw.poll()).isZero();
    }

    // ------------------------------------------------------------------ the rules

    @Test
    void noCallStartsInTheQuietHoursAndTheyAreConfigurable() throws Exception {
        clock.set(now.toLocalDate().atTime(19, 59));
        // the day after tomorrow: a reminder queued at 20:00 for a booking at 09:00 tomorrow could never be placed
        // (quiet until 08:00, and no later than two hours before the booking): it expires unplaced
        Booking b = booked(landline(), 2);
        clock.set(now.toLocalDate().atTime(20, 0));
        reminders.on(new BookingEvents.ReminderDue(b));
        long id = store.find(Purpose.REMINDER, String.valueOf(b.id())).orElseThrow().id();
        assertThat(((java.sql.Timestamp) callRow(id).get("next_try_at")).toLocalDateTime())
                .as("queued at 20:00: due at 08:00 the next morning").isEqualTo(now.toLocalDate().plusDays(1).atTime(8, 0));
        OutboundScheduler gw = node("gw1", props());
        for (LocalTime t : List.of(LocalTime.of(20, 0), LocalTime.of(23, 30), LocalTime.of(3, 0), LocalTime.of(7, 59))) {
            LocalDateTime at = (t.isAfter(LocalTime.NOON) ? now.toLocalDate() : now.toLocalDate().plusDays(1)).atTime(t);
            clock.set(at);
            // even a call that is due (made due by hand) waits in the quiet hours
            jdbc.update("UPDATE outbound_call SET next_try_at = ? WHERE id = ?", java.sql.Timestamp.valueOf(at), id);
            assertThat(gw.poll()).as("at " + t).isZero();
        }
        assertThat(peer.originates()).isEmpty();
        clock.set(now.toLocalDate().plusDays(1).atTime(8, 0));
        assertThat(gw.poll()).isEqualTo(1);
        peer.nextOriginate(10).respond(5);
        waitForStatus(id, "PENDING");

        // configured 09:00–18:00 calling only: 08:30 is quiet now
        OutboundProperties narrow = new OutboundProperties(null, null, LocalTime.of(18, 0), LocalTime.of(9, 0), null,
                null, null, null, null, null, null, null, null, null, null);
        clock.set(now.toLocalDate().plusDays(1).atTime(8, 30));
        jdbc.update("UPDATE outbound_call SET next_try_at = ? WHERE id = ?", java.sql.Timestamp.valueOf(
                now.toLocalDate().plusDays(1).atTime(8, 30)), id);
        assertThat(node("gw2", narrow).poll()).isZero();
    }

    @Test
    void aNumberGetsAtMostItsDailyCapOfCallsTheRestWaitForTomorrow() throws Exception {
        String phone = landline();
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Booking b = booked(phone);
            reminders.on(new BookingEvents.ReminderDue(b));
            ids.add(store.find(Purpose.REMINDER, String.valueOf(b.id())).orElseThrow().id());
        }
        OutboundScheduler gw = node("gw1", props()); // 3 a number a day
        gw.poll();
        for (int i = 0; i < 3; i++) {
            peer.nextOriginate(10).respond(5);
        }
        assertThat(peer.nextOriginate(2)).as("the fourth call today").isNull();
        AmiLinkTest.waitFor(() -> gw.inFlight() == 0, 10);
        assertThat(jdbc.queryForObject("SELECT calls FROM outbound_number_day WHERE number = ? AND day = ?",
                Integer.class, phone, now.toLocalDate())).isEqualTo(3);
        Map<String, Object> waiting = jdbc.queryForMap("SELECT id, attempts, next_try_at FROM outbound_call"
                + " WHERE number = ? AND outcome IS NULL", phone);
        assertThat(waiting).containsEntry("attempts", 0);
        assertThat(((java.sql.Timestamp) waiting.get("next_try_at")).toLocalDateTime())
                .isEqualTo(now.toLocalDate().plusDays(1).atTime(8, 0));
    }

    /** Two gateway nodes on the same database poll at the same moment: every call is placed exactly once. */
    @Test
    void twoNodesNeverPlaceTheSameCall() throws Exception {
        Set<String> numbers = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            String n = String.format("0755%08d", 10_000_000 + EPOCH.get() * 100 + i);
            numbers.add(n);
            calls.request(Purpose.WAITLIST_OFFER, "two-nodes-" + n, n, now, now.plusHours(5));
        }
        // ten lines each: neither node can take every call in one poll; both poll every 20 ms, as fast as they can
        // (the calls are about no real waiting-list entry: the claim is what is tested, so every call may go)
        OutboundChecks go0 = new OutboundChecks(booking, transfers, () -> true);
        OutboundScheduler a = node("gw-a", props(), 10, go0);
        OutboundScheduler b = node("gw-b", props(), 10, go0);
        CountDownLatch go = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> pollers = new ArrayList<>();
        for (OutboundScheduler s : List.of(a, b)) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    while (!done.get()) {
                        s.poll();
                        Thread.sleep(20);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            pollers.add(t);
        }
        go.countDown();
        Map<String, Integer> dialled = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            AsteriskManagerPeer.Originate o = peer.nextOriginate(15);
            assertThat(o).as("originate " + i).isNotNull();
            dialled.merge(o.header("Channel"), 1, Integer::sum);
            Thread.sleep(10); // ringing
            o.respond(3);
        }
        AmiLinkTest.waitFor(() -> a.inFlight() == 0 && b.inFlight() == 0, 10);
        Thread.sleep(200); // more polls: nothing is due any more (each call now waits for its back-off)
        done.set(true);
        for (Thread t : pollers) {
            t.join();
        }
        assertThat(peer.nextOriginate(1)).isNull();
        assertThat(dialled).hasSize(30).allSatisfy((ch, n) -> assertThat(n).as(ch).isEqualTo(1));
        AmiLinkTest.waitFor(() -> a.inFlight() == 0 && b.inFlight() == 0, 10);
        // independent SQL: one attempt per call, each by one of the two nodes, and both nodes took a share
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM outbound_attempt", Integer.class)).isEqualTo(30);
        assertThat(jdbc.queryForObject("SELECT COUNT(DISTINCT call_id) FROM outbound_attempt", Integer.class)).isEqualTo(30);
        assertThat(jdbc.queryForList("SELECT DISTINCT node FROM outbound_attempt", String.class))
                .containsExactlyInAnyOrder("gw-a", "gw-b");
    }

    /** An SMS reply saying "no more calls" ends queued calls (the console's way: agent.OptOutConsoleTest). */
    @Test
    void optOutBySmsReplyIsHonoured() throws Exception {
        String bySms = Fixtures.mobile();
        long queued2 = calls.request(Purpose.WAITLIST_OFFER, "s-" + bySms, bySms, now.plusHours(1), now.plusDays(1))
                .orElseThrow();
        org.hotline.sms.SmsReplyDriver.reply(smsReplies, bySms, "退订电话");
        assertThat(calls.optedOut(bySms)).isTrue();
        assertThat(jdbc.queryForObject("SELECT status FROM outbound_call WHERE id = ?", String.class, queued2))
                .isEqualTo("OPTED_OUT");
        assertThat(jdbc.queryForObject("SELECT opted_out_via FROM outbound_contact WHERE number = ?", String.class,
                bySms)).isEqualTo("SMS");
        node("gw1", props()).poll();
        assertThat(peer.nextOriginate(1)).isNull();
    }


    @Autowired org.hotline.booking.SessionCancellations cancellations;

    /**
     * Issue 18, 停诊 over the wire: a hospital cancels the session of a booking made from a landline; the gateway
     * queues a call (next to the SMS), places it over AMI, and the answered call (FastAGI, [hotline-outbound]) says
     * the booking is cancelled, offers the place the 停诊 found, and key 1 moves the booking there.
     */
    @Test
    void aSessionCancelledLandlineBookingIsCalledWithItsOfferAndKeyOneMovesIt() throws Exception {
        String phone = landline();
        Booking b = booked(phone);
        long free = fx.slot(dept, now.toLocalDate().plusDays(2).atTime(10, 0), 1, 0, 5);
        cancellations.cancel("admin-test", b.facilityId(), dept, b.date(), org.hotline.booking.Period.MORNING,
                "医生临时停诊");
        long id = store.find(Purpose.SESSION_CANCELLED, String.valueOf(b.id())).orElseThrow().id();

        node("gw1", props()).poll();
        AsteriskManagerPeer.Originate o = peer.nextOriginate(10);
        assertThat(o.variables()).containsEntry("HOTLINE_PURPOSE", "SESSION_CANCELLED");
        String uid = o.respond(4);
        AsteriskCall.Transcript t = answeredCall(o).uniqueId(uid).keys("1").run();

        assertThat(t.error).isNull();
        assertThat(ids(t)).startsWith("sc_intro").contains("sc_offer", "sc_keys", "sc_moved", "outbound_goodbye");
        waitForStatus(id, "DONE");
        Booking moved = booking.findById(jdbc.queryForObject(
                "SELECT moved_booking_id FROM cancellation_notice WHERE booking_id = ?", Long.class, b.id())).orElseThrow();
        assertThat(moved.slotId()).isEqualTo(free);
        assertThat(moved.status()).isEqualTo(Booking.BookingStatus.ACTIVE);
    }

    @Autowired org.hotline.booking.Waitlist waitlist;

    /**
     * Issue 18, 候补 over the wire: someone who called from a landline waits for a service; a place is held for them
     * (the SMS goes to their mobile) and the gateway also calls the landline: the place is spoken and key 1 books it.
     */
    @Test
    void aWaitlistPlaceIsOfferedByTelephoneToALandlineAndKeyOneBooksIt() throws Exception {
        String phone = landline();
        long place = fx.slot(dept, now.toLocalDate().plusDays(1).atTime(11, 0), 1, 0, 1);
        var joined = waitlist.join(dept, Fixtures.residentIdAged(74), null, Fixtures.mobile(), phone);
        long entry = ((org.hotline.booking.Waitlist.JoinOutcome.Joined) joined).entryId();
        assertThat(waitlist.status(entry)).hasValue("OFFERED");
        long id = store.find(Purpose.WAITLIST_OFFER, String.valueOf(entry)).orElseThrow().id();

        node("gw1", props()).poll();
        AsteriskManagerPeer.Originate o = peer.nextOriginate(10);
        assertThat(o.header("Channel")).isEqualTo("PJSIP/" + phone + "@carrier-trunk");
        assertThat(o.variables()).containsEntry("HOTLINE_PURPOSE", "WAITLIST_OFFER");
        String uid = o.respond(4);
        AsteriskCall.Transcript t = answeredCall(o).uniqueId(uid).keys("1").run();

        assertThat(t.error).isNull();
        assertThat(ids(t)).startsWith("wlo_intro").contains("wlo_keys", "wlo_booked", "outbound_goodbye");
        waitForStatus(id, "DONE");
        assertThat(waitlist.status(entry)).hasValue("BOOKED");
        assertThat(jdbc.queryForObject("SELECT b.slot_id FROM booking b JOIN waitlist_entry w ON w.booking_id = b.id"
                + " WHERE w.id = ?", Long.class, entry)).isEqualTo(place);
    }

    // ------------------------------------------------------------------ call-backs

    @Test
    void aCallBackWaitsForAFreeAgentThenPutsThePersonFirstInLineWithTheirTransfer() throws Exception {
        String caller = Fixtures.mobile();
        TransferContext ctx = new TransferContext("Tcb" + System.nanoTime(), "1747000000.1", caller,
                org.hotline.booking.PhoneNumber.mask(caller), null, 82, TransferReason.ASKED_FOR_PERSON, "main", "menu",
                Map.of("菜单", "预约挂号"), 10, now);
        long requestId = transfers.requestCallbackOrDefer(ctx, "LONG_WAIT");
        assertThat(OutboundNode.queueCallbacks(calls, transfers, clock)).isGreaterThanOrEqualTo(1);
        long id = store.find(Purpose.CALLBACK, String.valueOf(requestId)).orElseThrow().id();
        OutboundChecks live = new OutboundChecks(booking, transfers, () -> links.queueSummary()
                .map(q -> q.available() > q.callers()).orElse(false));
        OutboundProperties p = props();
        OutboundCalls c = new OutboundCalls(store, p, clock, callbackAttempts, tx);
        OutboundScheduler gw = new OutboundScheduler(store, c, live, new AmiDialer(links, p), p, clock, "gw1", 5);
        schedulers.add(gw);

        peer.queue(new AsteriskManagerPeer.QueueState("hotline-agents", 2, 0, 1, 30, 30));
        gw.poll();
        AmiLinkTest.waitFor(() -> gw.inFlight() == 0, 10);
        assertThat(peer.originates()).as("no agent free: nobody is called yet").isEmpty();
        assertThat(callRow(id)).containsEntry("status", "PENDING").containsEntry("attempts", 0);

        peer.queue(new AsteriskManagerPeer.QueueState("hotline-agents", 2, 1, 0, 0, 0));
        clock.set(now.plusSeconds(30));
        gw.poll();
        AsteriskManagerPeer.Originate o = peer.nextOriginate(10);
        assertThat(o.variables()).containsEntry("HOTLINE_PURPOSE", "CALLBACK");
        assertThat(o.header("Channel")).isEqualTo("PJSIP/" + caller + "@carrier-trunk");
        o.respond(4);
        AsteriskCall.Transcript t = answeredCall(o).run();
        assertThat(ids(t)).containsExactly("callback_hello");
        assertThat(t.variables).containsEntry("HOTLINE_NEXT", "AGENT").containsEntry("QUEUE_PRIO", "100")
                .containsEntry("HOTLINE_TRANSFER_ID", ctx.transferId());
        waitForStatus(id, "DONE");
        assertThat(jdbc.queryForMap("SELECT username, outcome FROM callback_attempt WHERE callback_id = ?", requestId))
                .containsEntry("username", OutboundCalls.CALLBACK_USER).containsEntry("outcome", "REACHED");
        assertThat(jdbc.queryForObject("SELECT status FROM callback_request WHERE id = ?", String.class, requestId))
                .isEqualTo("DONE");
    }

    @Test
    void anAnsweredCallWithAnUnknownTokenHearsNothing() throws Exception {
        AsteriskCall.Transcript t = AsteriskCall.to(agi.port()).callerId("12320")
                .args(List.of("outbound", "0123456789abcdef0123456789abcdef")).keys("1").run();
        assertThat(t.sounds).isEmpty();
        assertThat(t.serverHungUp || t.serverClosed).isTrue();
    }

    /** The long-wait call-back offer reads the live queue when AMI is configured, else the other estimate. */
    @Test
    void theLongWaitOfferUsesTheLiveQueue() {
        StaticListableBeanFactory withAmi = new StaticListableBeanFactory();
        withAmi.addBean("ami", links);
        StaticListableBeanFactory estimate = new StaticListableBeanFactory();
        estimate.addBean("console", (org.hotline.ivr.AgentQueue) () -> Duration.ofMinutes(7));
        LiveQueue live = new LiveQueue(withAmi.getBeanProvider(AmiLinks.class),
                estimate.getBeanProvider(org.hotline.ivr.AgentQueue.class));
        peer.queue(new AsteriskManagerPeer.QueueState("hotline-agents", 3, 2, 1, 40, 10));
        assertThat(live.expectedWait()).isEqualTo(Duration.ZERO);
        peer.queue(new AsteriskManagerPeer.QueueState("hotline-agents", 3, 0, 4, 95, 240));
        assertThat(live.expectedWait()).isEqualTo(Duration.ofSeconds(240));
        peer.queue(new AsteriskManagerPeer.QueueState("hotline-agents", 0, 0, 1, 0, 30));
        assertThat(live.expectedWait()).isEqualTo(Duration.ofHours(1));
        LiveQueue noAmi = new LiveQueue(new StaticListableBeanFactory().getBeanProvider(AmiLinks.class),
                estimate.getBeanProvider(org.hotline.ivr.AgentQueue.class));
        assertThat(noAmi.expectedWait()).isEqualTo(Duration.ofMinutes(7));
    }

    @Autowired org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups healthGroups;

    /**
     * Issue 18: an Asterisk whose manager is away makes the {@code ami} component DEGRADED, which leaves the node's
     * {@code /actuator/health} UP (200: the node still takes calls over FastAGI) and readiness untouched, while the
     * group {@code /actuator/health/asterisk} reads DEGRADED with 503 for the outbound calls' monitoring. A DOWN
     * component still makes the node DOWN.
     */
    @Test
    void anAsteriskAwayLeavesTheNodeUpAndShowsInTheAsteriskGroup() throws Exception {
        StaticListableBeanFactory withAmi = new StaticListableBeanFactory();
        withAmi.addBean("ami", links);
        org.hotline.ops.monitoring.AmiHealth health = new org.hotline.ops.monitoring.AmiHealth(
                withAmi.getBeanProvider(AmiLinks.class));
        assertThat(health.health().getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.UP);
        peer.close();
        AmiLinkTest.waitFor(() -> links.anyConnected().isEmpty(), 10);
        org.springframework.boot.health.contributor.Health away = health.health();
        assertThat(away.getStatus()).isEqualTo(org.hotline.ops.monitoring.AmiHealth.DEGRADED);
        assertThat(away.getDetails()).containsEntry("away", 1).containsKey("asterisks");

        var up = org.springframework.boot.health.contributor.Status.UP;
        var primary = healthGroups.getPrimary();
        var overall = primary.getStatusAggregator().getAggregateStatus(Set.of(up, away.getStatus()));
        assertThat(overall).isEqualTo(up);
        assertThat(primary.getHttpCodeStatusMapper().getStatusCode(overall)).isEqualTo(200);
        assertThat(primary.getStatusAggregator().getAggregateStatus(
                Set.of(org.springframework.boot.health.contributor.Status.DOWN, away.getStatus())))
                .isEqualTo(org.springframework.boot.health.contributor.Status.DOWN);
        assertThat(healthGroups.get("readiness").isMember("ami")).isFalse();
        var group = healthGroups.get("asterisk");
        assertThat(group.isMember("ami")).isTrue();
        var asterisk = group.getStatusAggregator().getAggregateStatus(Set.of(away.getStatus()));
        assertThat(asterisk).isEqualTo(org.hotline.ops.monitoring.AmiHealth.DEGRADED);
        assertThat(group.getHttpCodeStatusMapper().getStatusCode(asterisk)).isEqualTo(503);
    }

    // ------------------------------------------------------------------ the queue's real figures

    /**
     * app_queue.c's events as the AMI peer sends them become one queue_call row per caller, and the bureau's
     * report (by hour and age band) says what was fed in; the rows themselves are checked with SQL of this test.
     */
    @Test
    void queueEventsBecomeTheReportsAnswerAndAbandonmentFigures() throws Exception {
        queueCalls.listenTo(links);
        java.time.LocalDate day = now.toLocalDate().plusDays(3);
        String p = "q" + EPOCH.get() + "-";
        // who is who: the caller's age comes from their transfer (call id = the channel's Uniqueid)
        transfer(p + "a", 85);
        transfer(p + "b", 70);
        transfer(p + "c", 86);
        transfer(p + "e", 40);

        clock.set(day.atTime(10, 5));
        peer.callerJoin("hotline-agents", p + "a", 1, 1);
        peer.callerJoin("hotline-agents", p + "b", 2, 2);
        peer.callerJoin("hotline-agents", p + "c", 3, 3);
        peer.callerJoin("other-queue", p + "x", 1, 1); // not the agents' queue: ignored
        waitRows(p, 3);
        peer.agentConnect("hotline-agents", p + "a", "PJSIP/agent8001", 12, 2);
        peer.callerLeave("hotline-agents", p + "a", 1, 2);
        peer.agentConnect("hotline-agents", p + "b", "PJSIP/agent8002", 30, 4);
        peer.callerLeave("hotline-agents", p + "b", 1, 1);
        peer.callerAbandon("hotline-agents", p + "c", 1, 3, 45);
        peer.callerLeave("hotline-agents", p + "c", 1, 0);
        AmiLinkTest.waitFor(() -> jdbc.queryForObject("SELECT COUNT(*) FROM queue_call WHERE uniqueid LIKE ?"
                + " AND left_at IS NOT NULL", Integer.class, p + "%") == 3, 10);

        clock.set(day.atTime(11, 40));
        peer.callerJoin("hotline-agents", p + "d", 1, 1);
        peer.callerJoin("hotline-agents", p + "e", 2, 2);
        waitRows(p, 5);
        peer.callerAbandon("hotline-agents", p + "d", 1, 1, 20);
        peer.callerLeave("hotline-agents", p + "d", 1, 1);
        peer.agentConnect("hotline-agents", p + "e", "PJSIP/agent8001", 8, 3);
        // a second AgentConnect for the same caller (another node heard it too) changes nothing
        peer.agentConnect("hotline-agents", p + "e", "PJSIP/agent8003", 99, 9);
        peer.callerLeave("hotline-agents", p + "e", 1, 0);
        AmiLinkTest.waitFor(() -> jdbc.queryForObject("SELECT COUNT(*) FROM queue_call WHERE uniqueid LIKE ?"
                + " AND left_at IS NOT NULL", Integer.class, p + "%") == 5, 10);

        // independent SQL over the rows
        assertThat(jdbc.queryForMap("""
                SELECT COUNT(*) AS joined, SUM(connected_at IS NOT NULL) AS answered, SUM(abandoned) AS abandoned,
                       SUM(CASE WHEN connected_at IS NOT NULL THEN hold_seconds END) AS answer_wait,
                       SUM(CASE WHEN abandoned = 1 THEN hold_seconds END) AS abandon_wait
                FROM queue_call WHERE uniqueid LIKE ?""", p + "%"))
                .satisfies(m -> {
                    assertThat(((Number) m.get("joined")).intValue()).isEqualTo(5);
                    assertThat(((Number) m.get("answered")).intValue()).isEqualTo(3);
                    assertThat(((Number) m.get("abandoned")).intValue()).isEqualTo(2);
                    assertThat(((Number) m.get("answer_wait")).intValue()).isEqualTo(12 + 30 + 8);
                    assertThat(((Number) m.get("abandon_wait")).intValue()).isEqualTo(45 + 20);
                });
        assertThat(jdbc.queryForObject("SELECT member_name FROM queue_call WHERE uniqueid = ?", String.class, p + "e"))
                .isEqualTo("PJSIP/agent8001");

        var figures = reports.queue(new org.hotline.ops.report.ReportRange(day, day, null));
        assertThat(figures).extracting(f -> f.hour() + " " + f.ageBand() + " joined=" + f.joined() + " answered="
                + f.answered() + " wait=" + f.avgSecondsToAnswer() + " max=" + f.maxSecondsToAnswer() + " abandoned="
                + f.abandoned() + " abandonWait=" + f.avgAbandonWait())
                .containsExactly(
                        "10 FROM_60_TO_79 joined=1 answered=1 wait=30.0 max=30 abandoned=0 abandonWait=null",
                        "10 FROM_80 joined=2 answered=1 wait=12.0 max=12 abandoned=1 abandonWait=45.0",
                        "11 UNDER_60 joined=1 answered=1 wait=8.0 max=8 abandoned=0 abandonWait=null",
                        "11 UNKNOWN joined=1 answered=0 wait=null max=null abandoned=1 abandonWait=20.0");
    }

    void transfer(String callId, int age) {
        transfers.record(new TransferContext("T" + callId.replace("-", ""), callId, "13800138000", "138****8000",
                null, age, TransferReason.ASKED_FOR_PERSON, "main", "menu", Map.of(), 5, now));
    }

    void waitRows(String prefix, int n) throws InterruptedException {
        AmiLinkTest.waitFor(() -> jdbc.queryForObject("SELECT COUNT(*) FROM queue_call WHERE uniqueid LIKE ?",
                Integer.class, prefix + "%") == n, 10);
    }
}
