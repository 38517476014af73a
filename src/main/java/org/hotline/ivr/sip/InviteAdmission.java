package org.hotline.ivr.sip;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.ContentTypeHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.RequireHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.booking.PhoneNumber;
import org.hotline.ivr.CallHandler;
import org.hotline.ivr.PeerAddresses;

/**
 * A new INVITE: 100 Trying at once, then whether to take it (URI scheme, extensions, accepted users,
 * SDP, a flow engine, this node's database, a place under the call limit), whose number to believe
 * (trusted peers), and the call's answer (at once, or after {@code answer-delay} of ringing).
 */
final class InviteAdmission {

    private static final Logger log = LoggerFactory.getLogger(InviteAdmission.class);

    private final SipProperties props;
    private final PeerAddresses trusted;
    private final Supplier<CallHandler> handler;
    private final PromptAudio prompts;
    private final CallRegistry calls;
    private final SipResponses responses;
    private final CallSignalling signalling;
    private final CallResources resources;
    /** False while this node must not take new calls (its database is away). */
    private volatile BooleanSupplier admitting = () -> true;
    /** False until the application accepts traffic (catalogue, demo data, release catch-up done; issue 16). */
    private volatile BooleanSupplier ready = () -> true;

    InviteAdmission(SipProperties props, PeerAddresses trusted, Supplier<CallHandler> handler, PromptAudio prompts,
            CallRegistry calls, SipResponses responses, CallSignalling signalling, CallResources resources) {
        this.props = props;
        this.trusted = trusted;
        this.handler = handler;
        this.prompts = prompts;
        this.calls = calls;
        this.responses = responses;
        this.signalling = signalling;
        this.resources = resources;
    }

    /** Takes new INVITEs only while {@code admission} says yes; otherwise answers 503 (Retry-After 10). */
    void admitWhile(BooleanSupplier admission) {
        this.admitting = admission;
    }

    /**
     * Takes new INVITEs only once {@code readiness} says yes (Spring's ACCEPTING_TRAFFIC); before, 503 Service
     * Unavailable with Retry-After 10, so a proxy or Asterisk trunk group tries the next node (RFC 3261 21.5.4),
     * as the FastAGI listener closes a call before any command.
     */
    void readyWhen(BooleanSupplier readiness) {
        this.ready = readiness;
    }

    /** An INVITE outside any dialog, for a Call-ID we have no call for. */
    void admit(RequestEvent e, String sipCallId) throws Exception {
        Request req = e.getRequest();
        ServerTransaction st = responses.serverTransaction(e);
        if (st == null) {
            return;
        }
        // RFC 3261 §17.2.1: 100 Trying unless the TU answers within 200 ms, which a cold JVM or a slow RTP
        // port cannot promise; it stops the caller's INVITE retransmissions (Timer A) at once.
        responses.respond(st, req, Response.TRYING, null);
        URI target = req.getRequestURI();
        if (!target.isSipURI()) {
            responses.respond(st, req, Response.UNSUPPORTED_URI_SCHEME, null);
            calls.count("unsupported-uri");
            return;
        }
        List<String> unsupported = unsupportedExtensions(req);
        if (!unsupported.isEmpty()) {
            responses.respond(st, req, Response.BAD_EXTENSION,
                    r -> r.addHeader(responses.header("Unsupported", String.join(", ", unsupported))));
            calls.count("bad-extension");
            return;
        }
        String user = ((SipURI) target).getUser();
        if (!props.acceptedUsers().isEmpty() && (user == null || !props.acceptedUsers().contains(user))) {
            responses.respond(st, req, Response.NOT_FOUND, null);
            calls.count("not-found");
            return;
        }
        SdpOffer offer = null;
        byte[] body = req.getRawContent();
        if (body != null && body.length > 0) {
            ContentTypeHeader ct = (ContentTypeHeader) req.getHeader(ContentTypeHeader.NAME);
            if (ct == null || !ct.getContentType().equalsIgnoreCase("application")
                    || !ct.getContentSubType().equalsIgnoreCase("sdp")) {
                responses.respond(st, req, Response.UNSUPPORTED_MEDIA_TYPE,
                        r -> r.addHeader(responses.header("Accept", "application/sdp")));
                calls.count("unsupported-media-type");
                return;
            }
            try {
                offer = SdpOffer.parse(new String(body, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException bad) {
                responses.respond(st, req, Response.BAD_REQUEST, r -> r.setReasonPhrase("Bad SDP: " + bad.getMessage()));
                calls.count("bad-sdp");
                return;
            }
            if (offer.negotiate().isEmpty()) {
                responses.respond(st, req, Response.NOT_ACCEPTABLE_HERE, r -> r.addHeader(responses.header("Warning",
                        "305 hotline \"Incompatible media format: need PCMU or PCMA over RTP/AVP\"")));
                calls.count("no-codec");
                return;
            }
        }
        CallHandler h = handler.get();
        if (h == null || !resources.running()) {
            responses.respond(st, req, Response.SERVICE_UNAVAILABLE, r -> r.addHeader(responses.retryAfter(30)));
            calls.count("no-flow-engine");
            return;
        }
        if (!ready.getAsBoolean()) {
            calls.count("not-ready");
            responses.respond(st, req, Response.SERVICE_UNAVAILABLE, r -> {
                r.setReasonPhrase("Starting");
                r.addHeader(responses.retryAfter(10));
            });
            log.warn("SIP INVITE not taken: this node is starting (not accepting traffic yet): 503");
            return;
        }
        if (!admitting.getAsBoolean()) {
            // a proxy or Asterisk trunk group tries the next node on a 503 (RFC 3261 16.7)
            calls.count("database-away");
            responses.respond(st, req, Response.SERVICE_UNAVAILABLE, r -> {
                r.setReasonPhrase("Database Unreachable");
                r.addHeader(responses.retryAfter(10));
            });
            log.warn("SIP INVITE not taken: this node's database is away: 503");
            return;
        }
        if (!calls.takePlace()) {
            int status = props.busyStatus();
            responses.respond(st, req, status, status == Response.SERVICE_UNAVAILABLE
                    ? r -> r.addHeader(responses.retryAfter(10)) : null);
            calls.count("busy");
            return;
        }
        SipCall call;
        String ourId = "sip-" + SipResponses.randomHex(6);
        try {
            String number = callerNumber(req);
            InetAddress from = sourceOf(req);
            boolean verified = !number.isEmpty() && trusted.contains(from);
            if (!number.isEmpty() && !verified) {
                log.info("SIP call {}: caller {} from {}, not a trusted peer: the number counts as unverified", ourId,
                        PhoneNumber.mask(number), from == null ? "?" : from.getHostAddress());
            }
            call = new SipCall(ourId, sipCallId, number, verified, SipResponses.randomHex(6), signalling,
                    resources.media()::open, prompts, resources.meters().newCall(), resources.recordings());
        } catch (IOException io) {
            calls.giveBackPlace();
            responses.respond(st, req, Response.SERVICE_UNAVAILABLE, r -> r.addHeader(responses.retryAfter(10)));
            calls.count("no-rtp-port");
            log.warn("no RTP port for a new call: {}", io.getMessage());
            return;
        }
        call.invite(st, offer);
        calls.add(call);
        log.info("SIP call {} from {} to {} ({}, {}), SIP Call-ID {}", ourId, call.callerMasked(), user,
                offer == null ? "no offer: we offer" : call.rtp().media().codec(),
                offer == null || call.rtp().media().telephoneEvent() < 0 ? "keys by INFO" : "keys by RFC 4733",
                sipCallId);
        if (props.answerDelay().isZero()) {
            answer(call);
        } else {
            Response ringing = responses.inDialog(req, Response.RINGING, call);
            st.sendResponse(ringing);
            call.dialog(st.getDialog());
            resources.timers().schedule(() -> answer(call), props.answerDelay().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void answer(SipCall call) {
        if (!call.markAnswered()) {
            return; // cancelled while ringing
        }
        ServerTransaction st = call.inviteTransaction();
        try {
            Response ok = responses.inDialog(st.getRequest(), Response.OK, call);
            ok.setContent(call.localSdp(props.advertisedAddress()), responses.sdp());
            st.sendResponse(ok);
            call.dialog(st.getDialog());
            calls.count("answered");
        } catch (Exception ex) {
            log.warn("SIP call {}: answering failed: {}", call.callId(), ex.toString());
            call.end("answer failed");
            calls.remove(call);
        }
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
}
