package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.temporal.TemporalAdjusters;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * End to end: SIPp dials the running service (the real flow engine, the real prompts, the embedded
 * MariaDB, the SMS dispatcher with its loopback SMPP sink) and books an outpatient visit by keypad, with
 * RFC 4733 keys (and its SMS is delivered) and with SIP INFO keys; a caller who hangs up mid-flow gets
 * their held place back at once.
 */
@IntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class SipCallsTest {

    private static final AtomicInteger EPOCH = new AtomicInteger();

    @TempDir
    Path work;

    @Autowired SipConfig.SipService sip;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired org.hotline.handoff.Complaints complaints;
    @Autowired org.hotline.agent.ConsoleUsers users;
    @Autowired org.hotline.audit.AuditLog audit;
    @Autowired org.springframework.web.context.WebApplicationContext web;

    long dept;
    long firstSlot;
    LocalDateTime now;

    /** A hospital of this test's own, on a Monday no other test uses, so "1" always means its first entry. */
    @BeforeEach
    void world() {
        now = LocalDateTime.of(2041, 1, 7, 10, 0).plusWeeks(4L * EPOCH.getAndIncrement())
                .with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        clock.set(now);
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        LocalDateTime tomorrow9 = now.toLocalDate().plusDays(1).atTime(9, 0);
        firstSlot = fx.slot(dept, tomorrow9, 1, 0, 5);
        fx.slot(dept, tomorrow9.plusMinutes(30), 1, 0, 5);
        fx.slot(dept, tomorrow9.plusDays(1), 1, 0, 5);
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    /** The ID as keyed: a final X is the * key. */
    String keyed(String residentId) {
        return residentId.replace('X', '*');
    }

    String idAged(int years) {
        return Fixtures.residentId(now.toLocalDate().minusYears(years).minusDays(40));
    }

    List<Map<String, Object>> bookingsBy(String caller) {
        return jdbc.queryForList("SELECT b.slot_id, b.status, b.sms_phone FROM booking b JOIN slot s ON s.id = b.slot_id"
                + " WHERE s.service_id = ? AND b.calling_number = ?", dept, caller);
    }

    int heldPlaces() {
        return jdbc.queryForObject("SELECT COALESCE(SUM(q.held), 0) FROM quota_pool q JOIN slot s ON s.id = q.slot_id"
                + " WHERE s.service_id = ?", Integer.class, dept);
    }

    @Test
    void rfc4733KeysBookAnOutpatientVisitAndTheGatewayHangsUpAfterGoodbye(CapturedOutput output) {
        String caller = Fixtures.mobile();
        String id = idAged(45);
        // welcome (skipped with 5), menu 1, hospital 1, department 1, date 1, slice 1, for myself 1, the ID, then
        // the read-back (this phone's SMS in it, issue 16) confirmed with 1, then 5 skips the read-out code; the
        // gateway says goodbye and hangs up
        String script = "2500:5|2000:1|1500:1|1500:1|1500:1|1500:1|1500:1|2000:" + keyed(id)
                + "|4800:1|3000:5|1000:";
        Sipp.Run run = Sipp.scenario(work, "uac_rfc4733.xml", sip.endpoint().port())
                .calls("hotline;" + script + ";" + caller + ";wait").args("-rtp_echo").run(Duration.ofSeconds(90));

        assertThat(run.succeeded()).as(run.logs()).isTrue();
        List<Map<String, Object>> booked = bookingsBy(caller);
        assertThat(booked).hasSize(1);
        assertThat(booked.get(0)).containsEntry("slot_id", firstSlot).containsEntry("status", "ACTIVE")
                .containsEntry("sms_phone", caller);
        assertThat(heldPlaces()).isZero();
        assertThat(fx.counts(firstSlot, "PUBLIC")).containsExactly(5, 0, 1);
        // its confirmation SMS went out over SMPP (the embedded sink in tests) to the calling phone
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String sms = null;
        while (System.nanoTime() < deadline && !"DELIVERED".equals(sms)) {
            sms = jdbc.query("SELECT m.status FROM sms_message m JOIN booking b ON b.id = m.booking_id"
                    + " WHERE b.calling_number = ? AND m.phone = ? AND m.kind = 'CONFIRMATION'",
                    (rs, i) -> rs.getString(1), caller, caller).stream().findFirst().orElse(null);
            sleepQuietly(200);
        }
        assertThat(sms).isEqualTo("DELIVERED");
        // the call was logged, but never with the whole calling number or resident ID
        assertThat(output.getAll()).contains("SIP call sip-").contains(caller.substring(0, 3) + "****")
                .doesNotContain(caller).doesNotContain(id);
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void sipInfoKeysBookTheSameWay() {
        String caller = Fixtures.mobile();
        String id = idAged(52);
        String script = "2500:5|1500:1|1200:1|1200:1|1200:1|1200:1|1200:1|1500:" + keyed(id)
                + "|1500:1|2500:5|1000:";
        Sipp.Run run = Sipp.scenario(work, "uac_info.xml", sip.endpoint().port())
                .calls("hotline;" + script + ";" + caller + ";wait").args("-rtp_echo").run(Duration.ofSeconds(90));

        assertThat(run.succeeded()).as(run.logs()).isTrue();
        List<Map<String, Object>> booked = bookingsBy(caller);
        assertThat(booked).hasSize(1);
        assertThat(booked.get(0)).containsEntry("slot_id", firstSlot).containsEntry("status", "ACTIVE");
        assertThat(heldPlaces()).isZero();
    }

    @Test
    void aCallerWhoHangsUpAfterChoosingASliceGetsTheHeldPlaceReleasedAtOnce() throws Exception {
        String caller = Fixtures.mobile();
        // up to the time slice (a place is now held), then the caller hangs up while "for whom" plays
        String script = "2500:5|2000:1|1500:1|1500:1|1500:1|1500:1|2500:";
        Sipp sipp = Sipp.scenario(work, "uac_rfc4733.xml", sip.endpoint().port())
                .calls("hotline;" + script + ";" + caller + ";bye").args("-rtp_echo").start().listening();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean sawHold = false;
        while (System.nanoTime() < deadline && !sawHold) {
            sawHold = heldPlaces() == 1;
            Thread.sleep(100);
        }
        assertThat(sawHold).as("a place was held while the caller chose").isTrue();
        Sipp.Run run = sipp.await(Duration.ofSeconds(40));
        long byeAt = System.nanoTime();
        assertThat(run.succeeded()).as(run.logs()).isTrue();
        while (heldPlaces() > 0 && System.nanoTime() - byeAt < TimeUnit.SECONDS.toNanos(3)) {
            Thread.sleep(20);
        }
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - byeAt);
        assertThat(heldPlaces()).isZero();
        assertThat(tookMs).as("released within a second of the BYE").isLessThan(1000);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ? AND status = 'RELEASED'",
                Integer.class, firstSlot)).isEqualTo(1);
        assertThat(bookingsBy(caller)).isEmpty();
    }

    /**
     * Issue 16 on direct SIP as on FastAGI: main menu 4, the caller speaks after the beep and presses #; the caller's
     * RTP is kept as a WAV (what they said, not our silence), listed as a recorded complaint, and a supervisor, and
     * only a supervisor, plays it from /ops/complaints, each play audited.
     */
    @Test
    void aComplaintOnADirectSipCallIsTheCallersRecordedVoiceAndOnlyASupervisorPlaysIt() throws Exception {
        String caller = Fixtures.mobile();
        Sipp.Run run = Sipp.scenario(work, "uac_complaint.xml", sip.endpoint().port())
                .file("speech.pcap", Sipp.speechPcap(Duration.ofSeconds(3))).calls("hotline;" + caller)
                .run(Duration.ofSeconds(60));
        assertThat(run.succeeded()).as(run.logs()).isTrue();

        Map<String, Object> row = jdbc.queryForMap("SELECT id, taken_as, recording, recording_seconds FROM complaint"
                + " WHERE caller_number = ?", caller);
        assertThat(row).containsEntry("taken_as", "RECORDING");
        long id = ((Number) row.get("id")).longValue();
        Path wav = Path.of((String) row.get("recording"));
        assertThat(wav).exists().hasParent(complaints.recordingsDir());
        byte[] bytes = java.nio.file.Files.readAllBytes(wav);
        assertThat(new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("RIFF");
        java.nio.ByteBuffer pcm = java.nio.ByteBuffer.wrap(bytes, 44, bytes.length - 44)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int samples = (bytes.length - 44) / 2;
        int loud = 0;
        for (int i = 0; i + 160 <= samples; i += 160) {
            long sum = 0;
            for (int k = 0; k < 160; k++) {
                sum += Math.abs(pcm.getShort(44 + 2 * (i + k)));
            }
            loud += sum / 160 > 1000 ? 1 : 0;
        }
        // 3 s said, the last 200 ms cut at the # (RECORD FILE's rewind); the tone of the "speech" is in it
        assertThat(samples / 8).as("ms recorded").isBetween(2300, 3300);
        assertThat(loud * 20).as("ms of the caller's voice").isGreaterThan(2000);
        assertThat(((Number) row.get("recording_seconds")).intValue()).isBetween(2, 3);

        var mvc = org.springframework.test.web.servlet.setup.MockMvcBuilders.webAppContextSetup(web)
                .addFilters(web.getBean("springSecurityFilterChain", jakarta.servlet.Filter.class)).build();
        String sup = user(org.hotline.agent.ConsoleRole.SUPERVISOR);
        var get = org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get(
                "/ops/complaints/" + id + "/recording");
        var played = mvc.perform(get.header("Authorization", basic(sup))).andReturn().getResponse();
        assertThat(played.getStatus()).isEqualTo(200);
        assertThat(played.getContentType()).isEqualTo("audio/wav");
        assertThat(played.getHeader("Cache-Control")).contains("no-store");
        assertThat(played.getContentAsByteArray()).isEqualTo(bytes);
        // a browser's <audio> asks for ranges as it plays: served, and not audited again
        var part = mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders
                .get("/ops/complaints/" + id + "/recording").header("Authorization", basic(sup))
                .header("Range", "bytes=1000-1999")).andReturn().getResponse();
        assertThat(part.getStatus()).isEqualTo(206);
        assertThat(part.getContentAsByteArray()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 1000, 2000));
        var page = mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get("/ops/complaints")
                .header("Authorization", basic(sup))).andReturn().getResponse();
        assertThat(page.getContentAsString()).contains("src=\"/ops/complaints/" + id + "/recording\"")
                .doesNotContain(caller);
        assertThat(audit.find(sup, null, null, null, 10)).singleElement().satisfies(e -> {
            assertThat(e.action()).isEqualTo("COMPLAINT_RECORDING_PLAYED");
            assertThat(e.outcome()).isEqualTo("OK");
            assertThat(e.detail()).isEqualTo("complaint " + id);
        });
        // nobody else: an administrator and an agent are refused, and so is anyone not signed in
        for (var role : List.of(org.hotline.agent.ConsoleRole.ADMIN, org.hotline.agent.ConsoleRole.AGENT)) {
            String other = user(role);
            assertThat(mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders
                    .get("/ops/complaints/" + id + "/recording").header("Authorization", basic(other)))
                    .andReturn().getResponse().getStatus()).as(role.name()).isEqualTo(403);
            assertThat(audit.find(other, null, null, null, 10)).singleElement().satisfies(e -> {
                assertThat(e.action()).isEqualTo("COMPLAINT_RECORDING_PLAYED");
                assertThat(e.outcome()).isEqualTo("DENIED");
            });
        }
        var anonymous = mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders
                .get("/ops/complaints/" + id + "/recording")).andReturn().getResponse();
        assertThat(anonymous.getStatus()).isIn(302, 401);
        assertThat(anonymous.getContentAsByteArray()).isNotEqualTo(bytes);
        // a complaint without a recording here: 404, audited as such
        long byPerson = complaints.takenByPerson("sip-test", caller, "138****0000", "T-x");
        assertThat(mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders
                .get("/ops/complaints/" + byPerson + "/recording").header("Authorization", basic(sup)))
                .andReturn().getResponse().getStatus()).isEqualTo(404);
        assertThat(audit.find(sup, null, null, null, 10)).extracting(e -> e.outcome()).containsExactly("NOT_FOUND", "OK");
    }

    String user(org.hotline.agent.ConsoleRole role) {
        String name = role.name().toLowerCase().replace('_', '-') + "-s" + EPOCH.incrementAndGet() + "-"
                + java.util.UUID.randomUUID().toString().substring(0, 6);
        users.create(null, name, "test-password-123", "测试" + role.label(), role, null).ifPresent(p -> {
            throw new IllegalStateException(p.toString());
        });
        return name;
    }

    static String basic(String user) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":test-password-123")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ outbound calls without Asterisk (issue 18)

    @Autowired org.hotline.outbound.OutboundStore outboundStore;
    @Autowired org.hotline.outbound.OutboundCalls outboundCalls;
    @Autowired org.hotline.outbound.OutboundChecks outboundChecks;
    @Autowired org.hotline.outbound.OutboundAnswerer outboundAnswerer;
    @Autowired org.hotline.outbound.ReminderCalls reminders;
    @Autowired org.hotline.booking.BookingService bookings;

    /** A booking for tomorrow made from a landline (so its reminder is a telephone call). */
    org.hotline.booking.Booking bookedFromLandline(String landline, int minute) {
        long slot = fx.slot(dept, now.toLocalDate().plusDays(1).atTime(11, minute), 1, 0, 5);
        return ((org.hotline.booking.BookingOutcome.Booked) bookings.book(slot, null,
                new org.hotline.booking.BookingRequest(0, Fixtures.residentIdAged(70), Fixtures.mobile(), List.of(),
                        landline, org.hotline.booking.Channel.PHONE_MENU, "test", null))).booking();
    }

    /** A node placing its calls over the direct SIP adapter to SIPp ({@code hotline.sip.outbound-uri}). */
    org.hotline.outbound.OutboundScheduler sipNode(int sippPort) {
        return sipNode(sippPort, org.hotline.outbound.OutboundProperties.defaults());
    }

    org.hotline.outbound.OutboundScheduler sipNode(int sippPort, org.hotline.outbound.OutboundProperties props) {
        return new org.hotline.outbound.OutboundScheduler(outboundStore, outboundCalls, outboundChecks,
                new org.hotline.outbound.SipDialer(sip, "sip:{number}@127.0.0.1:" + sippPort, outboundAnswerer, props),
                props, clock, "gw-sip", 2);
    }

    Map<String, Object> outboundRow(long id) {
        return jdbc.queryForMap("SELECT c.status, c.attempts, c.outcome, a.via, a.keys_pressed,"
                + " a.outcome AS attempt_outcome FROM outbound_call c JOIN outbound_attempt a ON a.call_id = c.id"
                + " WHERE c.id = ? ORDER BY a.id DESC LIMIT 1", id);
    }

    void waitForOutbound(long id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && !status.equals(jdbc.queryForObject(
                "SELECT status FROM outbound_call WHERE id = ?", String.class, id))) {
            Thread.sleep(100);
        }
    }

    @Test
    void withoutAsteriskTheSipAdapterCallsTheElderAndTwoThenOneCancelsTheBookingByRfc4733() throws Exception {
        String landline = String.format("010%08d", (System.nanoTime() / 1000) % 100_000_000);
        org.hotline.booking.Booking b = bookedFromLandline(landline, 5);
        reminders.on(new org.hotline.booking.BookingEvents.ReminderDue(b));
        long id = outboundStore.find(org.hotline.outbound.Purpose.REMINDER, String.valueOf(b.id())).orElseThrow().id();

        Sipp phone = Sipp.scenario(work, "uas_answer_rfc4733.xml", sip.endpoint().port()).args("-rtp_echo").start().listening();
        org.hotline.outbound.OutboundScheduler node = sipNode(phone.sipPort());
        try {
            assertThat(node.poll()).isEqualTo(1);
            Sipp.Run run = phone.await(Duration.ofSeconds(40));
            assertThat(run.succeeded()).as(run.logs()).isTrue();
            String log = Sipp.messages(run);
            assertThat(log).contains("INVITE for " + landline).contains("play_dtmf 2").contains("play_dtmf 1");
            waitForOutbound(id, "DONE");
        } finally {
            phone.kill();
            node.shutdown();
        }
        assertThat(bookings.findById(b.id()).orElseThrow().status())
                .isEqualTo(org.hotline.booking.Booking.BookingStatus.CANCELLED);
        assertThat(outboundRow(id)).containsEntry("status", "DONE").containsEntry("attempts", 1)
                .containsEntry("via", "SIP").containsEntry("attempt_outcome", "ANSWERED")
                .containsEntry("keys_pressed", "21");
        assertThat(sip.endpoint().outcomes()).containsKey("outbound-answered");
    }

    @Test
    void anUnansweredDirectSipCallIsCancelledAtTheRingTimeoutAndRecordedNoAnswer() throws Exception {
        String landline = String.format("010%08d", (System.nanoTime() / 1000) % 100_000_000);
        org.hotline.booking.Booking b = bookedFromLandline(landline, 50);
        reminders.on(new org.hotline.booking.BookingEvents.ReminderDue(b));
        long id = outboundStore.find(org.hotline.outbound.Purpose.REMINDER, String.valueOf(b.id())).orElseThrow().id();
        var ringsTwoSeconds = new org.hotline.outbound.OutboundProperties(null, null, null, null, null, null, null,
                null, null, Duration.ofSeconds(2), null, null, null, null, null);

        Sipp phone = Sipp.scenario(work, "uas_rings_cancel.xml", sip.endpoint().port()).start().listening();
        org.hotline.outbound.OutboundScheduler node = sipNode(phone.sipPort(), ringsTwoSeconds);
        try {
            assertThat(node.poll()).isEqualTo(1);
            Sipp.Run run = phone.await(Duration.ofSeconds(15));
            assertThat(run.succeeded()).as(run.logs()).isTrue();
            waitForOutbound(id, "PENDING");
        } finally {
            phone.kill();
            node.shutdown();
        }
        assertThat(outboundRow(id)).containsEntry("status", "PENDING").containsEntry("attempts", 1)
                .containsEntry("outcome", "NO_ANSWER").containsEntry("via", "SIP")
                .containsEntry("attempt_outcome", "NO_ANSWER");
    }

    @Test
    void aBusyElderOverDirectSipIsRecordedBusyAndTriedAgainLater() throws Exception {
        String landline = String.format("010%08d", (System.nanoTime() / 1000) % 100_000_000);
        org.hotline.booking.Booking b = bookedFromLandline(landline, 35);
        reminders.on(new org.hotline.booking.BookingEvents.ReminderDue(b));
        long id = outboundStore.find(org.hotline.outbound.Purpose.REMINDER, String.valueOf(b.id())).orElseThrow().id();

        Sipp phone = Sipp.scenario(work, "uas_busy_486.xml", sip.endpoint().port()).start().listening();
        org.hotline.outbound.OutboundScheduler node = sipNode(phone.sipPort());
        try {
            assertThat(node.poll()).isEqualTo(1);
            Sipp.Run run = phone.await(Duration.ofSeconds(15));
            assertThat(run.succeeded()).as(run.logs()).isTrue();
            waitForOutbound(id, "PENDING");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline && outboundRow(id).get("attempt_outcome") == null) {
                Thread.sleep(100);
            }
        } finally {
            phone.kill();
            node.shutdown();
        }
        assertThat(outboundRow(id)).containsEntry("status", "PENDING").containsEntry("attempts", 1)
                .containsEntry("outcome", "BUSY").containsEntry("via", "SIP").containsEntry("attempt_outcome", "BUSY");
        assertThat(bookings.findById(b.id()).orElseThrow().status())
                .isEqualTo(org.hotline.booking.Booking.BookingStatus.ACTIVE);
    }
}
