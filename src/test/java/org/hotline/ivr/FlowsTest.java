package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.ResidentId;
import org.hotline.handoff.CallbackRequest;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** Every flow driven in-process by a scripted caller, booking for real on the embedded MariaDB. */
@IntegrationTest
class FlowsTest {

    @Autowired ApplicationContext ctx;
    @Autowired FlowEngine engine;
    @Autowired BookingService booking;
    @Autowired TransferLog transfers;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired MeterRegistry registry;
    @Autowired org.hotline.booking.Waitlist waitlist;

    IvrWorld world;

    @BeforeEach
    void setUp() {
        world = IvrWorld.open(fx, clock);
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    int activeHolds() {
        return jdbc.queryForObject("SELECT COALESCE(SUM(q.held), 0) FROM quota_pool q JOIN slot s ON s.id = q.slot_id"
                + " WHERE s.service_id IN (?, ?, ?, ?)", Integer.class, world.dept, world.dept2, world.oneDoseService,
                world.twoDoseService);
    }

    @Test
    void pressingOneAtEveryQuestionAndKeyingAnIdBooksTheFirstSlotWithAnSmsToThisPhone() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(45);
        ScriptedCaller caller = ScriptedCaller.pressingOne(mobile, id, 40);

        CallResult r = engine.run(caller);

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(r.bookings()).hasSize(1);
        Booking b = booking.findById(r.bookings().get(0).id()).orElseThrow();
        assertThat(b.slotId()).isEqualTo(world.firstSlot);
        assertThat(b.serviceId()).isEqualTo(world.dept);
        assertThat(b.smsPhone()).isEqualTo(mobile);
        assertThat(b.callingNumber()).isEqualTo(mobile);
        assertThat(b.patientMasked()).isEqualTo(org.hotline.booking.ResidentId.mask(id));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM booking_phone WHERE booking_id = ? AND phone = ?",
                Integer.class, b.id(), mobile)).isEqualTo(1);
        // the code is read out digit by digit, and the caller heard the SMS line and goodbye
        assertThat(caller.heard()).containsSubsequence(List.of("booked", "booking_code_is"));
        assertThat(caller.heard()).containsSubsequence(MandarinSpeech.digits(b.code()));
        assertThat(caller.heard()).containsSubsequence("booked_sms", "goodbye");
        assertThat(caller.hungUpByUs).isTrue();
        assertThat(activeHolds()).isZero();
    }

    static final String T = ScriptedCaller.TIMEOUT;
    static final String GONE = ScriptedCaller.HANG_UP;

    /** A booking made earlier from this phone (through the core, as any channel would). */
    Booking bookedBefore(String caller, String id, long slot) {
        BookingOutcome out = booking.book(slot, null,
                new BookingRequest(0, id, caller, List.of(), caller, Channel.PHONE_MENU, "earlier", null));
        return ((BookingOutcome.Booked) out).booking();
    }

    long slotOf(long service, int day, int hour, int minute) {
        return jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class, service,
                world.today().plusDays(day).atTime(hour, minute));
    }

    String holdStatus(long holdId) {
        return jdbc.queryForObject("SELECT status FROM hold WHERE id = ?", String.class, holdId);
    }

    Booking only(CallResult r) {
        assertThat(r.bookings()).hasSize(1);
        return booking.findById(r.bookings().get(0).id()).orElseThrow();
    }

    @Test
    void aReturningCallerIsOfferedTheSameDepartmentAgainFirst() {
        String mobile = Fixtures.mobile();
        bookedBefore(mobile, world.idAged(40), slotOf(world.dept2, 2, 9, 0));
        ScriptedCaller caller = ScriptedCaller.pressingOne(mobile, world.idAged(41), 40);

        CallResult r = engine.run(caller);

        assertThat(caller.asks.get(0).prompts()).startsWith("returning_again").contains("returning_again_press")
                .doesNotContain("main_menu");
        Booking b = only(r);
        assertThat(b.serviceId()).isEqualTo(world.dept2);
        assertThat(b.slotId()).isEqualTo(slotOf(world.dept2, 1, 9, 0));
        assertThat(caller.heard()).doesNotContain("choose_hospital", "choose_department", "elder_person_hint");
    }

    @Test
    void aCallerKnownToBeEightyHearsHowToReachAPersonFirstAndGoesFirstInTheQueue() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(85);
        bookedBefore(mobile, id, slotOf(world.dept, 2, 9, 0));
        ScriptedCaller caller = ScriptedCaller.script(mobile, "0");

        CallResult r = engine.run(caller);

        assertThat(caller.heard()).containsSubsequence("welcome", "elder_person_hint", "returning_again");
        assertThat(r.end()).isEqualTo(CallResult.End.TRANSFERRED);
        assertThat(caller.transferPriority).isEqualTo(10);
        TransferContext t = transfers.find(caller.transferId).orElseThrow();
        assertThat(t.reason()).isEqualTo(TransferReason.ASKED_FOR_PERSON);
        assertThat(t.patientAge()).isEqualTo(85);
        assertThat(t.priority()).isEqualTo(10);
        assertThat(t.flow()).isEqualTo("main");
        assertThat(t.node()).isEqualTo("returning_offer");
        assertThat(t.callerMasked()).isEqualTo(org.hotline.booking.PhoneNumber.mask(mobile));
    }

    @Test
    void aSixtyFiveYearOldIsToldAboutKeyZeroAndAnUnknownCallerIsNot() {
        String elder = Fixtures.mobile();
        bookedBefore(elder, world.idAged(65), slotOf(world.dept, 2, 9, 0));
        ScriptedCaller old = ScriptedCaller.script(elder, "2", "0");
        engine.run(old);
        assertThat(old.heard()).containsSubsequence("elder_person_hint", "main_menu");
        assertThat(old.transferPriority).isEqualTo(5);

        ScriptedCaller stranger = ScriptedCaller.script(Fixtures.mobile(), "0");
        engine.run(stranger);
        assertThat(stranger.heard()).doesNotContain("elder_person_hint", "returning_again");
        assertThat(stranger.asks.get(0).prompts()).containsExactly("main_menu", "main_menu_complaint");
        assertThat(stranger.transferPriority).isEqualTo(1);
    }

    @Test
    void aTransferRecordsWhereTheCallerLeftAndWhatTheyChoseAndGivesTheHeldPlaceBack() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(50);
        ScriptedCaller caller = ScriptedCaller.script(mobile, "1", "1", "1", "1", "1", "1", id, "0");

        CallResult r = engine.run(caller);

        assertThat(r.end()).isEqualTo(CallResult.End.TRANSFERRED);
        TransferContext t = transfers.find(r.transferId()).orElseThrow();
        assertThat(t.flow()).isEqualTo("booking");
        // (issue 16: a mobile caller is not asked where the SMS goes; the read-back says it)
        assertThat(t.node()).isEqualTo("readback");
        assertThat(t.choices()).containsKeys("医院", "科室", "日期", "时段", "身份证");
        assertThat(t.choices().get("时段")).isEqualTo("09:00-09:30");
        assertThat(t.choices().get("身份证")).isEqualTo(ResidentId.mask(id));
        assertThat(t.patientMasked()).isEqualTo(ResidentId.mask(id));
        assertThat(t.choices().toString() + t).doesNotContain(id);
        assertThat(r.holdsTaken()).hasSize(1);
        assertThat(holdStatus(r.holdsTaken().get(0))).isEqualTo("RELEASED");
        assertThat(activeHolds()).isZero();
        assertThat(caller.heard()).endsWith("transfer_now");
    }

    @Test
    void threeTimeoutsInARowOfferAPersonAndStarTriesAgain() {
        ScriptedCaller caller = ScriptedCaller.script(Fixtures.mobile(), T, "7", T, "*", T, T, T, T);

        CallResult r = engine.run(caller);

        // timeout, wrong key, timeout → offered a person; * → the menu again, failures start over
        assertThat(caller.asks.get(1).prompts()).startsWith("no_input", "main_menu");
        assertThat(caller.asks.get(2).prompts()).startsWith("invalid_key", "main_menu");
        assertThat(caller.asks.get(3).prompts()).containsExactly("no_input", "offer_person");
        assertThat(caller.asks.get(4).prompts()).containsExactly("main_menu", "main_menu_complaint");
        assertThat(caller.asks.get(7).prompts()).containsExactly("no_input", "offer_person");
        assertThat(r.end()).isEqualTo(CallResult.End.TRANSFERRED);
        assertThat(transfers.find(r.transferId()).orElseThrow().reason()).isEqualTo(TransferReason.REPEATED_FAILURE);
        assertThat(caller.asks).hasSize(8);
    }

    @Test
    void starRepeatsTheQuestionAtMenusListsAndDigitEntry() {
        String mobile = Fixtures.mobile();
        ScriptedCaller caller = ScriptedCaller.script(mobile, "*", "1", "*", "1", "1", "1", "1", "1", "*", "0");
        engine.run(caller);
        assertThat(caller.asks.get(0).prompts()).isEqualTo(caller.asks.get(1).prompts());
        assertThat(caller.asks.get(2).prompts()).isEqualTo(caller.asks.get(3).prompts()).startsWith("choose_hospital");
        assertThat(caller.asks.get(8).prompts()).isEqualTo(caller.asks.get(9).prompts()).containsExactly("ask_own_id");
        assertThat(caller.transferId).isNotNull();
    }

    @Test
    void aHangUpGivesTheHeldPlaceBackAtOnce() {
        ScriptedCaller caller = ScriptedCaller.script(Fixtures.mobile(), "1", "1", "1", "1", "1", GONE);

        CallResult r = engine.run(caller);

        assertThat(r.end()).isEqualTo(CallResult.End.HUNG_UP);
        assertThat(r.holdsTaken()).hasSize(1);
        assertThat(holdStatus(r.holdsTaken().get(0))).isEqualTo("RELEASED");
        assertThat(fx.counts(world.firstSlot, "PUBLIC")).containsExactly(5, 0, 0);
    }

    @Test
    void aLandlineCallerKeysTheMobileForTheSms() {
        String landline = "010" + Fixtures.mobile().substring(3);
        String sms = Fixtures.mobile();
        String id = world.idAged(70);
        ScriptedCaller caller = new ScriptedCaller(landline, ask -> ask.maxKeys() == 18 ? id
                : ask.maxKeys() == 11 ? sms + "#" : "1");

        Booking b = only(engine.run(caller));

        assertThat(b.smsPhone()).isEqualTo(sms);
        assertThat(b.callingNumber()).isEqualTo(landline);
        assertThat(caller.heard()).contains("ask_sms_number").doesNotContain("sms_to_this_phone");
    }

    @Test
    void aFamilyMemberBooksWithTheEldersIdAndBothPhonesGetTheSms() {
        String caller = Fixtures.mobile();
        String elderPhone = Fixtures.mobile();
        String elderId = world.idAged(82);
        ScriptedCaller call = ScriptedCaller.script(caller, "1", "1", "1", "1", "1", "2", elderId + "#",
                elderPhone, "1", "1", GONE);

        CallResult r = engine.run(call);

        Booking b = only(r);
        assertThat(b.patientMasked()).isEqualTo(ResidentId.mask(elderId));
        assertThat(b.smsPhone()).isEqualTo(elderPhone);
        assertThat(b.familyPhones()).containsExactly(caller);
        assertThat(call.heard()).contains("ask_elder_id", "ask_elder_phone");
        // the read-back names both phones by their last four digits
        assertThat(call.heard()).containsSubsequence(List.of("readback_sms"))
                .containsSubsequence(MandarinSpeech.digits(elderPhone.substring(7)))
                .containsSubsequence(MandarinSpeech.digits(caller.substring(7)));
    }

    @Test
    void aVaccineBookingSaysWhenTheNextDoseIsDue() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(60);
        // vaccines in clinic order: the one-dose first, the two-dose second
        ScriptedCaller call = new ScriptedCaller(mobile, new java.util.function.Function<>() {
            int n;

            @Override
            public String apply(ScriptedCaller.Ask ask) {
                n++;
                return n == 1 ? "2" : n == 2 ? "2" : ask.maxKeys() == 18 ? id : "1";
            }
        });

        Booking b = only(engine.run(call));

        assertThat(b.serviceId()).isEqualTo(world.twoDoseService);
        assertThat(b.doseNumber()).isEqualTo(1);
        assertThat(b.nextDoseFrom()).isEqualTo(b.date().plusDays(60));
        assertThat(call.heard()).containsSubsequence(List.of("next_dose"));
        List<String> after = call.heard().subList(call.heard().indexOf("next_dose"), call.heard().size());
        assertThat(after).startsWith(concat(List.of("next_dose"), MandarinSpeech.date(b.nextDoseFrom())).toArray(String[]::new));
    }

    @Test
    void aOneDoseVaccineBooksWithoutANextDose() {
        String mobile = Fixtures.mobile();
        ScriptedCaller call = ScriptedCaller.script(mobile, "2", "1", "1", "1", "1", "1", world.idAged(30), "1", "1",
                GONE);
        Booking b = only(engine.run(call));
        assertThat(b.serviceId()).isEqualTo(world.oneDoseService);
        assertThat(call.heard()).doesNotContain("next_dose");
    }

    @Test
    void tooYoungForAVaccineIsExplainedAndOffersAnotherVaccine() {
        ScriptedCaller call = ScriptedCaller.script(Fixtures.mobile(), "2", "2", "1", "1", "1", "1", world.idAged(30),
                "0");
        CallResult r = engine.run(call);
        assertThat(call.asks.get(7).prompts()).startsWith("choose_vaccine");
        assertThat(call.heard()).containsSubsequence("refusal_age_out_of_range", "choose_vaccine");
        assertThat(r.holdsTaken()).hasSize(1);
        assertThat(holdStatus(r.holdsTaken().get(0))).isEqualTo("RELEASED");
    }

    @Test
    void aWrongCheckDigitIsExplainedAndTheCallerKeysTheIdAgain() {
        String id = world.idAged(44);
        char wrong = id.charAt(17) == '1' ? '2' : '1';
        String bad = id.substring(0, 17) + wrong;
        ScriptedCaller call = ScriptedCaller.script(Fixtures.mobile(), "1", "1", "1", "1", "1", "1", bad, id, "1", "1",
                GONE);
        Booking b = only(engine.run(call));
        assertThat(call.asks.get(7).prompts()).startsWith("refusal_id_check_digit", "ask_own_id");
        assertThat(b.patientMasked()).isEqualTo(ResidentId.mask(id));
    }

    @Test
    void anIdEndingInXIsKeyedWithStar() {
        String id = null;
        for (int seq = 0; id == null; seq++) {
            String first17 = "11010519500101" + String.format("%03d", seq);
            if (ResidentId.checkDigit(first17) == 'X') {
                id = first17 + "X";
            }
        }
        String keyed = id.substring(0, 17) + "*";
        ScriptedCaller call = ScriptedCaller.pressingOne(Fixtures.mobile(), keyed, 40);
        Booking b = only(engine.run(call));
        assertThat(b.patientMasked()).endsWith("X").isEqualTo(ResidentId.mask(id));
    }

    @Test
    void aSecondBookingTheSameDayIsExplainedAndTheCallerChoosesAnotherDate() {
        String id = world.idAged(50);
        String mobile = Fixtures.mobile();
        only(engine.run(ScriptedCaller.pressingOne(mobile, id, 40)));

        ScriptedCaller again = ScriptedCaller.script(Fixtures.mobile(), "1", "1", "1", "1", "1", "1", id, "2", "1",
                "1", id, "1", "1", GONE);
        Booking b = only(engine.run(again));

        assertThat(again.heard()).containsSubsequence("refusal_duplicate_same_day", "choose_date");
        assertThat(b.date()).isEqualTo(world.today().plusDays(2));
    }

    @Test
    void listsLongerThanEightGoOnWithNine() {
        for (int h = 13; h < 17; h++) {
            fx.slot(world.dept, world.today().plusDays(1).atTime(h, 0), 1, 0, 5);
            fx.slot(world.dept, world.today().plusDays(1).atTime(h, 30), 1, 0, 5);
        }
        ScriptedCaller call = ScriptedCaller.script(Fixtures.mobile(), "1", "1", "1", "1", "9", "1", "0");
        engine.run(call);
        List<String> page1 = call.asks.get(4).prompts();
        List<String> page2 = call.asks.get(5).prompts();
        assertThat(page1).startsWith("choose_slot").endsWith("press_key", "num_8", "more_options");
        assertThat(java.util.Collections.frequency(page1, "press_key")).isEqualTo(8);
        assertThat(java.util.Collections.frequency(page2, "press_key")).isEqualTo(4);
        assertThat(page2).containsSubsequence(MandarinSpeech.time(java.time.LocalTime.of(15, 0)));
        TransferContext t = transfers.find(call.transferId).orElseThrow();
        assertThat(t.choices().get("时段")).isEqualTo("15:00-15:30");
    }

    @Test
    void aCallerCancelsABookingFoundByTheirNumber() {
        String mobile = Fixtures.mobile();
        Booking b = only(engine.run(ScriptedCaller.pressingOne(mobile, world.idAged(50), 40)));

        // a returning caller: 3 at the offer to book the same again is check, cancel or change, and this
        // number's bookings are listed at once (issue 16)
        ScriptedCaller call = ScriptedCaller.script(mobile, "3", "1", "2", "1", "2");
        CallResult r = engine.run(call);

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.CANCELLED);
        assertThat(call.heard()).containsSubsequence("choose_booking", "booking_detail", "cancel_confirm",
                "cancelled", "after_cancel", "goodbye");
        assertThat(call.asks.get(2).prompts()).containsSubsequence(MandarinSpeech.digits(b.code()));
        assertThat(fx.counts(world.firstSlot, "PUBLIC")).containsExactly(5, 0, 0);
    }

    @Test
    void aBookingIsFoundByCodeAndByIdAndKeptWhenTheCallerSaysNo() {
        String id = world.idAged(50);
        String mobile = Fixtures.mobile();
        Booking b = only(engine.run(ScriptedCaller.pressingOne(mobile, id, 40)));

        // from the phone it was booked from (issue 14: only a phone tied to the booking finds it; 2 skips the
        // offer to book the same again)
        // (issue 16: this number's bookings are listed first; their last entry, 2 here, is "找其他预约")
        ScriptedCaller byCode = ScriptedCaller.script(mobile, "2", "3", "2", "3", b.code() + "#", "1", "2", "2", "0");
        engine.run(byCode);
        assertThat(byCode.heard()).containsSubsequence("ask_code", "choose_booking", "booking_detail", "cancel_confirm");
        assertThat(byCode.asks.get(8).prompts()).startsWith("choose_booking");
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ACTIVE);
        // a look-up that found the caller's own booking is not held against the number's daily allowance
        assertThat(lookupsToday(mobile)).isZero();

        ScriptedCaller byId = ScriptedCaller.script(mobile, "2", "3", "2", "2", id, "1", "2", "1", "2");
        CallResult r = engine.run(byId);
        assertThat(byId.heard()).contains("ask_lookup_id", "cancelled");
        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.CANCELLED);
    }

    @Test
    void aWithheldNumberCannotLookUpBookingsAndIsOfferedAPerson() {
        // issue 14: before, a withheld number went on to "by code" and "by ID" and reached any booking
        ScriptedCaller call = ScriptedCaller.script("", "3", "1");
        CallResult r = engine.run(call);
        assertThat(call.asks.get(1).prompts()).containsExactly("manage_unverified");
        assertThat(call.heard()).doesNotContain("manage_how", "ask_code", "ask_lookup_id").endsWith("transfer_now");
        assertThat(r.end()).isEqualTo(CallResult.End.TRANSFERRED);
        assertThat(transfers.find(r.transferId()).orElseThrow().reason()).isEqualTo(TransferReason.UNVERIFIED_CALLER);

        ScriptedCaller back = ScriptedCaller.script("", "3", "2", "0");
        engine.run(back);
        assertThat(back.asks.get(2).prompts()).containsExactly("main_menu", "main_menu_complaint");

        // what a network sends for a withheld number is no number: every "anonymous" caller is not one person
        ScriptedCaller anonymous = ScriptedCaller.script("anonymous", "3", GONE);
        engine.run(anonymous);
        assertThat(anonymous.asks.get(1).prompts()).containsExactly("manage_unverified");
    }

    @Test
    void outsideAgentHoursTheCallerIsOfferedACallBack() {
        clock.set(world.today().atTime(21, 30));
        String mobile = Fixtures.mobile();
        ScriptedCaller call = ScriptedCaller.script(mobile, "0", "1");

        CallResult r = engine.run(call);

        assertThat(r.end()).isEqualTo(CallResult.End.CALLBACK);
        assertThat(call.transferId).isNull();
        assertThat(call.asks.get(1).prompts()).startsWith("agent_hours_intro").endsWith("callback_offer_outside");
        assertThat(call.asks.get(1).prompts()).containsSubsequence(MandarinSpeech.time(java.time.LocalTime.of(20, 0)));
        CallbackRequest cb = transfers.callback(r.callbackId()).orElseThrow();
        assertThat(cb.callId()).isEqualTo(call.callId());
        assertThat(cb.callerNumber()).isEqualTo(mobile);
        assertThat(cb.reason()).isEqualTo("OUTSIDE_HOURS");
        assertThat(cb.status()).isEqualTo("OPEN");
        assertThat(cb.transferId()).isEqualTo(r.transferId());

        ScriptedCaller declines = ScriptedCaller.script(mobile, "0", "2");
        assertThat(engine.run(declines).end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(declines.transferId).isNull();
    }

    @Test
    void aLongQueueOffersACallBackOrTheWait() {
        FlowEngine busy = Engines.withAgentQueue(ctx, () -> Duration.ofMinutes(12));
        ScriptedCaller wants = ScriptedCaller.script(Fixtures.mobile(), "0", "1");
        CallResult r = busy.run(wants);
        assertThat(r.end()).isEqualTo(CallResult.End.CALLBACK);
        assertThat(transfers.callback(r.callbackId()).orElseThrow().reason()).isEqualTo("LONG_WAIT");
        assertThat(wants.asks.get(1).prompts()).containsExactly("callback_long_wait");

        ScriptedCaller waits = ScriptedCaller.script(Fixtures.mobile(), "0", "2");
        assertThat(busy.run(waits).end()).isEqualTo(CallResult.End.TRANSFERRED);
        assertThat(waits.transferId).isNotNull();
    }

    // ------------------------------------------------------------ issue 14: who may manage a booking by phone

    /** Wrong look-ups by code or ID this number has used today (the cross-call allowance). */
    int lookupsToday(String phone) {
        return jdbc.query("SELECT failures FROM phone_lookup_day WHERE caller_hash = ? AND day = ?",
                rs -> rs.next() ? rs.getInt(1) : 0, booking.hashOf(phone), clock.now().toLocalDate());
    }

    double lookups(String outcome) {
        var c = registry.find("hotline.ivr.lookups").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    List<String> auditOutcomes(String phone) {
        return jdbc.queryForList("SELECT outcome FROM audit_event WHERE username = ? AND role = 'PHONE_MENU'"
                + " AND action = 'PHONE_LOOKUP' ORDER BY id", String.class, "phone:" + PhoneNumber.mask(phone));
    }

    /** A well-formed booking code that no active booking has. */
    String codeNoOneHas() {
        java.util.Random r = new java.util.Random();
        while (true) {
            String c = Integer.toString(100000 + r.nextInt(900000));
            if (booking.findActiveByCode(c).isEmpty()) {
                return c;
            }
        }
    }

    @Test
    void someoneElsesCodeOrIdIsNotFoundInTheSameWordsAsACodeThatDoesNotExist() {
        String owner = Fixtures.mobile();
        String id = world.idAged(52);
        Booking b = only(engine.run(ScriptedCaller.pressingOne(owner, id, 40)));
        String noSuchCode = codeNoOneHas();
        String idWithNoBookings = world.idAged(53);

        // by code, then by ID: once with the owner's booking, once with a code and an ID that find nothing
        ScriptedCaller stranger = ScriptedCaller.script(Fixtures.mobile(), "3", "3", b.code() + "#", "2", id, GONE);
        ScriptedCaller guesser = ScriptedCaller.script(Fixtures.mobile(), "3", "3", noSuchCode + "#", "2",
                idWithNoBookings, GONE);
        engine.run(stranger);
        engine.run(guesser);

        assertThat(stranger.heard()).containsSubsequence("ask_code", "no_bookings", "manage_how", "ask_lookup_id",
                "no_bookings", "manage_how").doesNotContain("choose_booking", "booking_detail");
        assertThat(stranger.heard()).doesNotContainSequence(MandarinSpeech.digits(b.code()));
        // every prompt of both calls, in order, is the same: nothing tells an existing code from a made-up one
        assertThat(stranger.played).isEqualTo(guesser.played);
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ACTIVE);
    }

    @Test
    void aLookUpOfSomeoneElsesBookingDoesTheSameWorkAsOneOfNoBookingAtAll() {
        String owner = Fixtures.mobile();
        String id = world.idAged(54);
        Booking b = only(engine.run(ScriptedCaller.pressingOne(owner, id, 40)));
        String noSuchCode = codeNoOneHas();
        String stranger = Fixtures.mobile();
        // both are answered by the same single query, filtered by the phone
        assertThat(booking.findActiveByCodeTiedTo(b.code(), stranger)).isEmpty();
        assertThat(booking.findActiveByCodeTiedTo(noSuchCode, stranger)).isEmpty();
        assertThat(booking.findByResidentIdTiedTo(id, stranger)).isEmpty();
        assertThat(booking.findActiveByCodeTiedTo(b.code(), owner)).isPresent();
        assertThat(booking.findByResidentIdTiedTo(id, owner)).hasSize(1);

        // and take the same time: interleaved rounds, median of each (figures in the test's output)
        int rounds = 300;
        long[] foreign = new long[rounds];
        long[] none = new long[rounds];
        for (int i = 0; i < 50; i++) { // warm-up
            booking.findActiveByCodeTiedTo(b.code(), stranger);
            booking.findActiveByCodeTiedTo(noSuchCode, stranger);
        }
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            booking.findActiveByCodeTiedTo(i % 2 == 0 ? b.code() : noSuchCode, stranger);
            long t1 = System.nanoTime();
            booking.findActiveByCodeTiedTo(i % 2 == 0 ? noSuchCode : b.code(), stranger);
            long t2 = System.nanoTime();
            foreign[i] = i % 2 == 0 ? t1 - t0 : t2 - t1;
            none[i] = i % 2 == 0 ? t2 - t1 : t1 - t0;
        }
        java.util.Arrays.sort(foreign);
        java.util.Arrays.sort(none);
        double f = foreign[rounds / 2] / 1e6;
        double n = none[rounds / 2] / 1e6;
        System.out.printf("look-up by code, median of %d: someone else's %.3f ms, no such code %.3f ms%n", rounds, f, n);
        assertThat(Math.abs(f - n)).as("someone else's %.3f ms vs none %.3f ms", f, n)
                .isLessThan(Math.max(0.25, 0.25 * Math.min(f, n)));
    }

    @Test
    void aCallerFindsAndCancelsTheirOwnBookingByCodeAndAFamilyPhoneByCodeOrId() {
        String landline = "010" + Fixtures.mobile().substring(3);
        String elderPhone = Fixtures.mobile();
        String family = Fixtures.mobile();
        String id = world.idAged(81);
        Booking b = ((BookingOutcome.Booked) booking.book(slotOf(world.dept, 2, 9, 30), null, new BookingRequest(0,
                id, elderPhone, List.of(family), landline, Channel.PHONE_MENU, "earlier", null))).booking();

        // the family phone, by code: found; the elder's SMS phone, by ID: found and cancelled
        ScriptedCaller fam = ScriptedCaller.script(family, "3", "2", "3", b.code() + "#", "1", "3", "0");
        engine.run(fam);
        assertThat(fam.heard()).containsSubsequence("ask_code", "choose_booking", "booking_detail");
        assertThat(fam.heard()).containsSubsequence(MandarinSpeech.digits(b.code()));

        ScriptedCaller elder = ScriptedCaller.script(elderPhone, "3", "2", "2", id, "1", "2", "1", "2");
        CallResult r = engine.run(elder);
        assertThat(elder.heard()).containsSubsequence("ask_lookup_id", "choose_booking", "cancelled");
        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.CANCELLED);
        assertThat(lookupsToday(family)).isZero();
        assertThat(lookupsToday(elderPhone)).isZero();
    }

    @Test
    void threeWrongCodesOrIdsInOneCallGoToAPerson() {
        String mobile = Fixtures.mobile();
        double before = lookups("call_limit");
        ScriptedCaller call = ScriptedCaller.script(mobile, "3", "3", codeNoOneHas() + "#", "2", world.idAged(55),
                "3", codeNoOneHas() + "#", GONE);

        CallResult r = engine.run(call);

        assertThat(r.end()).isEqualTo(CallResult.End.TRANSFERRED);
        assertThat(transfers.find(r.transferId()).orElseThrow().reason()).isEqualTo(TransferReason.LOOKUP_LIMIT);
        assertThat(call.heard()).endsWith("no_bookings", "lookup_too_many", "transfer_now");
        assertThat(java.util.Collections.frequency(call.heard(), "no_bookings")).isEqualTo(3);
        assertThat(lookupsToday(mobile)).isEqualTo(3);
        assertThat(lookups("call_limit")).isEqualTo(before + 1);
        assertThat(auditOutcomes(mobile)).containsExactly("CALL_LIMIT");
    }

    @Test
    void tenWrongLookUpsFromOneNumberInADaySendItToAPersonInLaterCalls() {
        String mobile = Fixtures.mobile();
        Booking own = bookedBefore(mobile, world.idAged(56), slotOf(world.dept2, 3, 10, 0));
        double limited = lookups("day_limit");
        // three calls of three wrong codes each (each ends with a person), then one more wrong one: ten
        for (int call = 0; call < 3; call++) {
            ScriptedCaller c = ScriptedCaller.script(mobile, "2", "3", "2", "3", codeNoOneHas() + "#", "3",
                    codeNoOneHas() + "#", "3", codeNoOneHas() + "#", GONE);
            assertThat(engine.run(c).end()).isEqualTo(CallResult.End.TRANSFERRED);
        }
        ScriptedCaller tenth = ScriptedCaller.script(mobile, "2", "3", "2", "3", codeNoOneHas() + "#", "3", GONE);
        engine.run(tenth);
        assertThat(tenth.heard()).containsSubsequence("no_bookings", "manage_how", "lookup_limited", "transfer_now");
        assertThat(lookupsToday(mobile)).isEqualTo(10);

        // a new call: even its own code is not looked up any more today, by code or by ID; a person instead
        ScriptedCaller next = ScriptedCaller.script(mobile, "2", "3", "2", "3", GONE);
        CallResult r = engine.run(next);
        assertThat(next.heard()).doesNotContain("ask_code").endsWith("lookup_limited", "transfer_now");
        assertThat(transfers.find(r.transferId()).orElseThrow().reason()).isEqualTo(TransferReason.LOOKUP_LIMIT);
        ScriptedCaller byId = ScriptedCaller.script(mobile, "2", "3", "2", "2", GONE);
        engine.run(byId);
        assertThat(byId.heard()).doesNotContain("ask_lookup_id").contains("lookup_limited");
        assertThat(lookups("day_limit")).isEqualTo(limited + 3);
        assertThat(auditOutcomes(mobile)).containsExactly("CALL_LIMIT", "CALL_LIMIT", "CALL_LIMIT", "DAY_LIMIT",
                "DAY_LIMIT", "DAY_LIMIT");
        assertThat(jdbc.queryForObject("SELECT detail FROM audit_event WHERE username = ? AND outcome = 'DAY_LIMIT'"
                + " ORDER BY id DESC LIMIT 1", String.class, "phone:" + PhoneNumber.mask(mobile)))
                .contains("10 wrong").doesNotContain(mobile);

        // by this phone's number still works (it keys nothing), and tomorrow the allowance is back
        ScriptedCaller mine = ScriptedCaller.script(mobile, "2", "3", "1", "3", "0");
        engine.run(mine);
        assertThat(mine.heard()).contains("choose_booking").containsSubsequence(MandarinSpeech.digits(own.code()));
        clock.set(world.now.plusDays(1));
        ScriptedCaller tomorrow = ScriptedCaller.script(mobile, "2", "3", "2", "3", own.code() + "#", "1", "3", "0");
        engine.run(tomorrow);
        assertThat(tomorrow.heard()).contains("ask_code", "booking_detail");
        // and yesterday's count is gone (it limits nothing and names a number)
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM phone_lookup_day WHERE caller_hash = ? AND day < ?",
                Integer.class, booking.hashOf(mobile), world.today().plusDays(1))).isZero();
    }

    @Test
    void anUnverifiedNumberIsTreatedAsWithheld() {
        String mobile = Fixtures.mobile();
        Booking b = bookedBefore(mobile, world.idAged(85), slotOf(world.dept, 2, 10, 0));
        // the same number, but from a SIP peer that is not trusted: no elder hint, no "book the same again",
        // no look-ups, and the agent sees the number marked unverified
        ScriptedCaller call = ScriptedCaller.script(mobile, "3", "1").unverified();

        CallResult r = engine.run(call);

        assertThat(call.asks.get(0).prompts()).containsExactly("main_menu", "main_menu_complaint");
        assertThat(call.asks.get(1).prompts()).containsExactly("manage_unverified");
        assertThat(call.heard()).doesNotContain("elder_person_hint", "returning_again", "choose_booking")
                .doesNotContainSequence(MandarinSpeech.digits(b.code()));
        TransferContext t = transfers.find(r.transferId()).orElseThrow();
        assertThat(t.reason()).isEqualTo(TransferReason.UNVERIFIED_CALLER);
        assertThat(t.callerNumber()).isNull();
        assertThat(t.choices()).containsEntry("来电号码（未验证）", PhoneNumber.mask(mobile));
        assertThat(t.priority()).isEqualTo(1);
    }

    // ------------------------------------------------------------ issue 16: part B

    @Test
    void aNumberThatBookedBeforeOffersItsPeopleByTheLastFourAndBooksThemWithoutTheId() {
        String mobile = Fixtures.mobile();
        String elderPhone = Fixtures.mobile();
        String selfId = world.idAged(45);
        String elderId = world.idAged(83);
        bookedBefore(mobile, selfId, slotOf(world.dept, 2, 9, 0));
        // the elder, booked from this phone: the SMS to the elder's phone, a copy here
        booking.book(slotOf(world.dept2, 2, 9, 30), null,
                new BookingRequest(0, elderId, elderPhone, List.of(mobile), mobile, Channel.PHONE_MENU, "earlier", null));
        // 2 skips "the same again"; then 1 everywhere, and at "for whom" 1: the one booked last (the elder)
        ScriptedCaller call = new ScriptedCaller(mobile, new java.util.function.Function<>() {
            int n;

            @Override
            public String apply(ScriptedCaller.Ask ask) {
                return ++n == 1 ? "2" : n > 12 ? GONE : "1";
            }
        });

        Booking b = only(engine.run(call));

        ScriptedCaller.Ask whom = call.asks.stream().filter(a -> a.heard("who_for")).findFirst().orElseThrow();
        assertThat(whom.prompts()).containsSubsequence(concat(List.of("for_tail"),
                MandarinSpeech.digits(elderId.substring(14))).toArray(String[]::new));
        assertThat(whom.prompts()).containsSubsequence(concat(List.of("for_tail"),
                MandarinSpeech.digits(selfId.substring(14))).toArray(String[]::new));
        assertThat(whom.prompts()).contains("for_someone_else").doesNotContain("whose_booking");
        assertThat(call.asks).noneMatch(a -> a.maxKeys() == 18);
        assertThat(b.patientMasked()).isEqualTo(ResidentId.mask(elderId));
        assertThat(b.smsPhone()).isEqualTo(elderPhone);
        assertThat(b.familyPhones()).containsExactly(mobile);
        assertThat(b.patientAge()).isBetween(82, 83);

        // the same number unverified (an untrusted SIP peer) is offered nobody: it keys an ID
        ScriptedCaller stranger = ScriptedCaller.script(mobile, "1", "1", "1", "1", "1", GONE).unverified();
        engine.run(stranger);
        assertThat(stranger.heard()).contains("whose_booking").doesNotContain("who_for", "for_tail");
    }

    @Test
    void pressingOneWithEveryPlaceTakenReachesAPersonWithinTwoDeadEnds() {
        IvrWorld full = IvrWorld.open(fx, clock, 0);
        ScriptedCaller c = ScriptedCaller.pressingOne(Fixtures.mobile(), full.idAged(50), 40);

        CallResult r = engine.run(c);

        // before issue 16: main menu → "no places" → main menu … until the step limit (66 rounds)
        assertThat(r.end()).isEqualTo(CallResult.End.TRANSFERRED);
        assertThat(transfers.find(r.transferId()).orElseThrow().reason()).isEqualTo(TransferReason.NOT_IN_MENU);
        assertThat(c.heard().stream().filter("no_places"::equals).count()).isEqualTo(2);
        assertThat(c.heard()).contains("dead_end_person");
        assertThat(c.asks).hasSizeLessThanOrEqualTo(3);
    }

    /** Every place of a department taken (what is booked stays). */
    void fill(long service) {
        jdbc.update("UPDATE quota_pool q JOIN slot s ON s.id = q.slot_id SET q.capacity = q.booked + q.held"
                + " WHERE s.service_id = ?", service);
    }

    @Test
    void aFullDepartmentOffersTheNearestPlaceAtAnotherHospitalAndOneKeyTakesIt() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(70);
        bookedBefore(mobile, id, slotOf(world.dept2, 1, 9, 0));
        fill(world.dept2);
        long h2 = fx.facility("DISTRICT_HOSPITAL");
        jdbc.update("""
                INSERT INTO service (facility_id, code, kind, name, sort_order)
                SELECT ?, code, kind, name, 1 FROM service WHERE id = ?""", h2, world.dept2);
        long other = jdbc.queryForObject("SELECT id FROM service WHERE facility_id = ?", Long.class, h2);
        long otherSlot = fx.slot(other, world.today().plusDays(2).atTime(10, 0), 0, 0, 2);
        ScriptedCaller c = ScriptedCaller.pressingOne(mobile, id, 40);

        Booking b = only(engine.run(c));

        assertThat(c.heard()).contains("returning_again", "alt_intro");
        assertThat(b.slotId()).isEqualTo(otherSlot);
        assertThat(b.patientMasked()).isEqualTo(ResidentId.mask(id));
        assertThat(c.asks).noneMatch(a -> a.maxKeys() == 18);
    }

    @Test
    void withNothingFreeAnywhereTheCallerJoinsTheWaitlistAndACancellationOffersThemThePlace() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(77);
        Booking earlier = bookedBefore(mobile, world.idAged(40), slotOf(world.dept2, 1, 9, 0));
        bookedBefore(mobile, id, slotOf(world.dept2, 2, 9, 0));
        fill(world.dept2);
        // the same again → nothing free, no alternative → 候补: for the person booked last, this phone, yes
        ScriptedCaller c = ScriptedCaller.pressingOne(mobile, id, 40);

        CallResult r = engine.run(c);

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(r.bookings()).isEmpty();
        assertThat(c.heard()).containsSubsequence("wait_offer", "who_for", "wl_readback", "wl_joined");
        assertThat(c.asks).noneMatch(a -> a.maxKeys() == 18);
        Long entry = jdbc.queryForObject("SELECT id FROM waitlist_entry WHERE service_id = ? AND sms_phone = ?"
                + " AND status = 'WAITING'", Long.class, world.dept2, mobile);

        // a place frees: it is held for them and texted with a code; their reply books it
        booking.cancel(earlier.id(), Channel.PHONE_MENU, mobile, "test");
        assertThat(jdbc.queryForObject("SELECT status FROM waitlist_entry WHERE id = ?", String.class, entry))
                .isEqualTo("OFFERED");
        String code = jdbc.queryForObject("SELECT offer_code FROM waitlist_entry WHERE id = ?", String.class, entry);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sms_message WHERE phone = ? AND kind = 'WAITLIST_OFFER'"
                + " AND body LIKE ?", Integer.class, mobile, "%确认" + code + "%")).isEqualTo(1);
        assertThat(waitlist.confirmByReply(mobile, code)).isInstanceOf(BookingOutcome.Booked.class);
        Booking got = booking.findById(jdbc.queryForObject("SELECT booking_id FROM waitlist_entry WHERE id = ?",
                Long.class, entry)).orElseThrow();
        assertThat(got.slotId()).isEqualTo(earlier.slotId());
        assertThat(got.patientMasked()).isEqualTo(ResidentId.mask(id));
    }

    /**
     * Issue 16: every phone place taken at every hospital and clinic (so no alternative either): the caller pressing 1
     * is not sent round to a person but may still wait (候补) for the department they choose, and a cancellation there
     * offers them the place; the one who declines the waitlist reaches a person within two dead ends.
     */
    @Test
    void withNothingFreeAtAnyHospitalTheCallerStillJoinsTheWaitlistOfTheDepartmentTheyChoose() {
        String other = Fixtures.mobile();
        Booking earlier = bookedBefore(other, world.idAged(41), slotOf(world.dept, 2, 9, 0));
        for (long svc : new long[] {world.dept, world.dept2, world.oneDoseService, world.twoDoseService}) {
            // every place booked (the counters: what a full day looks like to the catalogue)
            jdbc.update("UPDATE quota_pool q JOIN slot s ON s.id = q.slot_id SET q.booked = q.capacity - q.held"
                    + " WHERE s.service_id = ?", svc);
        }
        String mobile = Fixtures.mobile();
        String id = world.idAged(79);
        ScriptedCaller c = ScriptedCaller.pressingOne(mobile, id, 40);

        CallResult r = engine.run(c);

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(r.bookings()).isEmpty();
        assertThat(c.heard()).containsSubsequence("main_menu", "full_everywhere", "choose_hospital", "choose_department",
                "whose_booking", "wl_readback", "wl_joined").doesNotContain("no_places", "dead_end_person");
        Long entry = jdbc.queryForObject("SELECT id FROM waitlist_entry WHERE service_id = ? AND sms_phone = ?"
                + " AND status = 'WAITING'", Long.class, world.dept, mobile);

        booking.cancel(earlier.id(), Channel.PHONE_MENU, other, "test");
        assertThat(jdbc.queryForObject("SELECT status FROM waitlist_entry WHERE id = ?", String.class, entry))
                .isEqualTo("OFFERED");

        // the same, for a vaccine: 2 at the main menu, then the waitlist of the first vaccine's clinic
        ScriptedCaller v = ScriptedCaller.script(Fixtures.mobile(), "2", "1", "1", "1", "1", world.idAged(30), "1", "1",
                GONE);
        engine.run(v);
        assertThat(v.heard()).containsSubsequence("full_everywhere", "choose_vaccine", "choose_clinic", "wl_readback",
                "wl_joined");

        // declining the waitlist is a dead end; the second offers a person
        ScriptedCaller no = ScriptedCaller.script(Fixtures.mobile(), "1", "2", "1", "1", "2", GONE);
        CallResult declined = engine.run(no);
        assertThat(declined.end()).isEqualTo(CallResult.End.TRANSFERRED);
        assertThat(no.heard().stream().filter("full_everywhere"::equals).count()).isEqualTo(2);
        assertThat(no.heard()).contains("dead_end_person");
    }

    @Test
    void aCallerMovesABookingToAnotherDayAndEveryPhoneOfTheFirstSmsHearsOfIt() {
        String mobile = Fixtures.mobile();
        String family = Fixtures.mobile();
        String id = world.idAged(75);
        Booking b = ((BookingOutcome.Booked) booking.book(slotOf(world.dept, 1, 9, 30), null, new BookingRequest(0, id,
                mobile, List.of(family), mobile, Channel.PHONE_MENU, "earlier", null))).booking();
        // the returning offer's 3 (check, cancel or change), the booking, 4 改约, the second date, its first slice, yes
        ScriptedCaller c = ScriptedCaller.script(mobile, "3", "1", "4", "2", "1", "1", GONE);

        CallResult r = engine.run(c);

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(c.heard()).containsSubsequence("change_readback", "moved", "booking_code_is");
        assertThat(booking.findById(b.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.CANCELLED);
        assertThat(r.bookings()).hasSize(1);
        Booking moved = booking.findById(r.bookings().get(0).id()).orElseThrow();
        assertThat(moved.status()).isEqualTo(Booking.BookingStatus.ACTIVE);
        assertThat(moved.serviceId()).isEqualTo(world.dept);
        assertThat(moved.date()).isEqualTo(world.today().plusDays(2));
        assertThat(moved.patientMasked()).isEqualTo(b.patientMasked());
        assertThat(moved.smsPhone()).isEqualTo(mobile);
        assertThat(moved.familyPhones()).containsExactly(family);
        assertThat(c.heard()).containsSubsequence(MandarinSpeech.digits(moved.code()));
        // the new booking's confirmation to the SMS phone and a copy to the family phone, as the first one went
        assertThat(jdbc.queryForList("SELECT phone FROM sms_message WHERE booking_id = ?", String.class, moved.id()))
                .contains(mobile, family);
        assertThat(fx.counts(slotOf(world.dept, 1, 9, 30), "PUBLIC")).containsExactly(5, 0, 0);
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    // ------------------------------------------------------------------ outbound calls that offer a place (issue 18)

    @Autowired org.hotline.booking.SessionCancellations cancellations;

    static String landline() {
        return String.format("010%08d", (System.nanoTime() / 1000) % 100_000_000);
    }

    /** A 停诊 cancels a landline caller's booking; the call says so, offers the nearest place, key 1 moves there. */
    Booking cancelledByHospital(String calling, String mobile) {
        Booking b = ((BookingOutcome.Booked) booking.book(slotOf(world.dept2, 1, 9, 0), null, new BookingRequest(0,
                world.idAged(81), mobile, List.of(), calling, Channel.PHONE_MENU, "earlier", null))).booking();
        cancellations.cancel("admin-test", world.hospital, world.dept2, world.today().plusDays(1),
                org.hotline.booking.Period.MORNING, "医生临时停诊");
        Booking cancelled = booking.findById(b.id()).orElseThrow();
        assertThat(cancelled.status()).isEqualTo(Booking.BookingStatus.CANCELLED);
        return cancelled;
    }

    FlowEngine.OutboundStart sessionCancelledCall(Booking cancelled, String dialled, Runnable optOut) {
        return FlowEngine.OutboundStart.offering("session_cancelled", cancelled, optOut,
                cancellations.openOffer(cancelled.id()).orElseThrow(), () -> cancellations.acceptOfferOf(
                        cancelled.id(), dialled) instanceof org.hotline.booking.SessionCancellations.OfferOutcome.Moved
                                ? "taken" : "gone", null);
    }

    @Test
    void aSessionCancelledCallOffersTheNearestPlaceAndKeyOneMovesTheBookingThere() {
        String landline = landline();
        Booking cancelled = cancelledByHospital(landline, Fixtures.mobile());
        var offer = cancellations.openOffer(cancelled.id()).orElseThrow();
        ScriptedCaller c = ScriptedCaller.script(landline, "1", GONE);

        CallResult r = engine.runOutbound(c, sessionCancelledCall(cancelled, landline, () -> { }));

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(c.heard()).containsSubsequence("sc_intro", "sc_offer", "sc_keys", "sc_moved", "outbound_goodbye");
        Long moved = jdbc.queryForObject("SELECT moved_booking_id FROM cancellation_notice WHERE booking_id = ?",
                Long.class, cancelled.id());
        Booking now = booking.findById(moved).orElseThrow();
        assertThat(now.slotId()).isEqualTo(offer.offer().slotId());
        assertThat(now.status()).isEqualTo(Booking.BookingStatus.ACTIVE);
        assertThat(cancellations.openOffer(cancelled.id())).isEmpty();
    }

    @Test
    void aSessionCancelledCallGoesToAPersonWithTwoAndOptsOutWithNine() {
        String landline = landline();
        Booking cancelled = cancelledByHospital(landline, Fixtures.mobile());
        ScriptedCaller two = ScriptedCaller.script(landline, "2", GONE);
        engine.runOutbound(two, sessionCancelledCall(cancelled, landline, () -> { }));
        assertThat(two.heard()).containsSubsequence("sc_intro", "sc_keys", "sc_person");
        assertThat(two.transferId).isNotNull();
        assertThat(cancellations.openOffer(cancelled.id())).as("nothing moved").isPresent();

        java.util.concurrent.atomic.AtomicBoolean opted = new java.util.concurrent.atomic.AtomicBoolean();
        ScriptedCaller nine = ScriptedCaller.script(landline, "9", GONE);
        engine.runOutbound(nine, sessionCancelledCall(cancelled, landline, () -> opted.set(true)));
        assertThat(opted).isTrue();
        assertThat(nine.heard()).contains("outbound_opted_out");
    }

    /** The place was taken (by the SMS reply) between the offer and the key: sorry, and a person. */
    @Test
    void aSessionCancelledOfferTakenMeanwhileSaysSoAndHandsToAPerson() {
        String landline = landline();
        String mobile = Fixtures.mobile();
        Booking cancelled = cancelledByHospital(landline, mobile);
        FlowEngine.OutboundStart start = sessionCancelledCall(cancelled, landline, () -> { });
        assertThat(cancellations.acceptOffer(mobile, null))
                .isInstanceOf(org.hotline.booking.SessionCancellations.OfferOutcome.Moved.class);
        ScriptedCaller c = ScriptedCaller.script(landline, "1", GONE);

        engine.runOutbound(c, start);

        assertThat(c.heard()).containsSubsequence("sc_keys", "offer_gone", "sc_person");
        assertThat(c.transferId).isNotNull();
    }

    /** A waiting list's place by telephone: 1 books the held place, 2 gives it to the next one waiting. */
    @Test
    void aWaitlistOfferCallBooksThePlaceWithOneAndGivesItUpWithTwo() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(77);
        Booking earlier = bookedBefore(mobile, world.idAged(40), slotOf(world.dept2, 1, 9, 0));
        bookedBefore(mobile, id, slotOf(world.dept2, 2, 9, 0));
        String mobile2 = Fixtures.mobile();
        String id2 = world.idAged(72);
        bookedBefore(mobile2, id2, slotOf(world.dept2, 3, 9, 0));
        fill(world.dept2);
        engine.run(ScriptedCaller.pressingOne(mobile, id, 40)); // 候补, as in the test above
        long entry = jdbc.queryForObject("SELECT id FROM waitlist_entry WHERE service_id = ? AND sms_phone = ?"
                + " AND status = 'WAITING'", Long.class, world.dept2, mobile);
        booking.cancel(earlier.id(), Channel.PHONE_MENU, mobile, "test");
        var offer = waitlist.offer(entry).orElseThrow();
        assertThat(offer.place().offer().slotId()).isEqualTo(earlier.slotId());

        ScriptedCaller c = ScriptedCaller.script(mobile, "*", "1", GONE);
        CallResult r = engine.runOutbound(c, FlowEngine.OutboundStart.offering("waitlist_offer", null, () -> { },
                offer.place(), () -> waitlist.confirmOffer(entry) instanceof BookingOutcome.Booked ? "taken" : "gone",
                () -> waitlist.decline(entry)));

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(c.heard()).containsSubsequence("wlo_intro", "wlo_keys", "wlo_intro", "wlo_keys", "wlo_booked");
        assertThat(jdbc.queryForObject("SELECT status FROM waitlist_entry WHERE id = ?", String.class, entry))
                .isEqualTo("BOOKED");
        Booking got = booking.findById(jdbc.queryForObject("SELECT booking_id FROM waitlist_entry WHERE id = ?",
                Long.class, entry)).orElseThrow();
        assertThat(got.slotId()).isEqualTo(earlier.slotId());

        // a second one waits for the same service; this time the place is declined and goes back
        engine.run(ScriptedCaller.pressingOne(mobile2, id2, 40));
        long entry2 = jdbc.queryForObject("SELECT id FROM waitlist_entry WHERE service_id = ? AND sms_phone = ?"
                + " AND status = 'WAITING'", Long.class, world.dept2, mobile2);
        booking.cancel(got.id(), Channel.PHONE_MENU, mobile, "test");
        var offer2 = waitlist.offer(entry2).orElseThrow();
        long hold = jdbc.queryForObject("SELECT offer_hold_id FROM waitlist_entry WHERE id = ?", Long.class, entry2);
        ScriptedCaller d = ScriptedCaller.script(mobile2, "2", GONE);
        engine.runOutbound(d, FlowEngine.OutboundStart.offering("waitlist_offer", null, () -> { }, offer2.place(),
                () -> "gone", () -> waitlist.decline(entry2)));
        assertThat(d.heard()).containsSubsequence("wlo_intro", "wlo_declined", "outbound_goodbye");
        assertThat(jdbc.queryForObject("SELECT status FROM waitlist_entry WHERE id = ?", String.class, entry2))
                .isEqualTo("LEFT");
        assertThat(holdStatus(hold)).isNotEqualTo("ACTIVE");
        assertThat(waitlist.offer(entry2)).isEmpty();
    }
}
