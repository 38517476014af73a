package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.TestClock;

/**
 * A refusal never carries what the user may not read: every console/API action on a booking, as every role,
 * against a booking outside that role's reach, over real HTTP on the real database. The answer (whatever its
 * status) holds no field of the booking, and the booking is untouched. And the front desk's look-ups go at a
 * desk's pace, not a script's.
 */
@ConsoleTest
class RefusalsDoNotLeakTest {

    static final java.util.concurrent.atomic.AtomicInteger WORLD = new java.util.concurrent.atomic.AtomicInteger();

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired BookingService booking;

    ConsoleFixtures cfx;
    LocalDateTime morning;
    long hospital;
    long otherHospital;
    long dept;
    long otherDept;
    long centre;
    long otherCentre;

    @BeforeEach
    void world() {
        morning = LocalDateTime.of(2053, 5, 6, 8, 0).plusWeeks(WORLD.getAndIncrement());
        clock.set(morning);
        cfx = new ConsoleFixtures(users, transferLog, clock);
        hospital = fx.facility("DISTRICT_HOSPITAL");
        otherHospital = fx.facility("DISTRICT_HOSPITAL");
        dept = fx.outpatientService(hospital);
        otherDept = fx.outpatientService(otherHospital);
        centre = fx.facility("COMMUNITY_CENTRE");
        otherCentre = fx.facility("COMMUNITY_CENTRE");
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    ConsoleClient as(ConsoleRole role, Long facility) {
        return new ConsoleClient(port).loggedIn(cfx.user(role, facility), ConsoleFixtures.PASSWORD);
    }

    /** What must never appear in an answer to someone outside the booking's reach. */
    static List<String> secrets(Booking b, String residentId) {
        List<String> s = new ArrayList<>(List.of(b.code(), b.patientMasked(),
                org.hotline.booking.ResidentId.of(residentId).birthDate().toString(),
                residentId, residentId.substring(residentId.length() - 4)));
        s.add(b.smsPhone());
        s.add(b.callingNumber());
        s.addAll(b.familyPhones());
        return s;
    }

    @Test
    void everyActionAsEveryRoleOnABookingOutsideItsReachAnswersNothingOfIt() {
        // today's referral from a community centre, at a hospital: outside the reach of the other centre's doctor,
        // of the other hospital's desk, and (as a booking) of supervisors and admins, who do not book
        String id = Fixtures.residentIdAged(74);
        String sms = Fixtures.mobile();
        String family = Fixtures.mobile();
        String calling = Fixtures.mobile();
        String doctorOfCentre = cfx.user(ConsoleRole.COMMUNITY_DOCTOR, centre);
        long slot = fx.slot(dept, morning.withHour(10), 0, 2, 2, morning.minusDays(3), morning.withHour(10));
        long freeSlot = fx.slot(dept, morning.plusDays(2).withHour(10), 0, 2, 2, morning.minusDays(3),
                morning.plusDays(2).withHour(10));
        BookingOutcome out = booking.book(slot, null, new BookingRequest(0, id, sms, List.of(family), calling,
                Channel.COMMUNITY_DOCTOR, doctorOfCentre, centre));
        assertThat(out).isInstanceOf(BookingOutcome.Booked.class);
        Booking b = ((BookingOutcome.Booked) out).booking();
        List<String> secrets = secrets(b, id);
        int[] before = fx.counts(slot, b.pool().name());
        int[] freeBefore = fx.counts(freeSlot, "COMMUNITY");

        Map<String, ConsoleClient> outsiders = new LinkedHashMap<>();
        outsiders.put("doctor of another centre", as(ConsoleRole.COMMUNITY_DOCTOR, otherCentre));
        outsiders.put("desk of another hospital", as(ConsoleRole.FRONT_DESK, otherHospital));
        outsiders.put("supervisor", as(ConsoleRole.SUPERVISOR, null));
        outsiders.put("admin", as(ConsoleRole.ADMIN, null));

        Map<String, Object> move = new HashMap<>(Map.of("slotId", freeSlot, "residentId", id));
        List<String[]> actions = List.of(
                new String[] {"GET", "/api/bookings/" + b.id()},
                new String[] {"GET", "/api/bookings/" + b.id() + "/sms"},
                new String[] {"POST", "/api/bookings/" + b.id() + "/cancel"},
                new String[] {"POST", "/api/bookings/" + b.id() + "/move"},
                new String[] {"POST", "/api/bookings/search", "code"},
                new String[] {"POST", "/api/bookings/search", "phone"},
                new String[] {"POST", "/api/bookings/search", "calling"},
                new String[] {"POST", "/api/bookings/search", "residentId"},
                new String[] {"POST", "/api/check-ins"});
        List<String> seen = new ArrayList<>();
        outsiders.forEach((who, c) -> {
            for (String[] a : actions) {
                ConsoleClient.Answer answer;
                if (a[0].equals("GET")) {
                    answer = c.get(a[1]);
                } else if (a[1].endsWith("/move")) {
                    answer = c.post(a[1], move);
                } else if (a[1].endsWith("/search")) {
                    answer = c.post(a[1], switch (a[2]) {
                        case "code" -> Map.of("code", b.code());
                        case "phone" -> Map.of("phone", sms);
                        case "calling" -> Map.of("phone", calling);
                        default -> Map.of("residentId", id);
                    });
                } else if (a[1].equals("/api/check-ins")) {
                    answer = c.post(a[1], Map.of("code", b.code()));
                } else {
                    answer = c.post(a[1], Map.of());
                }
                String what = who + " " + String.join(" ", a) + " -> " + answer.status() + " " + answer.body();
                seen.add(what);
                assertThat(answer.status()).as(what).isLessThan(500);
                if (answer.status() == 200) {
                    assertThat(answer.body()).as("only a search succeeds, finding nothing: " + what).isEqualTo("[]");
                }
                for (String secret : secrets) {
                    assertThat(answer.body() == null ? "" : answer.body()).as(what).doesNotContain(secret);
                }
            }
        });
        // nothing moved, cancelled or checked in
        assertThat(jdbc.queryForObject("SELECT status FROM booking WHERE id = ?", String.class, b.id()))
                .isEqualTo("ACTIVE");
        assertThat(fx.counts(slot, b.pool().name())).containsExactly(before);
        assertThat(fx.counts(freeSlot, "COMMUNITY")).containsExactly(freeBefore);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM hold WHERE slot_id = ? AND status = 'ACTIVE'",
                Integer.class, freeSlot)).isZero();
        // the ones the issue named, by name: a move and a cancel answer as for a booking that does not exist, a
        // check-in elsewhere says only that
        ConsoleClient doctor = outsiders.get("doctor of another centre");
        ConsoleClient.Answer moved = doctor.post("/api/bookings/" + b.id() + "/move", move);
        assertThat(moved.status()).isEqualTo(422);
        assertThat(moved.json().get("refusal").asString()).isEqualTo("NOT_FOUND");
        assertThat(moved.json().get("booking").isNull()).isTrue();
        assertThat(doctor.get("/api/bookings/" + b.id()).status()).isEqualTo(404);
        ConsoleClient.Answer missing = doctor.post("/api/bookings/" + (b.id() + 1_000_000) + "/move", move);
        assertThat(missing.body()).as("same answer as a booking that does not exist")
                .isEqualTo(moved.body());
        ConsoleClient.Answer elsewhere = outsiders.get("desk of another hospital").post("/api/check-ins",
                Map.of("code", b.code()));
        assertThat(elsewhere.json().get("refusal").asString()).isEqualTo("OTHER_FACILITY");
        assertThat(elsewhere.json().get("booking").isNull()).isTrue();

        // within reach the same actions still show it: the centre's own doctor, and the hospital's own desk
        ConsoleClient own = new ConsoleClient(port).loggedIn(doctorOfCentre, ConsoleFixtures.PASSWORD);
        assertThat(own.get("/api/bookings/" + b.id()).json().get("code").asString()).isEqualTo(b.code());
        ConsoleClient ownDesk = as(ConsoleRole.FRONT_DESK, hospital);
        ConsoleClient.Answer checkedIn = ownDesk.post("/api/check-ins", Map.of("code", b.code()));
        assertThat(checkedIn.status()).as(checkedIn.body()).isEqualTo(200);
        assertThat(checkedIn.json().get("booking").get("code").asString()).isEqualTo(b.code());
        System.out.println("[refusals] " + seen.size() + " answers checked:\n  " + String.join("\n  ", seen));
    }

    /**
     * 停诊 over HTTP: only an administrator cancels; roles without the screen get 403 with nothing of any patient; a
     * supervisor reads the worklist and records calls; an unknown notice is 404 like one out of reach.
     */
    @Test
    void sessionClosuresAnswerOnlyTheirRolesAndNothingOfPatientsToOthers() {
        String id = Fixtures.residentIdAged(77);
        String sms = Fixtures.mobile();
        String family = Fixtures.mobile();
        LocalDateTime at = morning.plusDays(3).withHour(9);
        long slot = fx.slot(dept, at, 0, 0, 3, morning.minusDays(1), at.minusHours(2));
        Booking b = ((BookingOutcome.Booked) booking.book(slot, null, new BookingRequest(0, id, sms, List.of(family),
                null, Channel.AGENT, "agent-z", null))).booking();
        List<String> secrets = secrets(b, id);
        Map<String, Object> cancel = new HashMap<>(Map.of("facilityId", hospital, "serviceId", dept, "date",
                at.toLocalDate().toString(), "period", "MORNING", "reason", "医生临时停诊"));
        for (ConsoleRole role : List.of(ConsoleRole.AGENT, ConsoleRole.FRONT_DESK, ConsoleRole.COMMUNITY_DOCTOR,
                ConsoleRole.SUPERVISOR)) {
            Long facility = role == ConsoleRole.FRONT_DESK ? Long.valueOf(hospital)
                    : role == ConsoleRole.COMMUNITY_DOCTOR ? Long.valueOf(centre) : null;
            ConsoleClient c = as(role, facility);
            ConsoleClient.Answer refused = c.post("/api/closures", cancel);
            assertThat(refused.status()).as(role + " " + refused.body()).isEqualTo(403);
            if (role != ConsoleRole.SUPERVISOR) {
                assertThat(c.get("/api/closures/elders").status()).as(role.name()).isEqualTo(403);
                assertThat(c.get("/console/closures").status()).as(role.name()).isEqualTo(403);
            }
        }
        assertThat(jdbc.queryForObject("SELECT status FROM booking WHERE id = ?", String.class, b.id()))
                .isEqualTo("ACTIVE");

        ConsoleClient admin = as(ConsoleRole.ADMIN, null);
        assertThat(admin.get("/console/closures").body()).contains("停诊与回访", "closure-submit");
        ConsoleClient.Answer done = admin.post("/api/closures", cancel);
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.json().get("bookingsCancelled").asInt()).isEqualTo(1);
        ConsoleClient.Answer again = admin.post("/api/closures", cancel);
        assertThat(again.status()).isEqualTo(422);
        assertThat(again.json().get("refusal").asString()).isEqualTo("ALREADY_CANCELLED");

        ConsoleClient supervisor = as(ConsoleRole.SUPERVISOR, null);
        ConsoleClient.Answer elders = supervisor.get("/api/closures/elders");
        assertThat(elders.status()).isEqualTo(200);
        long notice = -1;
        for (var a : elders.json()) {
            if (a.get("bookingId").asLong() == b.id()) {
                notice = a.get("noticeId").asLong();
                assertThat(a.get("smsPhone").asString()).isEqualTo(sms); // the number to dial, for those who may
            }
        }
        assertThat(notice).isPositive();
        assertThat(supervisor.post("/api/closures/notices/" + notice + "/calls", Map.of("outcome", "REACHED"))
                .status()).isEqualTo(200);
        ConsoleClient.Answer missing = supervisor.post("/api/closures/notices/" + Long.MAX_VALUE + "/calls",
                Map.of("outcome", "REACHED"));
        assertThat(missing.status()).isEqualTo(404);
        ConsoleClient agent = as(ConsoleRole.AGENT, null);
        ConsoleClient.Answer notHis = agent.post("/api/closures/notices/" + notice + "/calls", Map.of("outcome",
                "NO_ANSWER"));
        assertThat(notHis.status()).isEqualTo(403);
        for (String secret : secrets) {
            if (secret == null) {
                continue; // no calling number
            }
            assertThat(String.valueOf(notHis.body())).doesNotContain(secret);
            assertThat(String.valueOf(missing.body())).doesNotContain(secret);
        }
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM cancellation_call WHERE notice_id = ?", Integer.class,
                notice)).isEqualTo(1);
    }

    @Test
    void aDeskLooksCodesUpAtADesksPaceAndAnotherDeskIsNotSlowedByIt() {
        ConsoleClient desk = as(ConsoleRole.FRONT_DESK, hospital);
        int burst = 20;
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < burst + 5; i++) {
            statuses.add(desk.post("/api/check-ins", Map.of("code", String.format("%06d", 100_000 + i))).status());
        }
        assertThat(statuses.subList(0, burst)).as(statuses.toString()).containsOnly(422);
        assertThat(statuses.subList(burst, burst + 5)).as(statuses.toString()).containsOnly(429);
        ConsoleClient.Answer throttled = desk.post("/api/check-ins", Map.of("code", "999999"));
        assertThat(throttled.status()).isEqualTo(429);
        assertThat(Integer.parseInt(throttled.header("Retry-After"))).isBetween(1, 60);
        assertThat(throttled.json().get("text").asString()).contains("秒后再试");
        // a throttled look-up looks nothing up: no audit row for it
        String me = desk.get("/api/me").json().get("username").asString();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE username = ? AND action = 'CHECK_IN'",
                Integer.class, me)).isEqualTo(burst);

        // another desk of the same hospital works on
        assertThat(as(ConsoleRole.FRONT_DESK, hospital).post("/api/check-ins", Map.of("code", "123456")).status())
                .isEqualTo(422);
        // 30 a minute after the burst: one look-up every 2 s
        clock.advance(Duration.ofSeconds(2));
        assertThat(desk.post("/api/check-ins", Map.of("code", "123457")).status()).isEqualTo(422);
        assertThat(desk.post("/api/check-ins", Map.of("code", "123458")).status()).isEqualTo(429);
        clock.advance(Duration.ofMinutes(1));
        assertThat(desk.post("/api/check-ins", Map.of("code", "123459")).status()).isEqualTo(422);
    }

    @Test
    void codesTriedAsFastAsTheServerAnswersGetADesksPace() {
        clock.reset(); // real time
        ConsoleClient desk = as(ConsoleRole.FRONT_DESK, hospital);
        long start = System.nanoTime();
        int answered = 0;
        int tries = 0;
        while (System.nanoTime() - start < Duration.ofSeconds(5).toNanos()) {
            int status = desk.post("/api/check-ins", Map.of("code", String.format("%06d", 200_000 + tries))).status();
            tries++;
            if (status != 429) {
                answered++;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("[check-in pace] %d tries in %.1f s (%.0f/s), %d looked up (%.1f/s)%n", tries, seconds,
                tries / seconds, answered, answered / seconds);
        assertThat(answered).isLessThanOrEqualTo(20 + (int) Math.ceil(seconds / 2) + 1);
    }
}
