package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * Issue 16 over the FastAGI wire ({@link AsteriskCall}): the queue priority and transfer id are on the channel as
 * soon as the caller's age is known, so a gateway node dying mid-call leaves the caller at their priority.
 */
@IntegrationTest
class ElderServicesAgiTest {

    private static final AtomicInteger EPOCH = new AtomicInteger();

    @Autowired FastAgiListener agi;
    @Autowired BookingService booking;
    @Autowired TransferLog transfers;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    LocalDateTime now;
    long dept;

    @BeforeEach
    void world() {
        now = LocalDateTime.of(2049, 5, 4, 10, 0).plusWeeks(4L * EPOCH.getAndIncrement());
        clock.set(now);
        dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
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

    Booking bookedBefore(String caller, String id) {
        long slot = jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class, dept,
                now.toLocalDate().plusDays(2).atTime(9, 30));
        return ((BookingOutcome.Booked) booking.book(slot, null,
                new BookingRequest(0, id, caller, List.of(), caller, Channel.PHONE_MENU, "earlier", null))).booking();
    }

    @Test
    void anEightyOneYearOldsPriorityIsOnTheChannelBeforeTheFirstQuestionSoANodeDyingLeavesItThere() throws Exception {
        String mobile = Fixtures.mobile();
        bookedBefore(mobile, idAged(81));
        // the node "dies" at the first question: the call ends with no HOTLINE_NEXT, as when a node is killed
        var t = call(asterisk(mobile).answers(q -> AsteriskCall.HANG_UP));

        assertThat(t.variable("HOTLINE_NEXT")).as("no decision: the dialplan's fallback runs").isNull();
        assertThat(t.variable("QUEUE_PRIO")).isEqualTo("10");
        assertThat(t.variable("HOTLINE_TRANSFER_ID")).startsWith("T");
        // the fallback keeps what the node left instead of HOTLINE_FALLBACK_PRIO (5)
        assertThat(Files.readString(Path.of("sip-config/extensions.conf")))
                .contains("Set(QUEUE_PRIO=${IF($[\"${QUEUE_PRIO}\" = \"\"]?${HOTLINE_FALLBACK_PRIO}:${QUEUE_PRIO})})");
    }

    @Test
    void theAgeOfAnIdKeyedInThisCallSetsThePriorityAndALaterTransferKeepsTheSameId() throws Exception {
        String mobile = Fixtures.mobile();
        // a first-time caller: main menu 1, hospital, department, date, slice, for myself, an 85-year-old's ID, then 0
        var t = call(asterisk(mobile).answers(
                script("1", "1", "1", "1", "1", "1", idAged(85).replace('X', '*') + "#", "0")));

        List<String> sets = t.commands.stream().filter(c -> c.startsWith("SET VARIABLE \"QUEUE_PRIO\"")
                || c.startsWith("SET VARIABLE QUEUE_PRIO")).toList();
        assertThat(sets).as("set when the ID was checked, and again at the transfer").hasSizeGreaterThanOrEqualTo(2);
        int checked = t.commands.indexOf(sets.get(0));
        int transferPrompt = t.commands.stream().filter(c -> c.contains("transfer_now")).findFirst()
                .map(t.commands::indexOf).orElseThrow();
        assertThat(checked).as("before the transfer began").isLessThan(transferPrompt);
        assertThat(t.variable("QUEUE_PRIO")).isEqualTo("10");
        List<String> ids = t.commands.stream().filter(c -> c.contains("HOTLINE_TRANSFER_ID")).distinct().toList();
        assertThat(ids).as("one transfer id for the whole call").hasSize(1);
        assertThat(transfers.find(t.variable("HOTLINE_TRANSFER_ID"))).isPresent();
    }
}
