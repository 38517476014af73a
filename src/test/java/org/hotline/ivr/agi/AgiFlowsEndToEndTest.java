package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.ResidentId;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Every flow of the hotline, end to end: the application's FastAGI port, the real flow engine and
 * flows, the real booking core on the embedded MariaDB, and on the other side of the socket a
 * simulated Asterisk ({@link AsteriskCall}) that has exactly the prompts of {@code prompts/zh-CN}
 * installed and a caller answering each question from what they just heard.
 */
@IntegrationTest
class AgiFlowsEndToEndTest {

    private static final AtomicInteger EPOCH = new AtomicInteger();

    @Autowired FastAgiListener agi;
    @Autowired BookingService booking;
    @Autowired TransferLog transfers;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    LocalDateTime now;
    long dept;
    long dept2;
    long oneDoseService;
    long twoDoseService;
    long firstSlot;

    /** A world of this test's own: a Monday no other test uses, so only its slots are open. */
    @BeforeEach
    void world() {
        now = LocalDateTime.of(2045, 1, 2, 10, 0).plusWeeks(4L * EPOCH.getAndIncrement());
        clock.set(now);
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        dept2 = fx.outpatientService(hospital);
        long clinic = fx.facility("VACCINATION_CLINIC");
        oneDoseService = fx.vaccineService(clinic, fx.vaccine(1, 0, 3, 150));
        twoDoseService = fx.vaccineService(clinic, fx.vaccine(2, 60, 50, 150));
        LocalDateTime tomorrow9 = now.toLocalDate().plusDays(1).atTime(9, 0);
        firstSlot = fx.slot(dept, tomorrow9, 1, 0, 5);
        for (long svc : new long[] {dept, dept2, oneDoseService, twoDoseService}) {
            for (int day = 1; day <= 3; day++) {
                for (LocalDateTime t = now.toLocalDate().plusDays(day).atTime(9, 0); t.getHour() < 11;
                        t = t.plusMinutes(30)) {
                    if (!(svc == dept && t.equals(tomorrow9))) {
                        fx.slot(svc, t, 1, 0, 5);
                    }
                }
            }
        }
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    String idAged(int years) {
        return Fixtures.residentId(now.toLocalDate().minusYears(years).minusDays(40));
    }

    static boolean installed(String sound) {
        return AsteriskCall.repositoryPrompt(sound);
    }

    /** Asterisk with the repository's prompts installed, and nothing else. */
    AsteriskCall.Builder asterisk(String callerId) {
        return AsteriskCall.to(agi.port()).callerId(callerId).installed(AgiFlowsEndToEndTest::installed);
    }

    /** Answers the questions in order, then hangs up. */
    static Function<AsteriskCall.Question, String> script(String... answers) {
        Deque<String> q = new ArrayDeque<>(List.of(answers));
        return question -> q.isEmpty() ? AsteriskCall.HANG_UP : q.poll();
    }

    /** 1 at every question, the ID when 18 keys are asked for. */
    static Function<AsteriskCall.Question, String> pressingOne(String id) {
        return q -> q.number() > 40 ? AsteriskCall.HANG_UP : q.maxKeys() == 18 ? id.replace('X', '*') : "1";
    }

    AsteriskCall.Transcript call(AsteriskCall.Builder b) throws InterruptedException {
        AsteriskCall.Transcript t = b.run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);
        assertThat(t.error).isNull();
        assertThat(t.sounds).as("every prompt the flows play is installed").allMatch(AgiFlowsEndToEndTest::installed);
        return t;
    }

    List<Booking> bookingsOf(String phone) {
        return booking.findByPhone(phone);
    }

    int heldPlaces() {
        return jdbc.queryForObject("SELECT COALESCE(SUM(q.held), 0) FROM quota_pool q JOIN slot s ON s.id = q.slot_id"
                + " WHERE s.service_id IN (?, ?, ?, ?)", Integer.class, dept, dept2, oneDoseService, twoDoseService);
    }

    static List<String> ids(AsteriskCall.Transcript t) {
        return t.sounds.stream().map(s -> s.substring(s.lastIndexOf('/') + 1)).toList();
    }

    Booking bookedBefore(String caller, String id, long slot) {
        return ((BookingOutcome.Booked) booking.book(slot, null,
                new BookingRequest(0, id, caller, List.of(), caller, Channel.PHONE_MENU, "earlier", null))).booking();
    }

    long slotOf(long service, int day, int hour, int minute) {
        return jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class, service,
                now.toLocalDate().plusDays(day).atTime(hour, minute));
    }

    @Test
    void outpatientPressingOneAtEveryQuestionBooksTheFirstSlotAndReadsTheCodeOut() throws Exception {
        String mobile = Fixtures.mobile();
        String id = idAged(45);
        var t = call(asterisk(mobile).answers(pressingOne(id)));

        List<Booking> mine = bookingsOf(mobile);
        assertThat(mine).hasSize(1);
        Booking b = mine.get(0);
        assertThat(b.slotId()).isEqualTo(firstSlot);
        assertThat(b.smsPhone()).isEqualTo(mobile);
        assertThat(b.patientMasked()).isEqualTo(ResidentId.mask(id));
        assertThat(ids(t)).containsSubsequence("booked", "booking_code_is").containsSubsequence("booked_sms", "goodbye");
        assertThat(ids(t)).containsSubsequence(org.hotline.ivr.MandarinSpeech.digits(b.code()));
        // the ID went over GET DATA as 18 characters, not through asterisk-java's integer parsing
        assertThat(t.commands).contains("GET DATA \"hotline/zh-CN/ask_own_id\" 10000 18");
        assertThat(t.variable("HOTLINE_NEXT")).isEqualTo("HANGUP");
        assertThat(t.serverHungUp).isTrue();
        assertThat(heldPlaces()).isZero();
    }

    @Test
    void aReturningCallerIsOfferedTheSameDepartmentFirstAndBooksItByPressingOne() throws Exception {
        String mobile = Fixtures.mobile();
        bookedBefore(mobile, idAged(40), slotOf(dept2, 2, 9, 0));
        AsteriskCall a = asterisk(mobile).answers(pressingOne(idAged(41))).build();
        var t = a.run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);

        assertThat(a.asked.get(0).prompts()).contains("returning_again", "returning_again_press")
                .doesNotContain("main_menu");
        assertThat(bookingsOf(mobile).stream().filter(b -> b.slotId() == slotOf(dept2, 1, 9, 0))).hasSize(1);
        assertThat(ids(t)).doesNotContain("choose_hospital", "choose_department");
    }

    @Test
    void anEightyFiveYearOldWhoPressesZeroGoesToTheQueueFirstWithTheTransferOnRecord() throws Exception {
        String mobile = Fixtures.mobile();
        bookedBefore(mobile, idAged(85), slotOf(dept, 2, 9, 0));
        AsteriskCall a = asterisk(mobile).answers(script("0")).build();
        var t = a.run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);

        assertThat(ids(t)).containsSubsequence("welcome", "elder_person_hint", "returning_again", "transfer_now");
        assertThat(t.variable("HOTLINE_NEXT")).isEqualTo("AGENT");
        assertThat(t.variable("QUEUE_PRIO")).isEqualTo("10");
        TransferContext ctx = transfers.find(t.variable("HOTLINE_TRANSFER_ID")).orElseThrow();
        assertThat(ctx.reason()).isEqualTo(TransferReason.ASKED_FOR_PERSON);
        assertThat(ctx.patientAge()).isEqualTo(85);
        assertThat(ctx.callerNumber()).isEqualTo(mobile);
        assertThat(ctx.callId()).as("the transfer carries Asterisk's unique id").isEqualTo(a.uniqueId());
        assertThat(t.commands).noneMatch(c -> c.startsWith("HANGUP") || c.startsWith("EXEC"));
        assertThat(t.serverHungUp).isFalse();
    }

    @Test
    void aTransferInTheMiddleOfABookingRecordsTheChoicesAndGivesTheHeldPlaceBack() throws Exception {
        String id = idAged(50);
        var t = call(asterisk(Fixtures.mobile()).answers(script("1", "1", "1", "1", "1", "1", id, "0")));

        TransferContext ctx = transfers.find(t.variable("HOTLINE_TRANSFER_ID")).orElseThrow();
        assertThat(ctx.flow()).isEqualTo("booking");
        assertThat(ctx.choices()).containsKeys("医院", "科室", "日期", "时段");
        assertThat(t.variable("QUEUE_PRIO")).isEqualTo(Integer.toString(ctx.priority()));
        assertThat(heldPlaces()).isZero();
        assertThat(fx.counts(firstSlot, "PUBLIC")).containsExactly(5, 0, 0);
    }

    @Test
    void aHangUpInTheMiddleOfABookingReleasesTheHoldAtOnce() throws Exception {
        var t = call(asterisk(Fixtures.mobile()).answers(script("1", "1", "1", "1", "1", AsteriskCall.HANG_UP)));

        assertThat(t.callerHungUp).isTrue();
        assertThat(t.replies).contains("200 result=-1\n");
        assertThat(fx.counts(firstSlot, "PUBLIC")).containsExactly(5, 0, 0);
        assertThat(jdbc.queryForList("SELECT status FROM hold WHERE slot_id = ?", String.class, firstSlot))
                .containsExactly("RELEASED");
    }

    @Test
    void aHangUpWhileTheBookingIsReadBackReleasesTheHoldAtOnce() throws Exception {
        String id = idAged(52);
        var t = call(asterisk(Fixtures.mobile()).answers(pressingOne(id)).hangUpDuring("readback_sms"));

        assertThat(t.callerHungUp).isTrue();
        assertThat(ids(t)).contains("readback_sms").doesNotContain("booked");
        assertThat(fx.counts(firstSlot, "PUBLIC")).containsExactly(5, 0, 0);
        assertThat(jdbc.queryForList("SELECT status FROM hold WHERE slot_id = ?", String.class, firstSlot))
                .containsExactly("RELEASED");
    }

    @Test
    void aFamilyMemberBooksWithTheEldersIdAndBothPhonesGetTheSms() throws Exception {
        String caller = Fixtures.mobile();
        String elderPhone = Fixtures.mobile();
        String elderId = idAged(82);
        var t = call(asterisk(caller).answers(
                script("1", "1", "1", "1", "1", "2", elderId.replace('X', '*') + "#", elderPhone, "1", "1")));

        List<Booking> bs = booking.findByResidentId(elderId);
        assertThat(bs).hasSize(1);
        assertThat(bs.get(0).smsPhone()).isEqualTo(elderPhone);
        assertThat(bs.get(0).familyPhones()).containsExactly(caller);
        assertThat(ids(t)).contains("ask_elder_id", "ask_elder_phone");
    }

    @Test
    void aTwoDoseVaccineBookingSaysWhenTheNextDoseIsDue() throws Exception {
        String mobile = Fixtures.mobile();
        String id = idAged(60);
        AtomicInteger n = new AtomicInteger();
        var t = call(asterisk(mobile).answers(q -> {
            int i = n.incrementAndGet();
            return i > 40 ? AsteriskCall.HANG_UP : i <= 2 ? "2" : q.maxKeys() == 18 ? id.replace('X', '*') : "1";
        }));

        List<Booking> bs = bookingsOf(mobile);
        assertThat(bs).hasSize(1);
        Booking b = bs.get(0);
        assertThat(b.serviceId()).isEqualTo(twoDoseService);
        assertThat(b.nextDoseFrom()).isEqualTo(b.date().plusDays(60));
        assertThat(ids(t)).contains("next_dose");
    }

    @Test
    void aCallerCancelsTheirBookingFoundByTheirNumber() throws Exception {
        String mobile = Fixtures.mobile();
        call(asterisk(mobile).answers(pressingOne(idAged(50))));
        Booking b = bookingsOf(mobile).get(0);

        // a returning caller: 2 skips the offer to book the same again, 3 = my bookings (issue 16: the bookings tied
        // to this number straight away), 1 = the first, 2 = cancel, 1 = yes, 2 = goodbye
        var t = call(asterisk(mobile).answers(script("2", "3", "1", "2", "1", "2")));

        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.CANCELLED);
        assertThat(ids(t)).containsSubsequence("choose_booking", "booking_detail", "cancel_confirm", "cancelled",
                "goodbye");
        assertThat(t.variable("HOTLINE_NEXT")).isEqualTo("HANGUP");
        assertThat(fx.counts(firstSlot, "PUBLIC")).containsExactly(5, 0, 0);
    }

    @Test
    void aBookingIsFoundByItsCodeOnlyFromAPhoneTiedToIt() throws Exception {
        String mobile = Fixtures.mobile();
        call(asterisk(mobile).answers(pressingOne(idAged(51))));
        Booking b = bookingsOf(mobile).get(0);

        // issue 14: another phone keying the code hears "not found"; the phone it was booked from finds it
        var other = call(asterisk(Fixtures.mobile()).answers(script("3", "3", b.code() + "#", "0")));
        assertThat(ids(other)).containsSubsequence("ask_code", "no_bookings", "manage_how")
                .doesNotContain("choose_booking", "booking_detail");
        var t = call(asterisk(mobile).answers(script("2", "3", "2", "3", b.code() + "#", "1", "2", "2", "0")));

        assertThat(ids(t)).containsSubsequence("ask_code", "choose_booking", "booking_detail", "cancel_confirm");
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ACTIVE);
    }

    @Test
    void aWithheldCallerIdIsOfferedAPersonForItsBookings() throws Exception {
        var t = call(asterisk(null).answers(script("3", "1")));
        assertThat(ids(t)).contains("manage_unverified").doesNotContain("manage_how", "ask_code");
        assertThat(t.variable("HOTLINE_NEXT")).isEqualTo("AGENT");
    }

    @Test
    void aLandlineCallerKeysTheMobileForTheSms() throws Exception {
        String landline = "010" + Fixtures.mobile().substring(3);
        String sms = Fixtures.mobile();
        String id = idAged(70);
        var t = call(asterisk(landline).answers(q -> q.number() > 40 ? AsteriskCall.HANG_UP
                : q.maxKeys() == 18 ? id.replace('X', '*') : q.maxKeys() == 11 ? sms + "#" : "1"));

        List<Booking> bs = bookingsOf(sms);
        assertThat(bs).hasSize(1);
        assertThat(bs.get(0).callingNumber()).isEqualTo(landline);
        assertThat(ids(t)).contains("ask_sms_number");
    }
}
