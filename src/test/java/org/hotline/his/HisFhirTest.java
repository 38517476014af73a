package org.hotline.his;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Schedule;
import org.hl7.fhir.r4.model.Slot;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.UnsignedIntType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import com.sun.net.httpserver.HttpServer;

import ca.uhn.fhir.validation.FhirValidator;

import org.hotline.agent.ConsoleClient;
import org.hotline.agent.ConsoleFixtures;
import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUsers;
import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.KeyedHash;
import org.hotline.booking.MoveOutcome;
import org.hotline.booking.MoveRequest;
import org.hotline.booking.SessionCancellations;
import org.hotline.booking.BookingProperties;
import org.hotline.handoff.TransferLog;
import org.hotline.his.fhir.AppointmentPush;
import org.hotline.his.fhir.PushSignature;
import org.hotline.ivr.agi.AsteriskCall;
import org.hotline.his.fhir.Fhir;
import org.hotline.release.QuotaRelease;
import org.hotline.release.ReleaseScope;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.HttpDoor;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

import tools.jackson.databind.JsonNode;

/**
 * The FHIR door for hospital systems over real HTTP on the real database: tokens managed by an admin in the console
 * (scoped, rotated, revoked, audited, rate-limited), a week of slots published and resynced, Appointments read,
 * searched, pushed to a subscriber and cancelled or checked in once however often the HIS retries. In the shared
 * context ({@link IntegrationTest}), behind a real HTTP server of its own for the class ({@link HttpDoor}): a HIS
 * and the admin talk HTTP as they would to a running gateway, and no application is started for them.
 */
@IntegrationTest
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class HisFhirTest {

    static final String QUOTA = "https://hotline.example.org/fhir/StructureDefinition/slot-quota";
    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
    static final AtomicInteger WORLD = new AtomicInteger();

    /**
     * The test subscriber: every push it got (method and path, body, the push's signature checked with the key of
     * the client it was meant for, and its Authorization header), answering {@link #answer} (200 unless set). It
     * checks the signature as docs/his.md tells a receiver to: against its own clock (the gateway's test clock).
     */
    static HttpServer subscriber;
    static final ConcurrentLinkedQueue<String[]> pushes = new ConcurrentLinkedQueue<>();
    static volatile int answer = 200;
    /** The push keys the admin was shown, by the path prefix their client's pushes go to. */
    static final Map<String, String> keys = new java.util.concurrent.ConcurrentHashMap<>();
    static volatile TestClock receiverClock;

    /** The HTTP server in front of the shared context, for this class. */
    static HttpDoor door;
    int port;
    @Autowired ApplicationContext context;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConsoleUsers users;
    @Autowired TransferLog transferLog;
    @Autowired BookingService booking;
    @Autowired QuotaRelease release;
    @Autowired AppointmentPush push;
    @Autowired BookingProperties bookingProps;
    @Autowired org.hotline.ivr.agi.FastAgiListener agi;
    @Autowired org.hotline.release.NoShowRule noShows;
    @Autowired HisClients clients;
    @Autowired org.hotline.booking.SessionCancellations sessions;

    LocalDate day;
    long hospitalA;
    long hospitalB;
    long deptA;
    long deptB;
    ConsoleClient admin;
    String tokenA;
    long clientA;
    String tokenB;
    String pushKeyA;

    @BeforeAll
    static void startSubscriber() throws Exception {
        R4Validation.warmUp();
        subscriber = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        subscriber.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] body = ex.getRequestBody().readAllBytes();
            String key = keys.entrySet().stream().filter(k -> path.startsWith(k.getKey())).map(Map.Entry::getValue)
                    .findFirst().orElse("none");
            String signature = ex.getRequestHeaders().getFirst(AppointmentPush.SIGNATURE);
            boolean signed = PushSignature.verify(key, signature, body, receiverClock.instant().getEpochSecond())
                    .isPresent();
            pushes.add(new String[] {ex.getRequestMethod() + " " + path, new String(body, StandardCharsets.UTF_8),
                signed ? "signed" : "NOT SIGNED: " + signature, ex.getRequestHeaders().getFirst("Authorization"),
                signature});
            int code = answer;
            ex.sendResponseHeaders(code, -1);
            ex.close();
        });
        subscriber.start();
    }

    @AfterAll
    static void stopSubscriber() {
        subscriber.stop(0);
        if (door != null) {
            door.close();
            door = null;
        }
    }

    @BeforeEach
    void world() {
        if (door == null) {
            door = HttpDoor.open(context);
        }
        port = door.port();
        day = LocalDate.of(2052, 3, 4).plusWeeks(WORLD.getAndIncrement());
        clock.set(day.minusDays(1).atTime(9, 0));
        hospitalA = fx.facility("DISTRICT_HOSPITAL");
        hospitalB = fx.facility("DISTRICT_HOSPITAL");
        deptA = fx.outpatientService(hospitalA);
        deptB = fx.outpatientService(hospitalB);
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        String adminName = cfx.user(ConsoleRole.ADMIN, null);
        admin = new ConsoleClient(port).loggedIn(adminName, ConsoleFixtures.PASSWORD);
        receiverClock = clock;
        JsonNode a = created("HIS-A-" + day, hospitalA, "http://127.0.0.1:" + subscriber.getAddress().getPort()
                + "/his-a/fhir", null, List.of("127.0.0.1"));
        tokenA = a.get("secret").asString();
        clientA = a.get("client").get("id").asLong();
        pushKeyA = a.get("pushSecret").asString();
        keys.put("/his-a/", pushKeyA);
        keys.put("/sub-a/", pushKeyA);
        tokenB = created("HIS-B-" + day, hospitalB, null, null).get("secret").asString();
        pushes.clear();
        answer = 200;
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    JsonNode created(String name, long facility, String pushUrl, Integer rate) {
        return created(name, facility, pushUrl, rate, null);
    }

    JsonNode created(String name, long facility, String pushUrl, Integer rate, List<String> endpointHosts) {
        Map<String, Object> body = new java.util.HashMap<>();
        body.put("endpointHosts", endpointHosts);
        body.put("name", name);
        body.put("facilityIds", List.of(facility));
        body.put("pushUrl", pushUrl);
        body.put("ratePerMinute", rate);
        ConsoleClient.Answer r = admin.post("/api/his/clients", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    FhirClient his(String token) {
        return new FhirClient(port, token);
    }

    static Slot slot(long service, LocalDateTime start, int onsite, int pub) {
        Slot s = new Slot();
        s.setSchedule(new Reference("Schedule/" + service));
        s.setStatus(Slot.SlotStatus.FREE);
        s.setStartElement(new InstantType(java.util.Date.from(start.atZone(ZONE).toInstant())));
        s.setEndElement(new InstantType(java.util.Date.from(start.plusMinutes(30).atZone(ZONE).toInstant())));
        quota(s, "ONSITE", onsite);
        quota(s, "PUBLIC", pub);
        return s;
    }

    static void quota(Slot s, String pool, int capacity) {
        Extension q = new Extension(QUOTA);
        q.addExtension("pool", new CodeType(pool));
        q.addExtension("capacity", new UnsignedIntType(capacity));
        s.addExtension(q);
    }

    /** The week: five days from {@link #day}, four morning slices each, 1 ONSITE and 2 PUBLIC places. */
    Bundle week(long service) {
        Bundle b = new Bundle().setType(Bundle.BundleType.BATCH);
        for (int d = 0; d < 5; d++) {
            for (int i = 0; i < 4; i++) {
                LocalDateTime at = day.plusDays(d).atTime(8, 0).plusMinutes(30L * i);
                b.addEntry().setResource(slot(service, at, 1, 2)).getRequest().setMethod(Bundle.HTTPVerb.POST)
                        .setUrl("Slot");
            }
        }
        return b;
    }

    long slotAt(long service, LocalDateTime at) {
        return jdbc.queryForObject("SELECT id FROM slot WHERE service_id = ? AND starts_at = ?", Long.class, service, at);
    }

    Booking bookByPhone(long slot, String residentId) {
        BookingOutcome out = booking.book(slot, null, new BookingRequest(0, residentId, Fixtures.mobile(), List.of(),
                Fixtures.mobile(), Channel.PHONE_MENU, "call-his", null));
        assertThat(out).as(out.toString()).isInstanceOf(BookingOutcome.Booked.class);
        return ((BookingOutcome.Booked) out).booking();
    }

    // ------------------------------------------------------------------ tokens

    @Test
    void tokensAreTheAdminsToManageShownOnceStoredHashedAndScopedToTheirFacilities() {
        // only an admin manages clients, with the console's CSRF
        ConsoleFixtures cfx = new ConsoleFixtures(users, transferLog, clock);
        ConsoleClient agent = new ConsoleClient(port).loggedIn(cfx.user(ConsoleRole.AGENT, null), ConsoleFixtures.PASSWORD);
        assertThat(agent.post("/api/his/clients", Map.of("name", "x", "facilityIds", List.of(hospitalA))).status())
                .isEqualTo(403);
        assertThat(admin.post("/api/his/clients", Map.of("name", "y", "facilityIds", List.of(hospitalA)), false)
                .status()).isEqualTo(403);

        // the secret is in the answer that issued it, nowhere else: not in the list, not in the database
        ConsoleClient.Answer list = admin.get("/api/his/clients");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).contains("HIS-A-" + day).doesNotContain(tokenA).doesNotContain(tokenB);
        assertThat(tokenA).startsWith("hlhis_").hasSizeGreaterThan(40);
        Integer clear = jdbc.queryForObject("SELECT COUNT(*) FROM his_token WHERE token_hash = ? OR hint = ?",
                Integer.class, tokenA, tokenA);
        assertThat(clear).isZero();

        // no token, a wrong one, a console session: 401 with an OperationOutcome
        assertThat(his(null).get("/Schedule").status()).isEqualTo(401);
        FhirClient.Answer wrong = his("hlhis_" + "x".repeat(43)).get("/Schedule");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.issue()).contains("bearer token");
        assertThat(admin.get("/fhir/Schedule").status()).isEqualTo(401);

        // A sees its schedules, never B's: reads are 404, writes 403
        FhirClient a = his(tokenA);
        Bundle schedules = a.get("/Schedule").as(Bundle.class);
        assertThat(schedules.getEntry()).extracting(e -> e.getResource().getIdElement().getIdPart())
                .containsExactly(Long.toString(deptA));
        assertThat(a.get("/Schedule/" + deptB).status()).isEqualTo(404);
        FhirClient.Answer intoB = a.post("/Slot", slot(deptB, day.atTime(8, 0), 1, 2));
        assertThat(intoB.status()).isEqualTo(403);
        assertThat(intoB.issue()).contains("not a schedule of your facilities");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM slot WHERE service_id = ?", Integer.class, deptB)).isZero();

        long slotB = fx.slot(deptB, day.atTime(9, 0), 0, 0, 5);
        Booking inB = bookByPhone(slotB, Fixtures.residentIdAged(70));
        assertThat(a.get("/Slot/" + slotB).status()).isEqualTo(404);
        assertThat(a.get("/Appointment/" + inB.id()).status()).isEqualTo(404);
        assertThat(a.get("/Appointment?date=" + day).as(Bundle.class).getEntry()).isEmpty();
        Appointment cancelB = new Appointment().setStatus(Appointment.AppointmentStatus.CANCELLED);
        assertThat(a.put("/Appointment/" + inB.id(), cancelB).status()).isEqualTo(404);
        assertThat(booking.findById(inB.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ACTIVE);
        // B itself does see it
        assertThat(his(tokenB).get("/Appointment/" + inB.id()).status()).isEqualTo(200);
    }

    @Test
    void aClientRotatesWithoutDowntimeAndARevokedTokenStopsAtOnceEveryStepAudited() {
        // a second token: both work (the HIS deploys the new one while the old still runs)
        ConsoleClient.Answer second = admin.post("/api/his/clients/" + clientA + "/tokens", null);
        assertThat(second.status()).as(second.body()).isEqualTo(201);
        String tokenA2 = second.json().get("secret").asString();
        assertThat(tokenA2).isNotEqualTo(tokenA);
        assertThat(his(tokenA).get("/Schedule").status()).isEqualTo(200);
        assertThat(his(tokenA2).get("/Schedule").status()).isEqualTo(200);
        // a third while two are valid: refused
        ConsoleClient.Answer third = admin.post("/api/his/clients/" + clientA + "/tokens", null);
        assertThat(third.status()).isEqualTo(422);
        assertThat(third.json().get("problem").asString()).isEqualTo("TOO_MANY_TOKENS");

        long firstId = jdbc.queryForObject("SELECT MIN(id) FROM his_token WHERE client_id = ?", Long.class, clientA);
        ConsoleClient.Answer revoked = admin.post("/api/his/tokens/" + firstId + "/revoke", null);
        assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
        assertThat(his(tokenA).get("/Schedule").status()).isEqualTo(401);
        assertThat(his(tokenA2).get("/Schedule").status()).isEqualTo(200);
        assertThat(admin.post("/api/his/tokens/" + firstId + "/revoke", null).status()).isEqualTo(404);

        List<String> audit = jdbc.queryForList("""
                SELECT CONCAT(action, ' ', outcome) FROM audit_event WHERE role = 'ADMIN' AND action LIKE 'HIS_%'
                  AND (detail REGEXP ? OR detail = ?) ORDER BY id""", String.class,
                "^client=" + clientA + "( |$)", "token=" + firstId);
        assertThat(audit).containsExactly("HIS_CLIENT_CREATE OK", "HIS_TOKEN_ISSUE OK", "HIS_TOKEN_ISSUE TOO_MANY_TOKENS",
                "HIS_TOKEN_REVOKE OK", "HIS_TOKEN_REVOKE NOT_FOUND");
    }

    @Test
    void aClientOverItsRateIsToldToWait() {
        String slow = created("HIS-SLOW-" + day, hospitalA, null, 6).get("secret").asString();
        FhirClient c = his(slow);
        int ok = 0;
        FhirClient.Answer last = null;
        for (int i = 0; i < 8; i++) {
            last = c.get("/Schedule");
            if (last.status() == 200) {
                ok++;
            } else {
                break;
            }
        }
        assertThat(ok).isEqualTo(5); // the burst: at least 5
        assertThat(last.status()).isEqualTo(429);
        assertThat(Long.parseLong(last.header("Retry-After"))).isBetween(1L, 11L);
        // another client is not held up by it
        assertThat(his(tokenA).get("/Schedule").status()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(11));
        assertThat(c.get("/Schedule").status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ slots

    @Test
    void aPublishedWeekFollowsTheHisButBookedSlicesSurviveAResync() {
        FhirClient a = his(tokenA);
        FhirClient.Answer published = a.post("", week(deptA));
        assertThat(published.status()).as(published.body()).isEqualTo(200);
        Bundle res = published.as(Bundle.class);
        assertThat(res.getEntry()).hasSize(20).allSatisfy(e -> assertThat(e.getResponse().getStatus()).startsWith("201"));
        // the same week again (a retried request) makes nothing new
        Bundle again = a.post("", week(deptA)).as(Bundle.class);
        assertThat(again.getEntry()).allSatisfy(e -> assertThat(e.getResponse().getStatus()).startsWith("200"));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM slot WHERE service_id = ?", Integer.class, deptA))
                .isEqualTo(20);

        // the phone pools open by the facility's release policy (7 days ahead at 08:00): due now, the day before
        release.openDue(ReleaseScope.facilities(hospitalA));
        LocalDateTime bookedAt = day.atTime(8, 0);
        LocalDateTime freeAt = day.atTime(8, 30);
        LocalDateTime droppedAt = day.atTime(9, 0);
        long booked = slotAt(deptA, bookedAt);
        bookByPhone(booked, Fixtures.residentIdAged(72));
        bookByPhone(booked, Fixtures.residentIdAged(73));

        Bundle search = a.get("/Slot?schedule=Schedule/" + deptA + "&start=ge" + day + "&start=lt" + day.plusDays(1))
                .as(Bundle.class);
        assertThat(search.getEntry()).hasSize(4);
        Slot full = (Slot) search.getEntry().get(0).getResource();
        assertThat(full.getStatus()).isEqualTo(Slot.SlotStatus.FREE); // its ONSITE place is still free
        assertThat(quotaOf(full, "PUBLIC")).containsExactly(2, 2, 0);

        // the changed week: the booked slice shrunk below its bookings and dropped, a free one grown, one dropped,
        // one new
        Bundle changed = new Bundle().setType(Bundle.BundleType.BATCH);
        changed.addEntry().setResource(slot(deptA, bookedAt, 1, 1)).getRequest().setMethod(Bundle.HTTPVerb.PUT)
                .setUrl("Slot?schedule=Schedule/" + deptA + "&start=" + bookedAt);
        changed.addEntry().setResource(slot(deptA, freeAt, 0, 5)).getRequest().setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Slot");
        changed.addEntry().getRequest().setMethod(Bundle.HTTPVerb.DELETE).setUrl("Slot/" + slotAt(deptA, droppedAt));
        changed.addEntry().getRequest().setMethod(Bundle.HTTPVerb.DELETE).setUrl("Slot/" + booked);
        changed.addEntry().setResource(slot(deptA, day.atTime(10, 0), 1, 3)).getRequest()
                .setMethod(Bundle.HTTPVerb.POST).setUrl("Slot");
        changed.addEntry().setResource(slot(deptA, day.atTime(10, 15), 1, 3)).getRequest()
                .setMethod(Bundle.HTTPVerb.POST).setUrl("Slot");
        Bundle answered = a.post("", changed).as(Bundle.class);
        List<String> statuses = answered.getEntry().stream().map(e -> e.getResponse().getStatus()).toList();
        assertThat(statuses).containsExactly("409 Conflict", "200 OK", "200 OK", "409 Conflict", "201 Created",
                "409 Conflict");
        assertThat(((org.hl7.fhir.r4.model.OperationOutcome) answered.getEntry().get(0).getResponse().getOutcome())
                .getIssueFirstRep().getDiagnostics()).contains("pool PUBLIC has 2 booked").contains("capacity 1");
        assertThat(((org.hl7.fhir.r4.model.OperationOutcome) answered.getEntry().get(3).getResponse().getOutcome())
                .getIssueFirstRep().getDiagnostics()).contains("2 places booked or held");
        assertThat(((org.hl7.fhir.r4.model.OperationOutcome) answered.getEntry().get(5).getResponse().getOutcome())
                .getIssueFirstRep().getDiagnostics()).contains("overlaps");

        assertThat(fx.counts(booked, "PUBLIC")).containsExactly(2, 0, 2);
        assertThat(fx.counts(booked, "ONSITE")).containsExactly(1, 0, 0);
        assertThat(fx.counts(slotAt(deptA, freeAt), "PUBLIC")).containsExactly(5, 0, 0);
        assertThat(fx.counts(slotAt(deptA, freeAt), "ONSITE")).containsExactly(0, 0, 0);
        assertThat(fx.counts(slotAt(deptA, droppedAt), "PUBLIC")).containsExactly(0, 0, 0);
        Slot dropped = a.get("/Slot/" + slotAt(deptA, droppedAt)).as(Slot.class);
        assertThat(dropped.getStatus()).isEqualTo(Slot.SlotStatus.BUSYUNAVAILABLE);
        // the new slice is planned for release like every other: its PUBLIC pool opens by the policy
        long fresh = slotAt(deptA, day.atTime(10, 0));
        release.openDue(ReleaseScope.facilities(hospitalA));
        bookByPhone(fresh, Fixtures.residentIdAged(66));
        // a single conflicting PUT is a 409 with the OperationOutcome, and nothing changes
        FhirClient.Answer shrink = a.put("/Slot/" + booked, slot(deptA, bookedAt, 1, 0));
        assertThat(shrink.status()).isEqualTo(409);
        assertThat(shrink.issue()).contains("below them");
        assertThat(fx.counts(booked, "PUBLIC")).containsExactly(2, 0, 2);
        // a Slot without its quota is refused, saying which extension is missing
        Slot bare = slot(deptA, day.atTime(11, 0), 0, 0);
        bare.getExtension().clear();
        FhirClient.Answer noQuota = a.post("/Slot", bare);
        assertThat(noQuota.status()).isEqualTo(422);
        assertThat(noQuota.issue()).contains(QUOTA);
    }

    static List<Integer> quotaOf(Slot s, String pool) {
        for (Extension q : s.getExtensionsByUrl(QUOTA)) {
            if (pool.equals(q.getExtensionByUrl("pool").getValue().primitiveValue())) {
                return List.of(((UnsignedIntType) q.getExtensionByUrl("capacity").getValue()).getValue(),
                        ((UnsignedIntType) q.getExtensionByUrl("booked").getValue()).getValue(),
                        ((UnsignedIntType) q.getExtensionByUrl("held").getValue()).getValue());
            }
        }
        throw new AssertionError("no quota for " + pool);
    }

    // ------------------------------------------------------------------ appointments

    @Test
    void everyBookingIsReadableSearchableAndPushedInOrderAndTheResidentIdNeverLeaves() {
        FhirClient a = his(tokenA);
        long slot = fx.slot(deptA, day.atTime(9, 0), 0, 0, 5);
        String id = Fixtures.residentIdAged(75);
        Booking b = bookByPhone(slot, id);

        Appointment read = a.get("/Appointment/" + b.id()).as(Appointment.class);
        assertThat(read.getStatus()).isEqualTo(Appointment.AppointmentStatus.BOOKED);
        assertThat(read.getSlotFirstRep().getReference()).isEqualTo("Slot/" + slot);
        assertThat(read.getMeta().getVersionId()).isEqualTo("1");
        var patient = read.getParticipant().get(0).getActor();
        assertThat(patient.getIdentifier().getValue()).isEqualTo(new KeyedHash(bookingProps.idHashKey()).of(id));
        assertThat(patient.getDisplay()).isEqualTo(b.patientMasked());
        String json = a.get("/Appointment/" + b.id()).body();
        assertThat(json).doesNotContain(id).doesNotContain(id.substring(0, 14));

        // search: date, location, patient identifier (clear ID hashed here, or the hash), _lastUpdated
        assertThat(ids(a.get("/Appointment?date=" + day))).containsExactly(b.id());
        assertThat(ids(a.get("/Appointment?date=" + day.plusDays(1)))).isEmpty();
        assertThat(ids(a.get("/Appointment?location=Location/" + hospitalA + "&date=ge" + day))).containsExactly(b.id());
        assertThat(ids(a.get("/Appointment?patient.identifier=https://hotline.example.org/fhir/resident-id%7C" + id)))
                .containsExactly(b.id());
        assertThat(ids(a.get("/Appointment?patient.identifier=https://hotline.example.org/fhir/resident-id-hash%7C"
                + patient.getIdentifier().getValue()))).containsExactly(b.id());
        String since = clock.now().minusSeconds(1).atZone(ZONE).toOffsetDateTime().toString().replace("+", "%2B");
        assertThat(ids(a.get("/Appointment?_lastUpdated=ge" + since))).containsExactly(b.id());
        assertThat(ids(a.get("/Appointment?_lastUpdated=lt" + since))).isEmpty();
        assertThat(a.get("/Appointment?name=x").status()).isEqualTo(400);

        // pushed by the push loop (woken by the booking's commit): booked, then, failing once and retried with
        // back-off, cancelled, in order
        String path = "PUT /his-a/fhir/Appointment/" + b.id();
        eventually(() -> pushesFor(path).size() == 1);
        String[] first = pushesFor(path).get(0);
        assertThat(first[2]).as("signed with the client's push key").isEqualTo("signed");
        assertThat(first[0]).isEqualTo("PUT /his-a/fhir/Appointment/" + b.id());
        assertThat(Fhir.CTX.newJsonParser().parseResource(Appointment.class, first[1]).getStatus())
                .isEqualTo(Appointment.AppointmentStatus.BOOKED);
        FhirClient.SEEN.add(first[1]);

        answer = 503;
        assertThat(booking.cancel(b.id(), Channel.PHONE_MENU, null, "call-his")).isNotNull();
        String attempts = "SELECT attempts FROM his_push WHERE client_id = " + clientA + " AND booking_id = " + b.id()
                + " AND version = 2";
        eventually(() -> jdbc.queryForObject(attempts, Integer.class) == 1);
        pushes.clear();
        assertThat(push.pushDue()).as("not due again before its back-off").isZero();
        assertThat(pushesFor(path)).isEmpty();
        Map<String, Object> row = jdbc.queryForMap(
                "SELECT status, attempts, last_error FROM his_push WHERE client_id = ? AND booking_id = ? AND version = 2",
                clientA, b.id());
        assertThat(row).containsEntry("status", "PENDING").containsEntry("attempts", 1).containsEntry("last_error", "HTTP 503");
        // behind: /ops says so, per client, with the last error
        String supervisor = new ConsoleFixtures(users, transferLog, clock).user(ConsoleRole.SUPERVISOR, null);
        ConsoleClient.Answer ops = new ConsoleClient(port).getBasic("/ops/reports", supervisor, ConsoleFixtures.PASSWORD);
        assertThat(ops.status()).isEqualTo(200);
        assertThat(ops.body()).contains("id=\"his-push\"").contains("HIS-A-" + day).contains("HTTP 503");
        answer = 200;
        clock.advance(Duration.ofSeconds(6));
        eventually(() -> !pushesFor(path).isEmpty());
        String[] second = pushesFor(path).get(0);
        Appointment gone = Fhir.CTX.newJsonParser().parseResource(Appointment.class, second[1]);
        assertThat(gone.getStatus()).isEqualTo(Appointment.AppointmentStatus.CANCELLED);
        assertThat(gone.getMeta().getVersionId()).isEqualTo("2");
        eventually(() -> jdbc.queryForObject("SELECT COUNT(*) FROM his_push WHERE booking_id = ? AND status <> 'SENT'",
                Integer.class, b.id()) == 0);
    }

    /** What the subscriber got at this path (other tests' bookings may still be pushed to their own clients). */
    static List<String[]> pushesFor(String path) {
        return pushes.stream().filter(p -> p[0].equals(path)).toList();
    }

    /** Waits (polling, at most 20 s) for what the push loop does on its own thread. */
    static void eventually(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 20 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aCancellationOrCheckInRetriedManyTimesAtOnceHappensOnce() throws Exception {
        clock.set(day.atTime(7, 0));
        long slot = fx.slot(deptA, day.atTime(11, 0), 0, 0, 5);
        long today = fx.slot(deptA, day.atTime(8, 0), 0, 0, 5, clock.now().minusHours(1), day.atTime(8, 0));
        Booking toCancel = bookByPhone(slot, Fixtures.residentIdAged(70));
        Booking toCheckIn = bookByPhone(today, Fixtures.residentIdAged(71));
        FhirClient a = his(tokenA);

        List<Integer> cancels = race(16, () -> his(tokenA).put("/Appointment/" + toCancel.id(),
                new Appointment().setStatus(Appointment.AppointmentStatus.CANCELLED)).status());
        assertThat(cancels).containsOnly(200);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(5, 0, 0);
        assertThat(jdbc.queryForObject("SELECT version FROM his_appointment WHERE booking_id = ?", Integer.class,
                toCancel.id())).isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT cancel_channel FROM booking WHERE id = ?", String.class, toCancel.id()))
                .isEqualTo("HOSPITAL");

        // conditionally, by booking code, as a HIS that knows only the code does
        List<Integer> arrivals = race(16, () -> his(tokenA).put("/Appointment?identifier="
                + "https://hotline.example.org/fhir/booking-code%7C" + toCheckIn.code(),
                new Appointment().setStatus(Appointment.AppointmentStatus.ARRIVED)).status());
        assertThat(arrivals).containsOnly(200);
        assertThat(booking.findById(toCheckIn.id()).orElseThrow().status()).isEqualTo(Booking.BookingStatus.ATTENDED);
        assertThat(jdbc.queryForObject("SELECT version FROM his_appointment WHERE booking_id = ?", Integer.class,
                toCheckIn.id())).isEqualTo(2);
        assertThat(a.get("/Appointment/" + toCheckIn.id()).as(Appointment.class).getStatus())
                .isEqualTo(Appointment.AppointmentStatus.ARRIVED);
        // a check-in at the console's front desk reaches the HIS too: pushed as arrived
        Booking atDesk = bookByPhone(today, Fixtures.residentIdAged(72));
        String desk = new ConsoleFixtures(users, transferLog, clock).user(ConsoleRole.FRONT_DESK, hospitalA);
        ConsoleClient.Answer checkedIn = new ConsoleClient(port).loggedIn(desk, ConsoleFixtures.PASSWORD)
                .post("/api/check-ins", Map.of("code", atDesk.code()));
        assertThat(checkedIn.status()).as(checkedIn.body()).isEqualTo(200);
        String deskPath = "PUT /his-a/fhir/Appointment/" + atDesk.id();
        eventually(() -> pushesFor(deskPath).stream().anyMatch(p -> Fhir.CTX.newJsonParser()
                .parseResource(Appointment.class, p[1]).getStatus() == Appointment.AppointmentStatus.ARRIVED));
        // what cannot be: a cancelled booking checked in, an unknown status
        FhirClient.Answer late = a.put("/Appointment/" + toCancel.id(),
                new Appointment().setStatus(Appointment.AppointmentStatus.ARRIVED));
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.issue()).contains("not checked in");
        assertThat(a.put("/Appointment/" + toCancel.id(), new Appointment().setStatus(
                Appointment.AppointmentStatus.WAITLIST)).status()).isEqualTo(422);
    }

    // ------------------------------------------------------------------ end to end, with a caller

    @Test
    void aWeekPublishedBookedByPhoneReadPushedCancelledAtTheHisAndGoneFromTheMenu() throws Exception {
        FhirClient a = his(tokenA);
        assertThat(a.post("", week(deptA)).status()).isEqualTo(200);
        release.openDue(ReleaseScope.facilities(hospitalA));

        // a caller books by pressing 1 at every question: the first slice the HIS published
        String mobile = Fixtures.mobile();
        String id = Fixtures.residentId(day.minusYears(68).minusDays(20));
        AsteriskCall.Transcript booked = call(mobile, q -> q.number() > 40 ? AsteriskCall.HANG_UP
                : q.maxKeys() == 18 ? id.replace('X', '*') : "1");
        String code = booked.heardCode();
        assertThat(code).as("the menu read a booking code back").hasSize(6);

        // the HIS reads it back as an Appointment of its schedule
        Bundle found = a.get("/Appointment?date=" + day + "&identifier=https://hotline.example.org/fhir/booking-code%7C"
                + code).as(Bundle.class);
        assertThat(found.getEntry()).hasSize(1);
        Appointment appt = (Appointment) found.getEntry().get(0).getResource();
        assertThat(appt.getStatus()).isEqualTo(Appointment.AppointmentStatus.BOOKED);
        assertThat(appt.getSlotFirstRep().getReference()).isEqualTo("Slot/" + slotAt(deptA, day.atTime(8, 0)));
        assertThat(((CodeType) appt.getExtensionByUrl("https://hotline.example.org/fhir/StructureDefinition/"
                + "appointment-channel").getValue()).getValue()).isEqualTo("PHONE_MENU");
        String path = "PUT /his-a/fhir/Appointment/" + appt.getIdElement().getIdPart();
        eventually(() -> pushesFor(path).size() == 1);

        // the HIS cancels it; the push says so; the caller hears it gone
        FhirClient.Answer cancelled = a.put("/Appointment/" + appt.getIdElement().getIdPart(),
                new Appointment().setStatus(Appointment.AppointmentStatus.CANCELLED));
        assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
        eventually(() -> pushesFor(path).size() == 2);
        assertThat(Fhir.CTX.newJsonParser().parseResource(Appointment.class, pushesFor(path).get(1)[1]).getStatus())
                .isEqualTo(Appointment.AppointmentStatus.CANCELLED);
        AtomicInteger manage = new AtomicInteger();
        AsteriskCall.Transcript after = call(mobile, q -> q.heard("returning_again_press") ? "2"
                : q.heard("main_menu") ? "3" : q.heard("manage_how") && manage.getAndIncrement() == 0 ? "3"
                : q.maxKeys() >= 6 && q.heard("ask_code") ? code + "#" : AsteriskCall.HANG_UP);
        List<String> heard = after.sounds.stream().map(x -> x.substring(x.lastIndexOf('/') + 1)).toList();
        assertThat(heard).containsSubsequence("ask_code", "no_bookings").doesNotContain("booking_detail");
        assertThat(fx.counts(slotAt(deptA, day.atTime(8, 0)), "PUBLIC")).containsExactly(2, 0, 0);
    }

    AsteriskCall.Transcript call(String callerId, java.util.function.Function<AsteriskCall.Question, String> answers) {
        AsteriskCall.Transcript t = AsteriskCall.to(agi.port()).callerId(callerId)
                .installed(AsteriskCall::repositoryPrompt).answers(answers).run();
        eventually(() -> agi.activeCalls() == 0);
        assertThat(t.error).isNull();
        return t;
    }

    // ------------------------------------------------------------------ validation

    /**
     * Everything the gateway answered in this class (CapabilityStatement, Schedule, Slot, Appointment, Subscription,
     * searchset and batch-response Bundles, OperationOutcome) and every push, against the R4 base: HAPI's
     * FhirInstanceValidator with the R4 core structures (DefaultProfileValidationSupport), its terminology and
     * snapshot support. Errors fail; warnings and information (our extensions are not in the core) do not. Each
     * distinct body is validated, at most 8 of each kind (resource type, Bundle type), with the pushes of this test.
     */
    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // last: it validates what the others were answered too
    void everyResourceWeEmitIsValidR4() {
        FhirClient a = his(tokenA);
        a.post("", week(deptA));
        release.openDue(ReleaseScope.facilities(hospitalA));
        Booking b = bookByPhone(slotAt(deptA, day.atTime(8, 0)), Fixtures.residentIdAged(80));
        a.get("/metadata");
        a.get("/Schedule");
        a.get("/Schedule/" + deptA);
        a.get("/Slot?schedule=Schedule/" + deptA);
        a.get("/Slot/" + slotAt(deptA, day.atTime(8, 30)));
        a.get("/Appointment/" + b.id());
        a.get("/Appointment?date=" + day);
        FhirClient.Answer sub = a.post("/Subscription", subscription("Appointment?status=cancelled", "/sub-a/fhir"));
        assertThat(sub.status()).as(sub.body()).isEqualTo(201);
        a.get("/Subscription?status=active");
        a.put("/Appointment/" + b.id(), new Appointment().setStatus(Appointment.AppointmentStatus.CANCELLED));
        a.put("/Slot/" + slotAt(deptA, day.atTime(8, 30)), slot(deptB, day.atTime(8, 30), 1, 1));
        a.delete("/Slot/" + slotAt(deptA, day.atTime(9, 0)));
        his(null).get("/Schedule");
        String path = "PUT /his-a/fhir/Appointment/" + b.id();
        eventually(() -> pushesFor(path).size() == 2);
        eventually(() -> pushesFor("PUT /sub-a/fhir/Appointment/" + b.id()).size() == 1);
        pushesFor(path).forEach(p -> FhirClient.SEEN.add(p[1]));
        pushesFor("PUT /sub-a/fhir/Appointment/" + b.id()).forEach(p -> FhirClient.SEEN.add(p[1]));

        FhirValidator validator = R4Validation.validator();
        List<String> kinds = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        // the distinct bodies, at most 8 of each kind (the race tests answer the same Appointment sixteen times)
        Map<String, Integer> perKind = new java.util.HashMap<>();
        for (String body : new java.util.LinkedHashSet<>(List.copyOf(FhirClient.SEEN))) {
            org.hl7.fhir.instance.model.api.IBaseResource r = Fhir.CTX.newJsonParser().parseResource(body);
            String kind = r.fhirType() + (r instanceof Bundle bundle ? ":" + bundle.getType().toCode() : "");
            if (perKind.merge(kind, 1, Integer::sum) > 8) {
                continue;
            }
            kinds.add(kind);
            problems.addAll(R4Validation.errors(validator, body).stream().map(e -> kind + " " + e).toList());
        }
        assertThat(kinds).contains("CapabilityStatement", "Schedule", "Slot", "Appointment", "OperationOutcome",
                "Subscription", "Bundle:searchset", "Bundle:batch-response");
        assertThat(problems).isEmpty();
        // the validator does find what is wrong: an Appointment without its required participant status
        Appointment broken = a.get("/Appointment/" + b.id()).as(Appointment.class);
        broken.getParticipantFirstRep().setStatus(null);
        assertThat(R4Validation.errors(validator, Fhir.json().encodeResourceToString(broken)))
                .anyMatch(e -> e.contains("participant"));
    }

    // ------------------------------------------------------------------ subscriptions, signed pushes, no-shows

    /** A rest-hook Subscription to the test subscriber at {@code path}, with a header of the HIS's own. */
    Subscription subscription(String criteria, String path) {
        Subscription s = new Subscription().setStatus(Subscription.SubscriptionStatus.REQUESTED)
                .setReason("appointments for our registration desk").setCriteria(criteria);
        s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK)
                .setEndpoint("http://127.0.0.1:" + subscriber.getAddress().getPort() + path)
                .setPayload("application/fhir+json").addHeader("Authorization: Bearer his-a-receiver");
        return s;
    }

    @Test
    void aHisSubscribesItselfItsPushesAreSignedAndNoShowsReachIt() {
        FhirClient a = his(tokenA);
        clock.set(day.atTime(7, 0));
        long slot = fx.slot(deptA, day.atTime(11, 0), 0, 0, 5, day.minusDays(2).atStartOfDay(), day.atTime(9, 0));

        // what a HIS may not ask: another hospital's facility, a host its admin did not allow, our own headers, a
        // channel we do not run; a system whose admin allowed no host may not subscribe at all
        String mine = "Appointment?location=Location/" + hospitalA + "&status=cancelled,noshow";
        assertThat(a.post("/Subscription", subscription("Appointment?location=Location/" + hospitalB, "/sub-a/fhir"))
                .status()).isEqualTo(403);
        Subscription elsewhere = subscription(mine, "/sub-a/fhir");
        elsewhere.getChannel().setEndpoint("http://169.254.169.254/latest");
        assertThat(a.post("/Subscription", elsewhere).issue()).contains("not one your admin allowed");
        Subscription host = subscription(mine, "/sub-a/fhir");
        host.getChannel().addHeader("X-Hotline-Signature: t=1,v1=00");
        assertThat(a.post("/Subscription", host).status()).isEqualTo(422);
        Subscription ws = subscription(mine, "/sub-a/fhir");
        ws.getChannel().setType(Subscription.SubscriptionChannelType.WEBSOCKET);
        assertThat(a.post("/Subscription", ws).status()).isEqualTo(422);
        assertThat(his(tokenB).post("/Subscription", subscription("Appointment", "/sub-a/fhir")).status())
                .isEqualTo(403);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM his_subscription WHERE client_id = ?", Integer.class,
                clientA)).isZero();

        // registered with HAPI's client: active at once, read back, its own only
        FhirClient.Answer made = a.post("/Subscription", subscription(mine, "/sub-a/fhir"));
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        String subId = made.as(Subscription.class).getIdElement().getIdPart();
        Subscription read = a.hapi().read().resource(Subscription.class).withId(subId).execute();
        assertThat(read.getStatus()).isEqualTo(Subscription.SubscriptionStatus.ACTIVE);
        assertThat(read.getCriteria()).isEqualTo(mine);
        assertThat(read.getChannel().getHeader()).extracting(h -> h.getValue())
                .containsExactly("Authorization: Bearer his-a-receiver");
        assertThat(his(tokenB).get("/Subscription/" + subId).status()).isEqualTo(404);
        assertThat(his(tokenB).put("/Subscription/" + subId, read.copy().setStatus(Subscription.SubscriptionStatus.OFF))
                .status()).isEqualTo(404);
        assertThat(his(tokenB).delete("/Subscription/" + subId).status()).isEqualTo(404);
        assertThat(his(tokenB).get("/Subscription").as(Bundle.class).getEntry()).isEmpty();

        // a booking (status booked: not in its criteria) goes to the admin's address only; its cancellation to both
        Booking cancelled = bookByPhone(slot, Fixtures.residentIdAged(70));
        String admin1 = "PUT /his-a/fhir/Appointment/" + cancelled.id();
        String sub1 = "PUT /sub-a/fhir/Appointment/" + cancelled.id();
        eventually(() -> pushesFor(admin1).size() == 1);
        assertThat(a.put("/Appointment/" + cancelled.id(), new Appointment()
                .setStatus(Appointment.AppointmentStatus.CANCELLED)).status()).isEqualTo(200);
        eventually(() -> pushesFor(sub1).size() == 1 && pushesFor(admin1).size() == 2);
        String[] toSub = pushesFor(sub1).get(0);
        assertThat(Fhir.CTX.newJsonParser().parseResource(Appointment.class, toSub[1]).getStatus())
                .isEqualTo(Appointment.AppointmentStatus.CANCELLED);
        assertThat(toSub[3]).isEqualTo("Bearer his-a-receiver");

        // every push is signed with the key the admin was shown: the receiver's check passes, and fails for a
        // changed body, another key, or the same push replayed ten minutes later
        assertThat(java.util.stream.Stream.concat(pushesFor(admin1).stream(), pushesFor(sub1).stream()))
                .extracting(p -> p[2]).containsOnly("signed");
        byte[] body = toSub[1].getBytes(StandardCharsets.UTF_8);
        long now = clock.instant().getEpochSecond();
        assertThat(PushSignature.verify(pushKeyA, toSub[4], body, now)).isPresent();
        assertThat(PushSignature.verify(pushKeyA, toSub[4], toSub[1].replace("cancelled", "booked")
                .getBytes(StandardCharsets.UTF_8), now)).isEmpty();
        assertThat(PushSignature.verify("hlpush_other", toSub[4], body, now)).isEmpty();
        assertThat(PushSignature.verify(pushKeyA, toSub[4], body, now + 600)).isEmpty();
        assertThat(toSub[4]).startsWith("t=" + now + ",v1=");

        // a no-show is pushed as noshow
        Booking absent = bookByPhone(slot, Fixtures.residentIdAged(71));
        eventually(() -> pushesFor("PUT /his-a/fhir/Appointment/" + absent.id()).size() == 1);
        clock.set(day.plusDays(1).atTime(9, 0));
        assertThat(noShows.markNoShows(ReleaseScope.facilities(hospitalA))).isEqualTo(1);
        String sub2 = "PUT /sub-a/fhir/Appointment/" + absent.id();
        eventually(() -> pushesFor(sub2).size() == 1);
        Appointment noshow = Fhir.CTX.newJsonParser().parseResource(Appointment.class, pushesFor(sub2).get(0)[1]);
        assertThat(noshow.getStatus()).isEqualTo(Appointment.AppointmentStatus.NOSHOW);
        assertThat(noshow.getMeta().getVersionId()).isEqualTo("2");
        eventually(() -> pushesFor("PUT /his-a/fhir/Appointment/" + absent.id()).size() == 2);

        // deactivated (status off): nothing more goes to it; deleted: gone
        read.setStatus(Subscription.SubscriptionStatus.OFF);
        FhirClient.Answer off = a.put("/Subscription/" + subId, read);
        assertThat(off.status()).as(off.body()).isEqualTo(200);
        assertThat(off.as(Subscription.class).getMeta().getVersionId()).isEqualTo("2");
        clock.set(day.minusDays(1).atTime(9, 0));
        Booking later = bookByPhone(slot, Fixtures.residentIdAged(72));
        eventually(() -> pushesFor("PUT /his-a/fhir/Appointment/" + later.id()).size() == 1);
        assertThat(a.put("/Appointment/" + later.id(), new Appointment()
                .setStatus(Appointment.AppointmentStatus.CANCELLED)).status()).isEqualTo(200);
        eventually(() -> pushesFor("PUT /his-a/fhir/Appointment/" + later.id()).size() == 2);
        assertThat(pushesFor("PUT /sub-a/fhir/Appointment/" + later.id())).isEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM his_push WHERE booking_id = ? AND subscription_id IS NOT NULL",
                Integer.class, later.id())).isZero();
        assertThat(a.delete("/Subscription/" + subId).status()).isEqualTo(200);
        assertThat(a.get("/Subscription/" + subId).status()).isEqualTo(404);

        // the admin rotates the push key: the next push is signed with the new one, not the old
        ConsoleClient.Answer rotated = admin.post("/api/his/clients/" + clientA + "/push-secret", null);
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        String newKey = rotated.json().get("pushSecret").asString();
        assertThat(newKey).startsWith("hlpush_").isNotEqualTo(pushKeyA);
        keys.put("/his-a/", newKey);
        Booking afterRotation = bookByPhone(slot, Fixtures.residentIdAged(73));
        String path3 = "PUT /his-a/fhir/Appointment/" + afterRotation.id();
        eventually(() -> pushesFor(path3).size() == 1);
        String[] signedAnew = pushesFor(path3).get(0);
        assertThat(signedAnew[2]).isEqualTo("signed");
        assertThat(PushSignature.verify(pushKeyA, signedAnew[4], signedAnew[1].getBytes(StandardCharsets.UTF_8),
                clock.instant().getEpochSecond())).isEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_event WHERE action = 'HIS_PUSH_SECRET'"
                + " AND outcome = 'OK' AND detail = ?", Integer.class, "client=" + clientA)).isEqualTo(1);
    }

    @Test
    void aMoveAndAHospitalsCancelledSessionArePushed() {
        long first = fx.slot(deptA, day.atTime(9, 0), 0, 0, 5);
        long second = fx.slot(deptA, day.plusDays(1).atTime(9, 0), 0, 0, 5);
        String id = Fixtures.residentIdAged(74);
        Booking b = bookByPhone(first, id);
        String old = "PUT /his-a/fhir/Appointment/" + b.id();
        eventually(() -> pushesFor(old).size() == 1);

        // a move is the old Appointment cancelled and a new one booked: both pushed
        MoveOutcome out = booking.move(new MoveRequest(b.id(), second, null, id, Channel.AGENT, "agent-move", null,
                null, null));
        assertThat(out).as(out.toString()).isInstanceOf(MoveOutcome.Moved.class);
        Booking moved = ((MoveOutcome.Moved) out).to();
        String now = "PUT /his-a/fhir/Appointment/" + moved.id();
        eventually(() -> pushesFor(old).size() == 2 && pushesFor(now).size() == 1);
        assertThat(Fhir.CTX.newJsonParser().parseResource(Appointment.class, pushesFor(old).get(1)[1]).getStatus())
                .isEqualTo(Appointment.AppointmentStatus.CANCELLED);
        assertThat(Fhir.CTX.newJsonParser().parseResource(Appointment.class, pushesFor(now).get(0)[1]).getSlotFirstRep()
                .getReference()).isEqualTo("Slot/" + second);

        // the hospital cancels the session (停诊): the booking in it is pushed as cancelled
        assertThat(sessions.cancel("admin-his", hospitalA, deptA, day.plusDays(1), null, "医生临时停诊"))
                .isInstanceOf(SessionCancellations.Result.Done.class);
        eventually(() -> pushesFor(now).size() == 2);
        Appointment gone = Fhir.CTX.newJsonParser().parseResource(Appointment.class, pushesFor(now).get(1)[1]);
        assertThat(gone.getStatus()).isEqualTo(Appointment.AppointmentStatus.CANCELLED);
        assertThat(gone.getMeta().getVersionId()).isEqualTo("2");
    }

    @Test
    void theRateIsOneBucketForEveryNode() {
        HisClient slow = clients.find(created("HIS-NODES-" + day, hospitalA, null, 6).get("client").get("id").asLong())
                .orElseThrow();
        HisRateLimiter node1 = new HisRateLimiter(jdbc, clock, (io.micrometer.core.instrument.MeterRegistry) null);
        HisRateLimiter node2 = new HisRateLimiter(jdbc, clock, (io.micrometer.core.instrument.MeterRegistry) null);
        // the burst of 5 is shared: 3 on one node, 2 on the other, then both say wait
        for (int i = 0; i < 3; i++) {
            assertThat(node1.take(slow)).isEmpty();
        }
        assertThat(node2.take(slow)).isEmpty();
        assertThat(node2.take(slow)).isEmpty();
        assertThat(node2.take(slow)).hasValueSatisfying(d -> assertThat(d.toSeconds()).isBetween(1L, 10L));
        assertThat(node1.take(slow)).isPresent();
        // and refills at the client's pace: 6 a minute, one every 10 s, wherever it is taken
        clock.advance(Duration.ofSeconds(11));
        assertThat(node1.take(slow)).isEmpty();
        assertThat(node2.take(slow)).isPresent();
    }

    // ------------------------------------------------------------------ appointments in: the window

    @Test
    void theWindowsBookingsTakeTheOnsitePoolOnceHoweverOftenTheHisRetries() throws Exception {
        clock.set(day.atTime(7, 0));
        long slot = fx.slot(deptA, day.atTime(10, 0), 2, 0, 5, day.atStartOfDay(), day.atTime(10, 30));
        FhirClient a = his(tokenA);
        String id = Fixtures.residentIdAged(77);
        Appointment walkIn = new Appointment().setStatus(Appointment.AppointmentStatus.BOOKED);
        walkIn.addSlot(new Reference("Slot/" + slot));
        walkIn.addParticipant().setStatus(Appointment.ParticipationStatus.ACCEPTED).setActor(new Reference()
                .setIdentifier(new org.hl7.fhir.r4.model.Identifier()
                        .setSystem("https://hotline.example.org/fhir/resident-id").setValue(id)));

        // sixteen retries of one request at the same moment (the same If-None-Exist): one booking
        List<FhirClient.Answer> answers = race(16, () -> his(tokenA).createIfNoneExist(walkIn.copy(),
                "Appointment?identifier=https://his-a.example/appt|W-1"));
        assertThat(answers).extracting(FhirClient.Answer::status).containsOnly(200, 201);
        assertThat(answers.stream().filter(x -> x.status() == 201)).hasSize(1);
        assertThat(answers.stream().map(x -> x.as(Appointment.class).getIdElement().getIdPart()).distinct()).hasSize(1);
        assertThat(fx.counts(slot, "ONSITE")).containsExactly(2, 0, 1);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(5, 0, 0);
        Appointment made = answers.get(0).as(Appointment.class);
        assertThat(((CodeType) made.getExtensionByUrl("https://hotline.example.org/fhir/StructureDefinition/"
                + "appointment-pool").getValue()).getValue()).isEqualTo("ONSITE");
        assertThat(Fhir.json().encodeResourceToString(made)).doesNotContain(id);

        // the bureau's check "ONSITE never by phone" still says yes: the window is what ONSITE is for
        String supervisor = new ConsoleFixtures(users, transferLog, clock).user(ConsoleRole.SUPERVISOR, null);
        String policy = new ConsoleClient(port).getBasic("/ops/policy?from=" + day + "&to=" + day, supervisor,
                ConsoleFixtures.PASSWORD).body();
        int at = policy.indexOf("id=\"onsite-not-by-phone\"");
        assertThat(at).isPositive();
        assertThat(policy.substring(at, Math.min(policy.length(), at + 600))).contains("verdict YES");

        // a walk-in who is there already: booked and checked in at once, by its X-Request-Id, once
        Appointment arrived = walkIn.copy().setStatus(Appointment.AppointmentStatus.ARRIVED);
        arrived.getParticipantFirstRep().getActor().getIdentifier().setValue(Fixtures.residentIdAged(60));
        List<FhirClient.Answer> again = race(8, () -> his(tokenA).createWithRequestId(arrived.copy(), "desk-7-0001"));
        assertThat(again).extracting(FhirClient.Answer::status).containsOnly(200, 201);
        assertThat(fx.counts(slot, "ONSITE")).containsExactly(2, 0, 2);
        assertThat(again.get(0).as(Appointment.class).getStatus()).isEqualTo(Appointment.AppointmentStatus.ARRIVED);

        // the ONSITE pool is full now: a third walk-in is told why, and a phone pool is not the window's
        Appointment third = walkIn.copy();
        third.getParticipantFirstRep().getActor().getIdentifier().setValue(Fixtures.residentIdAged(61));
        FhirClient.Answer full = a.post("/Appointment", third);
        assertThat(full.status()).isEqualTo(409);
        assertThat(full.issue()).contains("FULL");
        third.addExtension("https://hotline.example.org/fhir/StructureDefinition/appointment-pool", new CodeType("PUBLIC"));
        assertThat(a.post("/Appointment", third).status()).isEqualTo(422);
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(5, 0, 0);
        // B's token cannot book A's slot
        assertThat(his(tokenB).post("/Appointment", walkIn).status()).isEqualTo(422);
    }

    static <T> List<T> race(int threads, java.util.concurrent.Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> fs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static List<Long> ids(FhirClient.Answer a) {
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.as(Bundle.class).getEntry().stream().map(e -> Long.parseLong(e.getResource().getIdElement().getIdPart()))
                .toList();
    }

    static Set<String> unused() {
        return Collections.emptySet();
    }
}
