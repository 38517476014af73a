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
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Issue 16: every full-length entry followed by the {@code #} its prompt asks for ("输完请按井号键"), with keys
 * delivered as a real Asterisk delivers them ({@link AsteriskCall}: GET DATA returns at the last digit, the
 * {@code #} stays queued on the channel and reaches the next command that reads DTMF). The {@code #} must end
 * the entry and nothing else: no "没有听到您按键", no skipped family mobile, no empty answer.
 */
@IntegrationTest
class TypedAheadKeysTest {

    private static final AtomicInteger EPOCH = new AtomicInteger();

    @Autowired FastAgiListener agi;
    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    LocalDateTime now;
    long dept;

    /** A world of this test's own: a Wednesday far from the other tests' Mondays. */
    @BeforeEach
    void world() {
        now = LocalDateTime.of(2047, 3, 6, 10, 0).plusWeeks(4L * EPOCH.getAndIncrement());
        clock.set(now);
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        for (int day = 1; day <= 2; day++) {
            for (LocalDateTime t = now.toLocalDate().plusDays(day).atTime(9, 0); t.getHour() < 10; t = t.plusMinutes(30)) {
                fx.slot(dept, t, 1, 0, 5);
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

    static Function<AsteriskCall.Question, String> script(String... answers) {
        Deque<String> q = new ArrayDeque<>(List.of(answers));
        return question -> q.isEmpty() ? AsteriskCall.HANG_UP : q.poll();
    }

    AsteriskCall.Transcript call(AsteriskCall.Builder b) throws InterruptedException {
        AsteriskCall.Transcript t = b.run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);
        assertThat(t.error).isNull();
        return t;
    }

    AsteriskCall.Builder asterisk(String callerId) {
        return AsteriskCall.to(agi.port()).callerId(callerId).installed(AsteriskCall::repositoryPrompt);
    }

    static List<String> ids(AsteriskCall.Transcript t) {
        return t.sounds.stream().map(s -> s.substring(s.lastIndexOf('/') + 1)).toList();
    }

    /** The # reached the gateway (a sound was streamed on from where it stopped) and was taken as the entry's end. */
    static void hashSwallowed(AsteriskCall.Transcript t) {
        boolean resumed = t.commands.stream().anyMatch(c -> c.matches("STREAM FILE \\S+ \"[^\"]*\" \\d+"));
        boolean askedAgain = false;
        for (int i = 1; i < t.commands.size(); i++) {
            askedAgain |= t.commands.get(i).startsWith("GET DATA") && t.commands.get(i).equals(t.commands.get(i - 1))
                    && t.replies.get(i - 1).equals("200 result=\n");
        }
        assertThat(resumed || askedAgain)
                .as("the # after the full entry interrupted the next sound (streamed on) or question (asked again)")
                .isTrue();
        assertThat(ids(t)).doesNotContain("no_input", "invalid_key", "invalid_entry", "offer_person");
    }

    @Test
    void ownIdWithTheHashThePromptAsksForBooksWithoutANoInput() throws Exception {
        String mobile = Fixtures.mobile();
        String id = idAged(45);
        // main menu 1, hospital 1, department 1, date 1, slice 1, for myself 1, ID + #, this phone 1, yes 1
        var t = call(asterisk(mobile).answers(script("1", "1", "1", "1", "1", "1", id.replace('X', '*') + "#", "1", "1")));

        hashSwallowed(t);
        assertThat(booking.findByPhone(mobile)).hasSize(1);
        assertThat(ids(t)).contains("booked");
    }

    @Test
    void familyIdWithHashDoesNotSkipTheFamilyMobileAndTheFamilyGetsTheSms() throws Exception {
        String caller = Fixtures.mobile();
        String familyMobile = Fixtures.mobile();
        String elderId = idAged(81);
        var t = call(asterisk(caller).answers(script("1", "1", "1", "1", "1", "2", elderId.replace('X', '*') + "#",
                familyMobile + "#", "1", "1")));

        hashSwallowed(t);
        List<Booking> bs = booking.findByResidentId(elderId);
        assertThat(bs).hasSize(1);
        assertThat(bs.get(0).smsPhone()).as("the family mobile was asked for and kept").isEqualTo(familyMobile);
        assertThat(bs.get(0).familyPhones()).containsExactly(caller);
        assertThat(jdbc.queryForList("SELECT phone FROM sms_message WHERE booking_id = ?", String.class, bs.get(0).id()))
                .as("the family gets its SMS, and so does the caller").contains(familyMobile, caller);
        assertThat(ids(t)).containsSubsequence("ask_elder_id", "ask_elder_phone", "readback_intro");
    }

    @Test
    void aLandlinesSmsNumberWithHashIsTakenAndTheReadBackIsNotCut() throws Exception {
        String landline = "010" + Fixtures.mobile().substring(3);
        String sms = Fixtures.mobile();
        var t = call(asterisk(landline).answers(
                script("1", "1", "1", "1", "1", "1", idAged(70).replace('X', '*') + "#", sms + "#", "1")));

        hashSwallowed(t);
        List<Booking> bs = booking.findByPhone(sms);
        assertThat(bs).hasSize(1);
        assertThat(bs.get(0).callingNumber()).isEqualTo(landline);
    }

    @Test
    void aLookUpIdWithHashFindsTheBookingAndTheListIsHeard() throws Exception {
        String mobile = Fixtures.mobile();
        String id = idAged(66);
        bookedBefore(mobile, id);
        // returning caller: 3 = my bookings (listed at once), 2 = other bookings, 2 = by ID, ID + #, 1 = the booking, 0
        var t = call(asterisk(mobile).answers(script("3", "2", "2", id.replace('X', '*') + "#", "1", "0")));

        hashSwallowed(t);
        assertThat(ids(t)).containsSubsequence("ask_lookup_id", "choose_booking", "booking_detail");
    }

    @Test
    void aBookingCodeWithHashFindsTheBooking() throws Exception {
        String mobile = Fixtures.mobile();
        Booking b = bookedBefore(mobile, idAged(67));
        var t = call(asterisk(mobile).answers(script("3", "2", "3", b.code() + "#", "1", "0")));

        hashSwallowed(t);
        assertThat(ids(t)).containsSubsequence("ask_code", "choose_booking", "booking_detail");
    }

    @Test
    void aSlowServerLosesTheHashBetweenCommandsAndTheCallGoesOnAsWell() throws Exception {
        // res_agi.c run_agi reads and drops frames that arrive while no command runs: a # typed 1 ms after the
        // ID is gone by the time the gateway asks its next question; nothing may depend on it
        String mobile = Fixtures.mobile();
        var t = call(asterisk(mobile).keyGap(java.time.Duration.ofMillis(1))
                .answers(script("1", "1", "1", "1", "1", "1", idAged(46).replace('X', '*') + "#", "1", "1")));

        assertThat(ids(t)).contains("booked").doesNotContain("no_input", "invalid_key");
        assertThat(booking.findByPhone(mobile)).hasSize(1);
    }

    Booking bookedBefore(String caller, String id) {
        long slot = jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class, dept,
                now.toLocalDate().plusDays(2).atTime(9, 30));
        return ((BookingOutcome.Booked) booking.book(slot, null,
                new BookingRequest(0, caller.isEmpty() ? null : id, caller, List.of(), caller, Channel.PHONE_MENU,
                        "earlier", null))).booking();
    }
}
