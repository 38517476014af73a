package org.hotline.ivr.sip;

import org.hotline.ivr.PeerAddresses;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import javax.sip.ClientTransaction;
import javax.sip.Dialog;
import javax.sip.DialogTerminatedEvent;
import javax.sip.IOExceptionEvent;
import javax.sip.ListeningPoint;
import javax.sip.RequestEvent;
import javax.sip.ResponseEvent;
import javax.sip.ServerTransaction;
import javax.sip.SipFactory;
import javax.sip.SipProvider;
import javax.sip.SipStack;
import javax.sip.TimeoutEvent;
import javax.sip.TransactionAlreadyExistsException;
import javax.sip.TransactionTerminatedEvent;
import javax.sip.TransactionUnavailableException;
import javax.sip.address.Address;
import javax.sip.address.AddressFactory;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.ContentTypeHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.RequireHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.MessageFactory;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import gov.nist.javax.sip.DialogTimeoutEvent;
import gov.nist.javax.sip.SipListenerExt;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.hotline.booking.PhoneNumber;
import org.hotline.ivr.CallHandler;
import org.hotline.ivr.CallMeters;

/**
 * The hotline's own SIP user agent (JAIN-SIP): answers INVITEs on UDP and TCP, negotiates G.711 and
 * {@code telephone-event}, and runs each connected call through the {@link CallHandler} on a thread of
 * the call's own. The listener methods run on jain-sip's reading threads and never block: anything slow
 * (the flow, a timed answer) happens elsewhere.
 */
public final class SipUserAgent implements SipListenerExt, AutoCloseable {

    static final String ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY";
    static final String TRANSFER_ID_HEADER = "X-Hotline-Transfer-Id";
    static final String PRIORITY_HEADER = "X-Hotline-Priority";

    private static final Logger log = LoggerFactory.getLogger(SipUserAgent.class);
    private static final AtomicInteger STACKS = new AtomicInteger();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String REFER_TAG = "refer";

    private final SipProperties props;
    private final Supplier<CallHandler> handler;
    private final PromptAudio prompts;
    private final Map<String, SipCall> calls = new ConcurrentHashMap<>();
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger callThreads = new AtomicInteger();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

    private SipStack stack;
    private SipProvider provider;
    private MessageFactory messages;
    private HeaderFactory headers;
    private AddressFactory addresses;
    private RtpMedia media;
    private ExecutorService callThreadPool;
    private ScheduledExecutorService timers;
    private volatile int port;
    private volatile boolean running;
    private volatile CallMeters meters = CallMeters.NONE;
    private final PeerAddresses trusted;
    /** False while this node must not take new calls (its database is away). */
    private volatile java.util.function.BooleanSupplier admitting = () -> true;

    public SipUserAgent(SipProperties props, Supplier<CallHandler> handler, PromptAudio prompts) {
        this.props = props;
        this.trusted = PeerAddresses.parse(props.trustedPeers(), "hotline.sip.trusted-peers");
        this.handler = handler;
        this.prompts = prompts;
    }

    /** Takes new INVITEs only while {@code admission} says yes; otherwise answers 503 (Retry-After 10). */
    public SipUserAgent admitWhile(java.util.function.BooleanSupplier admission) {
        this.admitting = admission;
        return this;
    }

    /** Binds the SIP port(s) and starts answering. Fails (and cleans up) when a port cannot be had. */
    public synchronized void start() throws Exception {
        if (running) {
            return;
        }
        InetAddress bind = InetAddress.getByName(props.bindAddress());
        port = props.port() == 0 ? freePort(bind) : props.port();
        String name = "hotline-sip-" + STACKS.incrementAndGet();
        Properties p = new Properties();
        p.setProperty("javax.sip.STACK_NAME", name);
        p.setProperty("javax.sip.AUTOMATIC_DIALOG_SUPPORT", "on");
        p.setProperty("gov.nist.javax.sip.STACK_LOGGER", JainSipStackLog.class.getName());
        p.setProperty("gov.nist.javax.sip.SERVER_LOGGER", JainSipMessageLog.class.getName());
        p.setProperty("gov.nist.javax.sip.TRACE_LEVEL",
                LoggerFactory.getLogger(JainSipMessageLog.LOGGER).isTraceEnabled() ? "32" : "0");
        p.setProperty("gov.nist.javax.sip.REENTRANT_LISTENER", "true");
        p.setProperty("gov.nist.javax.sip.THREAD_POOL_SIZE", "4");
        p.setProperty("gov.nist.javax.sip.DELIVER_UNSOLICITED_NOTIFY", "true");
        p.setProperty("gov.nist.javax.sip.MAX_MESSAGE_SIZE", "65536");
        p.setProperty("gov.nist.javax.sip.READ_TIMEOUT", "5000");
        p.setProperty("gov.nist.javax.sip.CACHE_CLIENT_CONNECTIONS", "true");
        p.setProperty("gov.nist.javax.sip.AUTOMATIC_DIALOG_ERROR_HANDLING", "false");
        if (props.port() != 0) {
            ensureFree(bind, port, props.transports());
        }
        SipFactory factory = SipFactory.getInstance();
        factory.setPathName("gov.nist");
        try {
            stack = factory.createSipStack(p);
            stack.start(); // started first, so that a failure below can stop it (its event scanner is no daemon)
            messages = factory.createMessageFactory();
            headers = factory.createHeaderFactory();
            addresses = factory.createAddressFactory();
            List<ListeningPoint> points = new ArrayList<>();
            for (String transport : props.transports()) {
                points.add(stack.createListeningPoint(props.bindAddress(), port, transport));
            }
            provider = stack.createSipProvider(points.get(0));
            for (int i = 1; i < points.size(); i++) {
                provider.addListeningPoint(points.get(i));
            }
            provider.addSipListener(this);
            media = new RtpMedia(bind, props.rtpPortMin(), props.rtpPortMax(), props.rtpTimeout(), name);
            AtomicInteger n = new AtomicInteger();
            callThreadPool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "sip-call-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            timers = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, name + "-timer");
                t.setDaemon(true);
                return t;
            });
        } catch (Exception e) {
            stopQuietly();
            throw new IllegalStateException("SIP user agent cannot listen on " + props.bindAddress() + ":" + port
                    + " (" + String.join("+", props.transports()) + "): " + e.getMessage(), e);
        }
        running = true;
        log.info("SIP user agent listening on {}:{} ({}), RTP {}..{}, at most {} calls", props.bindAddress(), port,
                String.join("+", props.transports()), props.rtpPortMin(), props.rtpPortMax(), props.maxCalls());
    }

    /** Hangs up every call, waits briefly for their flows to finish (holds released), then stops. */
    @Override
    public synchronized void close() {
        if (!running) {
            return;
        }
        running = false;
        for (SipCall c : calls.values()) {
            bye(c, "service stopping");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (callThreads.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stopQuietly();
        log.info("SIP user agent on port {} stopped", port);
    }

    private void stopQuietly() {
        if (timers != null) {
            timers.shutdownNow();
        }
        if (callThreadPool != null) {
            callThreadPool.shutdownNow();
        }
        if (media != null) {
            media.close();
        }
        if (stack != null) {
            try {
                if (provider != null) {
                    provider.removeSipListener(this);
                    for (ListeningPoint lp : provider.getListeningPoints()) {
                        try {
                            provider.removeListeningPoint(lp);
                        } catch (Exception e) {
                            // stopping anyway
                        }
                    }
                    stack.deleteSipProvider(provider);
                }
            } catch (Exception e) {
                log.debug("SIP provider cleanup: {}", e.toString());
            }
            stack.stop();
        }
    }

    public int port() {
        return port;
    }

    /** Started and not yet closed (a failed start leaves it stopped). */
    public boolean isRunning() {
        return running;
    }

    /**
     * Where the stack listens now, by transport ({@code udp} → {@code 127.0.0.1:5060}); empty when stopped,
     * or when the stack's own threads have ended although we did not close it.
     */
    public Map<String, String> listening() {
        SipStack s = stack;
        SipProvider p = provider;
        Map<String, String> out = new java.util.TreeMap<>();
        if (!running || s == null || p == null
                || (s instanceof gov.nist.javax.sip.stack.SIPTransactionStack ts && !ts.isAlive())) {
            return out;
        }
        for (ListeningPoint lp : p.getListeningPoints()) {
            out.put(lp.getTransport().toLowerCase(Locale.ROOT), lp.getIPAddress() + ":" + lp.getPort());
        }
        return out;
    }

    /** The transports this user agent is set to listen on ({@code hotline.sip.transports}). */
    public List<String> transports() {
        return props.transports();
    }

    /** At most this many calls at once ({@code hotline.sip.max-calls}). */
    public int maxCalls() {
        return props.maxCalls();
    }

    /** Registers this user agent's meters: the shared call meters (hotline.sip.step, calls active) and media lateness. */
    public void bindMetrics(MeterRegistry registry) {
        meters = CallMeters.register(registry, "sip",
                "server time per step of a SIP call: from the caller's answer (keys, or the end of a prompt) to our next prompt, transfer or hang-up",
                this::activeCalls, "SIP calls holding a place under hotline.sip.max-calls");
        Gauge.builder("hotline.sip.media.late.ticks", this, SipUserAgent::lateMediaTicks)
                .description("20 ms media ticks that started more than a frame late").register(registry);
    }

    /** Calls holding a place under the call limit (ringing, talking, or their flow still finishing). */
    public int activeCalls() {
        return inUse.get();
    }

    /** How many INVITEs ended each way: answered, busy, no-codec, cancelled, … (for metrics and tests). */
    public Map<String, Long> outcomes() {
        Map<String, Long> m = new java.util.TreeMap<>();
        outcomes.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Media clock ticks that started more than a frame late since start. */
    public long lateMediaTicks() {
        return media == null ? 0 : media.lateTicks();
    }

    Duration transferTimeout() {
        return props.transferTimeout();
    }

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    // --- SipListener -------------------------------------------------------------------------------

    @Override
    public void processRequest(RequestEvent e) {
        Request req = e.getRequest();
        try {
            switch (req.getMethod()) {
                case Request.INVITE -> invite(e);
                case Request.ACK -> ack(e);
                case Request.BYE -> bye(e);
                case Request.CANCEL -> cancel(e);
                case Request.OPTIONS -> respond(e, Response.OK, r -> capabilities(r));
                case Request.INFO -> info(e);
                case Request.NOTIFY -> notify(e);
                case Request.REGISTER, Request.SUBSCRIBE, Request.PUBLISH, Request.MESSAGE, Request.UPDATE,
                        Request.PRACK, Request.REFER -> respond(e, Response.METHOD_NOT_ALLOWED, this::allow);
                default -> respond(e, Response.NOT_IMPLEMENTED, this::allow);
            }
        } catch (Exception ex) {
            log.warn("SIP {} failed: {}", req.getMethod(), ex.toString(), ex);
            if (!Request.ACK.equals(req.getMethod())) {
                respond(e, Response.SERVER_INTERNAL_ERROR, null);
            }
        }
    }

    private void invite(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        String sipCallId = callIdOf(req);
        SipCall existing = calls.get(sipCallId);
        if (existing != null && toTag(req) != null) {
            reinvite(e, existing);
            return;
        }
        if (toTag(req) != null) {
            respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        if (existing != null) {
            return; // a retransmission that got past the transaction layer: the stack repeats our response
        }
        ServerTransaction st = serverTransaction(e);
        if (st == null) {
            return;
        }
        // RFC 3261 §17.2.1: 100 Trying unless the TU answers within 200 ms, which a cold JVM or a slow RTP
        // port cannot promise; it stops the caller's INVITE retransmissions (Timer A) at once.
        respond(st, req, Response.TRYING, null);
        URI target = req.getRequestURI();
        if (!target.isSipURI()) {
            respond(st, req, Response.UNSUPPORTED_URI_SCHEME, null);
            count("unsupported-uri");
            return;
        }
        List<String> unsupported = unsupportedExtensions(req);
        if (!unsupported.isEmpty()) {
            respond(st, req, Response.BAD_EXTENSION,
                    r -> r.addHeader(header("Unsupported", String.join(", ", unsupported))));
            count("bad-extension");
            return;
        }
        String user = ((SipURI) target).getUser();
        if (!props.acceptedUsers().isEmpty() && (user == null || !props.acceptedUsers().contains(user))) {
            respond(st, req, Response.NOT_FOUND, null);
            count("not-found");
            return;
        }
        SdpOffer offer = null;
        byte[] body = req.getRawContent();
        if (body != null && body.length > 0) {
            ContentTypeHeader ct = (ContentTypeHeader) req.getHeader(ContentTypeHeader.NAME);
            if (ct == null || !ct.getContentType().equalsIgnoreCase("application")
                    || !ct.getContentSubType().equalsIgnoreCase("sdp")) {
                respond(st, req, Response.UNSUPPORTED_MEDIA_TYPE, r -> r.addHeader(header("Accept", "application/sdp")));
                count("unsupported-media-type");
                return;
            }
            try {
                offer = SdpOffer.parse(new String(body, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException bad) {
                respond(st, req, Response.BAD_REQUEST, r -> r.setReasonPhrase("Bad SDP: " + bad.getMessage()));
                count("bad-sdp");
                return;
            }
            if (offer.negotiate().isEmpty()) {
                respond(st, req, Response.NOT_ACCEPTABLE_HERE,
                        r -> r.addHeader(header("Warning", "305 hotline \"Incompatible media format: need PCMU or PCMA over RTP/AVP\"")));
                count("no-codec");
                return;
            }
        }
        CallHandler h = handler.get();
        if (h == null || !running) {
            respond(st, req, Response.SERVICE_UNAVAILABLE, r -> r.addHeader(headers.createRetryAfterHeader(30)));
            count("no-flow-engine");
            return;
        }
        if (!admitting.getAsBoolean()) {
            // a proxy or Asterisk trunk group tries the next node on a 503 (RFC 3261 16.7)
            count("database-away");
            respond(st, req, Response.SERVICE_UNAVAILABLE, r -> {
                r.setReasonPhrase("Database Unreachable");
                r.addHeader(headers.createRetryAfterHeader(10));
            });
            log.warn("SIP INVITE not taken: this node's database is away (503)");
            return;
        }
        if (!takePlace()) {
            int status = props.busyStatus();
            respond(st, req, status, status == Response.SERVICE_UNAVAILABLE
                    ? r -> r.addHeader(headers.createRetryAfterHeader(10)) : null);
            count("busy");
            return;
        }
        SipCall call;
        String ourId = "sip-" + HexFormat.of().formatHex(randomBytes(6));
        try {
            String number = callerNumber(req);
            InetAddress from = sourceOf(req);
            boolean verified = !number.isEmpty() && trusted.contains(from);
            if (!number.isEmpty() && !verified) {
                log.info("SIP call {}: caller {} from {}, not a trusted peer: the number counts as unverified", ourId,
                        PhoneNumber.mask(number), from == null ? "?" : from.getHostAddress());
            }
            call = new SipCall(ourId, sipCallId, number, verified, HexFormat.of().formatHex(randomBytes(6)), this,
                    media::open, prompts, meters.newCall());
        } catch (IOException io) {
            inUse.decrementAndGet();
            respond(st, req, Response.SERVICE_UNAVAILABLE, r -> r.addHeader(headers.createRetryAfterHeader(10)));
            count("no-rtp-port");
            log.warn("no RTP port for a new call: {}", io.getMessage());
            return;
        }
        call.invite(st, offer);
        calls.put(sipCallId, call);
        log.info("SIP call {} from {} to {} ({}, {}), SIP Call-ID {}", ourId, call.callerMasked(), user,
                offer == null ? "no offer: we offer" : call.rtp().media().codec(),
                offer == null || call.rtp().media().telephoneEvent() < 0 ? "keys by INFO" : "keys by RFC 4733",
                sipCallId);
        if (props.answerDelay().isZero()) {
            answer(call);
        } else {
            Response ringing = response(req, Response.RINGING, call);
            st.sendResponse(ringing);
            call.dialog(st.getDialog());
            timers.schedule(() -> answer(call), props.answerDelay().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void answer(SipCall call) {
        if (!call.markAnswered()) {
            return; // cancelled while ringing
        }
        ServerTransaction st = call.inviteTransaction();
        try {
            Response ok = response(st.getRequest(), Response.OK, call);
            ok.setContent(call.localSdp(props.advertisedAddress()), headers.createContentTypeHeader("application", "sdp"));
            st.sendResponse(ok);
            call.dialog(st.getDialog());
            count("answered");
        } catch (Exception ex) {
            log.warn("SIP call {}: answering failed: {}", call.callId(), ex.toString());
            call.end("answer failed");
            calls.remove(call.sipCallId(), call);
        }
    }

    private void reinvite(RequestEvent e, SipCall call) throws Exception {
        ServerTransaction st = serverTransaction(e);
        if (st == null) {
            return;
        }
        Request req = e.getRequest();
        byte[] body = req.getRawContent();
        if (body != null && body.length > 0) {
            SdpOffer offer;
            try {
                offer = SdpOffer.parse(new String(body, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException bad) {
                respond(st, req, Response.BAD_REQUEST, r -> r.setReasonPhrase("Bad SDP: " + bad.getMessage()));
                return;
            }
            var choice = offer.negotiate();
            if (choice.isEmpty()) {
                // the old session stays as it was (RFC 3261 §14.2)
                respond(st, req, Response.NOT_ACCEPTABLE_HERE, null);
                return;
            }
            call.reoffer(offer, choice.get());
            log.info("SIP call {}: re-INVITE, now {} to {}:{} ({})", call.callId(), choice.get().codec(),
                    choice.get().remoteAddress(), choice.get().remotePort(), choice.get().remoteDirection());
        }
        Response ok = response(req, Response.OK, call);
        ok.setContent(call.localSdp(props.advertisedAddress()), headers.createContentTypeHeader("application", "sdp"));
        st.sendResponse(ok);
    }

    private void ack(RequestEvent e) {
        Request req = e.getRequest();
        SipCall call = calls.get(callIdOf(req));
        if (call == null) {
            return;
        }
        if (call.lateOffer()) {
            byte[] body = req.getRawContent();
            SdpOffer answer = null;
            try {
                answer = body == null || body.length == 0 ? null : SdpOffer.parse(new String(body, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException bad) {
                log.info("SIP call {}: bad SDP in ACK: {}", call.callId(), bad.getMessage());
            }
            var choice = answer == null ? java.util.Optional.<SdpOffer.Choice>empty() : answer.negotiate();
            if (choice.isEmpty()) {
                bye(call, "no usable SDP answer in the ACK");
                return;
            }
            call.lateAnswer(answer, choice.get());
        }
        if (call.markConnected()) {
            call.rtp().restartSilenceClock(System.nanoTime());
            startFlow(call);
        }
    }

    private void startFlow(SipCall call) {
        CallHandler h = handler.get();
        callThreads.incrementAndGet();
        try {
            callThreadPool.execute(() -> {
                MDC.put("callId", call.callId());
                try {
                    if (h == null) {
                        call.hangUp();
                    } else {
                        h.answer(call);
                    }
                } catch (RuntimeException ex) {
                    log.warn("SIP call {}: the flow failed: {}", call.callId(), ex.toString(), ex);
                } finally {
                    call.flowReturned();
                    callThreads.decrementAndGet();
                    MDC.remove("callId");
                }
            });
        } catch (RuntimeException rejected) {
            callThreads.decrementAndGet();
            bye(call, "no thread for the call");
            call.release();
        }
    }

    private void bye(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        SipCall call = calls.get(callIdOf(req));
        if (call == null) {
            respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        respond(e, Response.OK, null);
        calls.remove(call.sipCallId(), call);
        call.end("caller hung up");
    }

    private void cancel(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        SipCall call = calls.get(callIdOf(req));
        ServerTransaction st = serverTransaction(e);
        if (st == null) {
            return;
        }
        if (call == null) {
            respond(st, req, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        respond(st, req, Response.OK, null);
        if (call.state() == SipCall.State.RINGING && call.end("cancelled while ringing")) {
            ServerTransaction invite = call.inviteTransaction();
            Response terminated = response(invite.getRequest(), Response.REQUEST_TERMINATED, call);
            invite.sendResponse(terminated);
            calls.remove(call.sipCallId(), call);
            count("cancelled");
        }
    }

    private void info(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        SipCall call = calls.get(callIdOf(req));
        if (call == null || call.isEnded()) {
            respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        byte[] body = req.getRawContent();
        if (body == null || body.length == 0) {
            respond(e, Response.OK, null); // an empty INFO is a keep-alive
            return;
        }
        ContentTypeHeader ct = (ContentTypeHeader) req.getHeader(ContentTypeHeader.NAME);
        String type = ct == null ? "" : (ct.getContentType() + "/" + ct.getContentSubType()).toLowerCase(Locale.ROOT);
        char key = switch (type) {
            case "application/dtmf-relay" -> DtmfRelay.signal(new String(body, StandardCharsets.US_ASCII));
            case "application/dtmf" -> DtmfRelay.plain(new String(body, StandardCharsets.US_ASCII));
            default -> 1;
        };
        if (key == 1) {
            respond(e, Response.UNSUPPORTED_MEDIA_TYPE,
                    r -> r.addHeader(header("Accept", "application/dtmf-relay, application/dtmf")));
        } else if (key == 0) {
            respond(e, Response.BAD_REQUEST, r -> r.setReasonPhrase("No DTMF signal in body"));
        } else {
            respond(e, Response.OK, null);
            call.infoKey(key);
        }
    }

    private void notify(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        SipCall call = calls.get(callIdOf(req));
        if (call == null) {
            respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        respond(e, Response.OK, null);
        byte[] body = req.getRawContent();
        String frag = body == null ? "" : new String(body, StandardCharsets.UTF_8).trim();
        if (frag.startsWith("SIP/2.0 ")) {
            try {
                int status = Integer.parseInt(frag.substring(8, 11));
                call.referProgress(status);
            } catch (RuntimeException bad) {
                log.debug("SIP call {}: NOTIFY with an unreadable sipfrag", call.callId());
            }
        }
    }

    @Override
    public void processResponse(ResponseEvent e) {
        ClientTransaction ct = e.getClientTransaction();
        if (ct != null && ct.getApplicationData() instanceof SipCall call
                && Request.REFER.equals(ct.getRequest().getMethod())) {
            call.referAnswered(e.getResponse().getStatusCode());
        }
    }

    @Override
    public void processTimeout(TimeoutEvent e) {
        if (!e.isServerTransaction()) {
            ClientTransaction ct = e.getClientTransaction();
            if (ct != null && ct.getApplicationData() instanceof SipCall call
                    && Request.REFER.equals(ct.getRequest().getMethod())) {
                call.referAnswered(Response.REQUEST_TIMEOUT);
            }
        }
    }

    @Override
    public void processDialogTimeout(DialogTimeoutEvent e) {
        Dialog d = e.getDialog();
        SipCall call = d == null ? null : calls.get(d.getCallId().getCallId());
        if (call != null) {
            log.info("SIP call {}: no ACK for our 200 OK ({})", call.callId(), e.getReason());
            bye(call, "no ACK");
        }
    }

    @Override
    public void processIOException(IOExceptionEvent e) {
        log.debug("SIP I/O error with {}:{} ({})", e.getHost(), e.getPort(), e.getTransport());
    }

    @Override
    public void processTransactionTerminated(TransactionTerminatedEvent e) {
    }

    @Override
    public void processDialogTerminated(DialogTerminatedEvent e) {
        Dialog d = e.getDialog();
        SipCall call = d == null ? null : calls.get(d.getCallId().getCallId());
        if (call != null && call.dialog() == d) {
            calls.remove(call.sipCallId(), call);
            call.end("dialog terminated");
        }
    }

    // --- from calls ----------------------------------------------------------------------------

    /** Ends the call from our side: BYE when connected (or answered), nothing to send while ringing. */
    void bye(SipCall call, String reason) {
        SipCall.State before = call.state();
        if (!call.end(reason)) {
            return;
        }
        calls.remove(call.sipCallId(), call);
        Dialog d = call.dialog();
        try {
            if (before == SipCall.State.RINGING) {
                ServerTransaction invite = call.inviteTransaction();
                invite.sendResponse(response(invite.getRequest(), Response.SERVICE_UNAVAILABLE, call));
            } else if (d != null) {
                Request bye = d.createRequest(Request.BYE);
                ClientTransaction ct = provider.getNewClientTransaction(bye);
                d.sendRequest(ct);
            }
        } catch (Exception ex) {
            log.info("SIP call {}: BYE not sent: {}", call.callId(), ex.toString());
        }
    }

    /** Sends the REFER that hands the caller to a person; the outcome arrives as a response and NOTIFYs. */
    void refer(SipCall call, String transferId, int priority) {
        try {
            SipURI agent = (SipURI) addresses.createURI(props.agentUri());
            agent.setHeader(TRANSFER_ID_HEADER, transferId);
            agent.setHeader(PRIORITY_HEADER, Integer.toString(priority));
            Request refer = call.dialog().createRequest(Request.REFER);
            refer.addHeader(headers.createReferToHeader(addresses.createAddress(agent)));
            refer.addHeader(header("Referred-By", "<sip:hotline@" + hostPort() + ">"));
            refer.addHeader(header(TRANSFER_ID_HEADER, transferId));
            refer.addHeader(header(PRIORITY_HEADER, Integer.toString(priority)));
            ClientTransaction ct = provider.getNewClientTransaction(refer);
            ct.setApplicationData(call);
            call.dialog().sendRequest(ct);
            log.info("SIP call {}: REFER to {} (transfer {}, priority {})", call.callId(), props.agentUri(),
                    transferId, priority);
        } catch (Exception ex) {
            log.warn("SIP call {}: REFER not sent: {}", call.callId(), ex.toString());
            call.referAnswered(Response.SERVER_INTERNAL_ERROR);
        }
    }

    void silenceTimedOut(SipCall call) {
        log.info("SIP call {}: no RTP from the caller for {} s", call.callId(), props.rtpTimeout().toSeconds());
        timers.execute(() -> bye(call, "RTP silence"));
    }

    void closeMedia(SipCall call) {
        media.close(call.rtp());
    }

    void released(SipCall call) {
        inUse.decrementAndGet();
        calls.remove(call.sipCallId(), call);
    }

    // --- helpers -------------------------------------------------------------------------------

    /** Adds headers or a reason phrase to a response before it goes out. */
    @FunctionalInterface
    private interface Customizer {
        void accept(Response r) throws Exception;
    }

    private boolean takePlace() {
        while (true) {
            int n = inUse.get();
            if (n >= props.maxCalls()) {
                return false;
            }
            if (inUse.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private ServerTransaction serverTransaction(RequestEvent e) {
        ServerTransaction st = e.getServerTransaction();
        if (st != null) {
            return st;
        }
        try {
            return provider.getNewServerTransaction(e.getRequest());
        } catch (TransactionAlreadyExistsException retransmit) {
            return null;
        } catch (TransactionUnavailableException ex) {
            log.debug("no server transaction for {}: {}", e.getRequest().getMethod(), ex.getMessage());
            return null;
        }
    }

    /** Answers statefully when a transaction can be had, else statelessly. */
    private void respond(RequestEvent e, int status, Customizer customize) {
        Request req = e.getRequest();
        if (Request.ACK.equals(req.getMethod())) {
            return;
        }
        ServerTransaction st = e.getServerTransaction();
        if (st == null) {
            try {
                st = provider.getNewServerTransaction(req);
            } catch (TransactionAlreadyExistsException retransmit) {
                return;
            } catch (TransactionUnavailableException ex) {
                st = null;
            }
        }
        respond(st, req, status, customize);
    }

    private void respond(ServerTransaction st, Request req, int status, Customizer customize) {
        try {
            Response r = messages.createResponse(status, req);
            ToHeader to = (ToHeader) r.getHeader(ToHeader.NAME);
            if (to != null && to.getTag() == null && status > 100) {
                to.setTag(HexFormat.of().formatHex(randomBytes(4)));
            }
            r.addHeader(header("Server", "hotline-gateway"));
            if (customize != null) {
                customize.accept(r);
            }
            if (st != null) {
                st.sendResponse(r);
            } else {
                provider.sendResponse(r);
            }
        } catch (Exception ex) {
            log.debug("SIP {} response to {} not sent: {}", status, req.getMethod(), ex.toString());
        }
    }

    /** A response within the call's dialog (our To tag, our Contact). */
    private Response response(Request req, int status, SipCall call) throws Exception {
        Response r = messages.createResponse(status, req);
        ((ToHeader) r.getHeader(ToHeader.NAME)).setTag(call.localTag());
        r.addHeader(header("Server", "hotline-gateway"));
        if (status < 300) {
            r.addHeader(headers.createContactHeader(contact(req)));
            allow(r);
        }
        return r;
    }

    private void capabilities(Response r) throws java.text.ParseException {
        allow(r);
        r.addHeader(header("Accept", "application/sdp"));
        r.addHeader(header("Accept-Encoding", "identity"));
    }

    private void allow(Response r) throws java.text.ParseException {
        for (String method : ALLOW.split(", ")) {
            r.addHeader(headers.createAllowHeader(method));
        }
    }

    private javax.sip.header.Header header(String name, String value) {
        try {
            return headers.createHeader(name, value);
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException(name + ": " + value, e);
        }
    }

    private Address contact(Request req) throws java.text.ParseException {
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        String transport = via == null ? "udp" : via.getTransport().toLowerCase(Locale.ROOT);
        return addresses.createAddress("<sip:hotline@" + hostPort() + ";transport=" + transport + ">");
    }

    private String hostPort() {
        String host = props.advertisedAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static List<String> unsupportedExtensions(Request req) {
        List<String> out = new ArrayList<>();
        for (var it = req.getHeaders(RequireHeader.NAME); it.hasNext(); ) {
            String tag = ((RequireHeader) it.next()).getOptionTag();
            if (tag != null && !tag.isBlank()) {
                out.add(tag.trim());
            }
        }
        return out;
    }

    private static String callIdOf(Request req) {
        return ((javax.sip.header.CallIdHeader) req.getHeader(javax.sip.header.CallIdHeader.NAME)).getCallId();
    }

    private static String toTag(Request req) {
        ToHeader to = (ToHeader) req.getHeader(ToHeader.NAME);
        return to == null ? null : to.getTag();
    }

    /**
     * Where the request really came from: the packet's source (UDP) or the connection's peer (TCP), as the
     * stack saw it, never a Via or Contact the sender wrote.
     */
    static InetAddress sourceOf(Request req) {
        if (req instanceof gov.nist.javax.sip.message.SIPMessage m) {
            return m.getPeerPacketSourceAddress() != null ? m.getPeerPacketSourceAddress() : m.getRemoteAddress();
        }
        return null;
    }

    /** The calling number from P-Asserted-Identity or From; "" when withheld or not a number. */
    static String callerNumber(Request req) {
        javax.sip.header.Header pai = req.getHeader("P-Asserted-Identity");
        String candidate = null;
        if (pai != null) {
            String v = pai.toString();
            int colon = v.indexOf("sip:");
            if (colon < 0) {
                colon = v.indexOf("tel:");
            }
            if (colon >= 0) {
                String rest = v.substring(colon + 4);
                candidate = rest.split("[@;>\\s]", 2)[0];
            }
        }
        if (candidate == null) {
            FromHeader from = (FromHeader) req.getHeader(FromHeader.NAME);
            URI uri = from == null ? null : from.getAddress().getURI();
            if (uri instanceof SipURI sip) {
                candidate = sip.getUser();
            } else if (uri != null && uri.getScheme().equalsIgnoreCase("tel")) {
                candidate = ((javax.sip.address.TelURL) uri).getPhoneNumber();
            }
        }
        if (candidate == null || !candidate.matches("\\+?[0-9]{3,20}")) {
            return "";
        }
        return candidate;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /**
     * Fails with the port's name before jain-sip is touched: a stack that failed to bind leaves its event
     * scanner (not a daemon thread) running, and the JVM would never exit.
     */
    private void ensureFree(InetAddress bind, int port, List<String> transports) {
        try {
            if (transports.contains("udp")) {
                new DatagramSocket(new InetSocketAddress(bind, port)).close();
            }
            if (transports.contains("tcp")) {
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(bind, port));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("SIP user agent cannot listen on " + props.bindAddress() + ":" + port
                    + " (hotline.sip.port, " + String.join("+", transports) + "): " + e.getMessage(), e);
        }
    }

    /** A port free for both UDP and TCP on the address: jain-sip cannot bind port 0 itself. */
    static int freePort(InetAddress bind) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int candidate;
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(bind, 0))) {
                candidate = udp.getLocalPort();
                try (ServerSocket tcp = new ServerSocket()) {
                    tcp.bind(new InetSocketAddress(bind, candidate));
                    return candidate;
                } catch (IOException taken) {
                    // TCP side busy: try another
                }
            }
        }
        throw new IOException("no free SIP port on " + bind);
    }
}
