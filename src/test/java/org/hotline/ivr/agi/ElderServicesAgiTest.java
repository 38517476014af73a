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
    @Autowired org.hotline.handoff.Complaints complaints;
    @Autowired org.hotline.agent.ConsoleUsers users;
    @Autowired org.springframework.web.context.WebApplicationContext web;

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

    List<org.hotline.handoff.Complaints.Complaint> complaintsOf(String callId) {
        return complaints.list(null, 1000).stream().filter(c -> c.callId().equals(callId)).toList();
    }

    @Test
    void aComplaintIsRecordedAsTheCallersVoiceAndListedForSupervisors() throws Exception {
        String mobile = Fixtures.mobile();
        // main menu: 4 = a complaint; then 12 s of speech and #
        AsteriskCall a = asterisk(mobile).answers(script("4")).speaks(12, "#").build();
        var t = a.run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);

        String record = t.commands.stream().filter(c -> c.startsWith("RECORD FILE")).findFirst().orElseThrow();
        assertThat(record).contains("hotline-complaints/complaint-").contains("wav").contains("BEEP");
        assertThat(t.replies.get(t.commands.indexOf(record))).startsWith("200 result=35 (dtmf) endpos=");
        assertThat(t.recordings).hasSize(1);
        assertThat(t.sounds).contains("beep");
        List<String> ids = t.sounds.stream().map(x -> x.substring(x.lastIndexOf('/') + 1)).toList();
        assertThat(ids).containsSubsequence("complaint_intro", "beep", "complaint_recorded", "goodbye");

        var listed = complaintsOf(a.uniqueId());
        assertThat(listed).hasSize(1);
        var c = listed.get(0);
        assertThat(c.takenAs()).isEqualTo(org.hotline.handoff.Complaints.TakenAs.RECORDING);
        assertThat(c.recording()).endsWith(".wav").contains("hotline-complaints");
        assertThat(c.recordingSeconds()).isBetween(11, 12);
        assertThat(c.callerMasked()).doesNotContain(mobile).endsWith(mobile.substring(7));
        assertThat(c.status()).isEqualTo(org.hotline.handoff.Complaints.Status.OPEN);

        // supervisors only: they see it and mark it handled; an administrator and an agent are refused
        var mvc = org.springframework.test.web.servlet.setup.MockMvcBuilders.webAppContextSetup(web)
                .addFilters(web.getBean("springSecurityFilterChain", jakarta.servlet.Filter.class)).build();
        String sup = user(org.hotline.agent.ConsoleRole.SUPERVISOR);
        String admin = user(org.hotline.agent.ConsoleRole.ADMIN);
        String agent = user(org.hotline.agent.ConsoleRole.AGENT);
        var page = mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get("/ops/complaints")
                .header("Authorization", basic(sup))).andReturn().getResponse();
        assertThat(page.getStatus()).isEqualTo(200);
        assertThat(page.getContentAsString()).contains("complaint-" + c.id()).contains(c.callerMasked())
                .doesNotContain(mobile).contains("待处理");
        for (String other : List.of(admin, agent)) {
            assertThat(mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders
                    .get("/ops/complaints").header("Authorization", basic(other))).andReturn().getResponse().getStatus())
                    .as(other).isEqualTo(403);
        }
        assertThat(complaints.markHandled(c.id(), sup, "已回电致歉")).isTrue();
        assertThat(complaints.markHandled(c.id(), sup, "again")).isFalse();
        var handled = complaintsOf(a.uniqueId()).get(0);
        assertThat(handled.status()).isEqualTo(org.hotline.handoff.Complaints.Status.HANDLED);
        assertThat(handled.handledBy()).isEqualTo(sup);
        var counts = complaints.counts(now.toLocalDate().minusDays(1), now.toLocalDate().plusDays(1));
        assertThat(counts.recorded()).isGreaterThanOrEqualTo(1);
        assertThat(counts.handled()).isGreaterThanOrEqualTo(1);
        var report = mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get("/ops/reports")
                .param("from", now.toLocalDate().toString()).param("to", now.toLocalDate().toString())
                .header("Authorization", basic(sup))).andReturn().getResponse();
        assertThat(report.getStatus()).isEqualTo(200);
        assertThat(report.getContentAsString()).contains("投诉受理");
    }

    @Test
    void whenAsteriskCannotRecordAPersonTakesTheComplaintWithReasonComplaint() throws Exception {
        String mobile = Fixtures.mobile();
        AsteriskCall a = asterisk(mobile).answers(script("4")).refusing(cmd -> cmd.equals("record file")).build();
        var t = a.run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);

        assertThat(t.variable("HOTLINE_NEXT")).isEqualTo("AGENT");
        var ctx = transfers.find(t.variable("HOTLINE_TRANSFER_ID")).orElseThrow();
        assertThat(ctx.reason()).isEqualTo(org.hotline.handoff.TransferReason.COMPLAINT);
        var listed = complaintsOf(a.uniqueId());
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).takenAs()).isEqualTo(org.hotline.handoff.Complaints.TakenAs.PERSON);
        assertThat(listed.get(0).transferId()).isEqualTo(ctx.transferId());
    }

    String user(org.hotline.agent.ConsoleRole role) {
        String name = role.name().toLowerCase().replace('_', '-') + "-c" + EPOCH.incrementAndGet() + "-"
                + java.util.UUID.randomUUID().toString().substring(0, 6);
        users.create(null, name, "test-password-123", "测试" + role.label(), role,
                null)
                .ifPresent(p -> {
                    throw new IllegalStateException(p.toString());
                });
        return name;
    }

    static String basic(String user) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":test-password-123")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static List<String> ids(AsteriskCall.Transcript t) {
        return t.sounds.stream().map(x -> x.substring(x.lastIndexOf('/') + 1)).toList();
    }

    @Test
    void aLandlineCallerWithNoMobileBooksWithoutAnSmsAndHearsTheCodeTwice() throws Exception {
        String landline = "010" + Fixtures.mobile().substring(3);
        String id = idAged(77);
        // outpatient, first hospital/department/date/slice, for myself, the ID, # = no mobile, 2 = no SMS, 1 = book
        AsteriskCall a = asterisk(landline).answers(script("1", "1", "1", "1", "1", "1", id.replace('X', '*') + "#",
                "#", "2", "1")).build();
        var t = a.run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);

        List<Booking> bs = booking.findByResidentId(id);
        assertThat(bs).hasSize(1);
        assertThat(bs.get(0).smsPhone()).isNull();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sms_message WHERE booking_id = ?", Integer.class,
                bs.get(0).id())).isZero();
        List<String> heard = ids(t);
        assertThat(heard).containsSubsequence("ask_sms_number", "no_mobile_hash", "no_mobile_offer", "readback_no_sms",
                "booked", "booking_code_is", "code_once_more", "no_sms_note", "goodbye");
        assertThat(heard).doesNotContain("offer_person", "no_input", "invalid_entry", "booked_sms");
        List<String> code = org.hotline.ivr.MandarinSpeech.digits(bs.get(0).code());
        assertThat(java.util.Collections.indexOfSubList(heard, code)).as("the code is read")
                .isNotEqualTo(java.util.Collections.lastIndexOfSubList(heard, code)).isNotNegative();
        assertThat(t.variable("HOTLINE_NEXT")).isEqualTo("HANGUP");
    }

    @Test
    void aLandlineCallerWithNoMobileMaySendTheSmsToAFamilyMobileInstead() throws Exception {
        String landline = "010" + Fixtures.mobile().substring(3);
        String family = Fixtures.mobile();
        String id = idAged(78);
        var t = call(asterisk(landline).answers(script("1", "1", "1", "1", "1", "1", id.replace('X', '*') + "#",
                "#", "1", family + "#", "1")));

        List<Booking> bs = booking.findByResidentId(id);
        assertThat(bs).hasSize(1);
        assertThat(bs.get(0).smsPhone()).isEqualTo(family);
        assertThat(jdbc.queryForList("SELECT phone FROM sms_message WHERE booking_id = ?", String.class, bs.get(0).id()))
                .contains(family);
        assertThat(ids(t)).containsSubsequence("no_mobile_offer", "ask_family_sms", "readback_intro").doesNotContain(
                "offer_person");
    }

    @Test
    void everyCallStartsWithTheEmergencyAdviceBeforeAnyMenu() throws Exception {
        var t = call(asterisk(Fixtures.mobile()).answers(q -> AsteriskCall.HANG_UP));
        List<String> heard = ids(t);
        assertThat(heard).contains("emergency_120");
        assertThat(heard.indexOf("emergency_120")).isLessThan(heard.indexOf("main_menu"));
        assertThat(heard.subList(0, heard.indexOf("emergency_120"))).containsOnly("welcome");
    }
}
