package org.hotline.his.fhir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.hl7.fhir.r4.model.Appointment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import org.hotline.his.HisClient;
import org.hotline.his.HisClients;
import org.hotline.his.HisSubscriptions;
import org.hotline.his.PushSignal;

/**
 * Sends the {@code his_push} outbox: each change of an Appointment to every hospital system that reaches its
 * facility, as a FHIR R4 REST-hook with payload does ({@code PUT <push_url>/Appointment/<id>}, the Appointment as
 * it is now, FHIR JSON), and to each matching Subscription the system registered (its channel's endpoint and
 * headers; without payload an empty POST). Every push is signed with the client's push key
 * ({@link PushSignature}, header {@value #SIGNATURE}). At least once, in order per appointment and destination (a
 * row waits while an earlier one of the same appointment, client and subscription is pending), retried with back-off (5 s doubling to 1 h); a delivered version covers every earlier
 * one still waiting. Claimed by a short lease on the row, so several nodes share the work without sending a row
 * twice at once. Wakes on commit, else polls every second.
 */
@Component
public class AppointmentPush implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(AppointmentPush.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    static final Duration MAX_RETRY = Duration.ofHours(1);
    static final Duration LEASE = Duration.ofSeconds(60);

    private record Due(long id, long clientId, Long subscriptionId, long bookingId, int version, int attempts,
            LocalDateTime nextAt) {
    }

    /** The header that carries a push's signature (docs/his.md, "Signed pushes"). */
    public static final String SIGNATURE = "X-Hotline-Signature";
    /** Headers a Subscription may not set: the HTTP client's own, the body's type, and the signature. */
    static final java.util.Set<String> RESERVED_HEADERS = java.util.Set.of("connection", "content-length", "date",
            "expect", "from", "host", "upgrade", "via", "warning", "content-type", "transfer-encoding", "te", "trailer",
            "keep-alive", "proxy-authorization", SIGNATURE.toLowerCase(java.util.Locale.ROOT));

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final HisClients clients;
    private final AppointmentResources appointments;
    private final PushSignal signal;
    private final HisSubscriptions subscriptions;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private volatile Thread loop;
    private volatile boolean running;

    AppointmentPush(JdbcTemplate jdbc, Clock clock, HisClients clients, AppointmentResources appointments,
            PushSignal signal, HisSubscriptions subscriptions) {
        this.subscriptions = subscriptions;
        this.jdbc = jdbc;
        this.clock = clock;
        this.clients = clients;
        this.appointments = appointments;
        this.signal = signal;
    }

    /** Sends what is due now; returns how many pushes were delivered. */
    public synchronized int pushDue() {
        LocalDateTime now = LocalDateTime.now(clock);
        List<Due> due = jdbc.query("""
                SELECT p.id, p.client_id, p.subscription_id, p.booking_id, p.version, p.attempts, p.next_at
                FROM his_push p
                WHERE p.status = 'PENDING' AND p.next_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM his_push e WHERE e.client_id = p.client_id AND e.booking_id = p.booking_id
                                  AND e.subscription_id <=> p.subscription_id AND e.status = 'PENDING' AND e.id < p.id)
                ORDER BY p.id LIMIT 100""", (rs, i) -> new Due(rs.getLong(1), rs.getLong(2),
                rs.getObject(3, Long.class), rs.getLong(4), rs.getInt(5), rs.getInt(6),
                rs.getObject(7, LocalDateTime.class)), now);
        int sent = 0;
        if (!due.isEmpty()) {
            log.info("HIS push: {} due", due.size());
        }
        for (Due d : due) {
            int claimed = jdbc.update("UPDATE his_push SET next_at = ? WHERE id = ? AND status = 'PENDING' AND next_at = ?",
                    now.plus(LEASE), d.id(), d.nextAt());
            if (claimed == 1 && send(d, now)) {
                sent++;
            }
        }
        return sent;
    }

    /** Where one push goes and how: the admin's push address, or a Subscription's channel. */
    private record Destination(String method, String url, boolean payload, java.util.List<String> headers) {
    }

    private Optional<Destination> destination(HisClient client, Due d, LocalDateTime now) {
        if (d.subscriptionId() == null) {
            return Optional.ofNullable(client.pushUrl()).map(u -> new Destination("PUT",
                    u.replaceAll("/+$", "") + "/Appointment/" + d.bookingId(), true, java.util.List.of()));
        }
        return subscriptions.byId(d.subscriptionId()).filter(s -> s.clientId() == client.id() && s.live(now))
                .map(s -> s.spec().payload() != null
                        // R4 rest-hook with payload: PUT [endpoint]/[type]/[id]; without: an empty POST to the endpoint
                        ? new Destination("PUT", s.spec().endpoint().replaceAll("/+$", "") + "/Appointment/"
                                + d.bookingId(), true, s.spec().headers())
                        : new Destination("POST", s.spec().endpoint(), false, s.spec().headers()));
    }

    private boolean send(Due d, LocalDateTime now) {
        Optional<HisClient> client = clients.find(d.clientId());
        Optional<Appointment> a = client.flatMap(c -> appointments.read(c, d.bookingId()));
        Optional<Destination> to = client.flatMap(c -> destination(c, d, now));
        Optional<String> key = client.flatMap(c -> clients.pushSecret(c.id()));
        if (a.isEmpty() || to.isEmpty() || key.isEmpty()) {
            // the client no longer reaches the facility, pushes, or has this subscription (off, ended, deleted)
            jdbc.update("UPDATE his_push SET status = 'DROPPED', last_error = 'no longer subscribed' WHERE id = ?", d.id());
            return false;
        }
        int version = Integer.parseInt(a.get().getMeta().getVersionId());
        byte[] body = to.get().payload() ? Fhir.bytes(a.get()) : new byte[0];
        String error;
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(to.get().url())).timeout(Duration.ofSeconds(10))
                    .method(to.get().method(), HttpRequest.BodyPublishers.ofByteArray(body))
                    .header(SIGNATURE, PushSignature.header(key.get(), clock.instant().getEpochSecond(), body));
            if (body.length > 0) {
                req.header("Content-Type", Fhir.FHIR_JSON.toString());
            }
            for (String h : to.get().headers()) {
                int colon = h.indexOf(':');
                req.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
            }
            HttpResponse<Void> r = http.send(req.build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 == 2) {
                jdbc.update("""
                        UPDATE his_push SET status = 'SENT', sent_at = ?, attempts = attempts + 1
                        WHERE client_id = ? AND booking_id = ? AND subscription_id <=> ? AND status = 'PENDING'
                          AND version <= ?""",
                        LocalDateTime.now(clock), d.clientId(), d.bookingId(), d.subscriptionId(), version);
                if (d.subscriptionId() != null) {
                    subscriptions.delivered(d.subscriptionId(), null);
                }
                return true;
            }
            error = "HTTP " + r.statusCode();
        } catch (java.io.IOException | IllegalArgumentException e) {
            error = e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        long backoff = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(20, d.attempts()));
        jdbc.update("UPDATE his_push SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?",
                now.plus(Duration.ofMillis(backoff)), error, d.id());
        if (d.subscriptionId() != null) {
            subscriptions.delivered(d.subscriptionId(), error + " (attempt " + (d.attempts() + 1) + ")");
        }
        log.warn("Push of Appointment {} v{} to HIS client {}{} failed ({}), attempt {}: retry in {} s", d.bookingId(),
                d.version(), d.clientId(), d.subscriptionId() == null ? "" : " Subscription " + d.subscriptionId(),
                error, d.attempts() + 1, backoff / 1000);
        return false;
    }

    @Override
    public synchronized void start() {
        log.info("HIS push loop starting");
        running = true;
        loop = new Thread(() -> {
            while (running) {
                try {
                    signal.await(1000);
                    if (running) {
                        pushDue();
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // the database away, a bad row: log and poll again
                    log.warn("HIS push loop: {}", e.toString());
                }
            }
        }, "his-push");
        loop.setDaemon(true);
        loop.start();
    }

    @Override
    public synchronized void stop() {
        running = false;
        Thread t = loop;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
