package org.hotline.ivr.sip;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import javax.sip.ClientTransaction;
import javax.sip.Dialog;
import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.address.SipURI;
import javax.sip.header.ContentTypeHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests within a call's dialog, both ways: the caller's ACK, re-INVITE, BYE, CANCEL, INFO (keys) and
 * NOTIFY (transfer progress), and ours: the BYE and the REFER a {@link SipCall} asks for.
 */
final class InDialogRequests implements CallSignalling {

    static final String TRANSFER_ID_HEADER = "X-Hotline-Transfer-Id";
    static final String PRIORITY_HEADER = "X-Hotline-Priority";

    private static final Logger log = LoggerFactory.getLogger(InDialogRequests.class);

    private final SipProperties props;
    private final SipListeningPoints host;
    private final SipResponses responses;
    private final CallRegistry calls;
    private final CallResources resources;

    InDialogRequests(SipProperties props, SipListeningPoints host, SipResponses responses, CallRegistry calls,
            CallResources resources) {
        this.props = props;
        this.host = host;
        this.responses = responses;
        this.calls = calls;
        this.resources = resources;
    }

    // --- from the caller -----------------------------------------------------------------------

    void reinvite(RequestEvent e, SipCall call) throws Exception {
        ServerTransaction st = responses.serverTransaction(e);
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
                responses.respond(st, req, Response.BAD_REQUEST, r -> r.setReasonPhrase("Bad SDP: " + bad.getMessage()));
                return;
            }
            var choice = offer.negotiate();
            if (choice.isEmpty()) {
                // the old session stays as it was (RFC 3261 §14.2)
                responses.respond(st, req, Response.NOT_ACCEPTABLE_HERE, null);
                return;
            }
            call.reoffer(offer, choice.get());
            log.info("SIP call {}: re-INVITE, now {} to {}:{} ({})", call.callId(), choice.get().codec(),
                    choice.get().remoteAddress(), choice.get().remotePort(), choice.get().remoteDirection());
        }
        Response ok = responses.inDialog(req, Response.OK, call);
        ok.setContent(call.localSdp(props.advertisedAddress()), responses.sdp());
        st.sendResponse(ok);
    }

    void ack(RequestEvent e) {
        Request req = e.getRequest();
        SipCall call = calls.of(req);
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
            resources.startFlow(call);
        }
    }

    void bye(RequestEvent e) throws Exception {
        SipCall call = calls.of(e.getRequest());
        if (call == null) {
            responses.respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        responses.respond(e, Response.OK, null);
        calls.remove(call);
        call.end("caller hung up");
    }

    void cancel(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        SipCall call = calls.of(req);
        ServerTransaction st = responses.serverTransaction(e);
        if (st == null) {
            return;
        }
        if (call == null) {
            responses.respond(st, req, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        responses.respond(st, req, Response.OK, null);
        if (call.state() == SipCall.State.RINGING && call.end("cancelled while ringing")) {
            ServerTransaction invite = call.inviteTransaction();
            Response terminated = responses.inDialog(invite.getRequest(), Response.REQUEST_TERMINATED, call);
            invite.sendResponse(terminated);
            calls.remove(call);
            calls.count("cancelled");
        }
    }

    void info(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        SipCall call = calls.of(req);
        if (call == null || call.isEnded()) {
            responses.respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        byte[] body = req.getRawContent();
        if (body == null || body.length == 0) {
            responses.respond(e, Response.OK, null); // an empty INFO is a keep-alive
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
            responses.respond(e, Response.UNSUPPORTED_MEDIA_TYPE,
                    r -> r.addHeader(responses.header("Accept", "application/dtmf-relay, application/dtmf")));
        } else if (key == 0) {
            responses.respond(e, Response.BAD_REQUEST, r -> r.setReasonPhrase("No DTMF signal in body"));
        } else {
            responses.respond(e, Response.OK, null);
            call.infoKey(key);
        }
    }

    /** A NOTIFY about our REFER: its sipfrag status line tells the call how the transfer goes. */
    void notify(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        SipCall call = calls.of(req);
        if (call == null) {
            responses.respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        responses.respond(e, Response.OK, null);
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

    // --- from the call (CallSignalling) ---------------------------------------------------------

    /** Ends the call from our side: BYE when connected (or answered), 503 to the INVITE while ringing. */
    @Override
    public void bye(SipCall call, String reason) {
        SipCall.State before = call.state();
        if (!call.end(reason)) {
            return;
        }
        calls.remove(call);
        Dialog d = call.dialog();
        try {
            if (before == SipCall.State.RINGING) {
                ServerTransaction invite = call.inviteTransaction();
                invite.sendResponse(responses.inDialog(invite.getRequest(), Response.SERVICE_UNAVAILABLE, call));
            } else if (d != null) {
                Request bye = d.createRequest(Request.BYE);
                ClientTransaction ct = host.provider().getNewClientTransaction(bye);
                d.sendRequest(ct);
            }
        } catch (Exception ex) {
            log.info("SIP call {}: BYE not sent: {}", call.callId(), ex.toString());
        }
    }

    /** Sends the REFER that hands the caller to a person; the outcome arrives as a response and NOTIFYs. */
    @Override
    public void refer(SipCall call, String transferId, int priority) {
        try {
            // the person's queue or phone (hotline.sip.agent-uri)
            SipURI agent = (SipURI) host.addresses().createURI(props.agentUri());
            agent.setHeader(TRANSFER_ID_HEADER, transferId);
            agent.setHeader(PRIORITY_HEADER, Integer.toString(priority));
            Request refer = call.dialog().createRequest(Request.REFER);
            refer.addHeader(host.headers().createReferToHeader(host.addresses().createAddress(agent)));
            refer.addHeader(responses.header("Referred-By", "<sip:hotline@" + host.hostPort() + ">"));
            refer.addHeader(responses.header(TRANSFER_ID_HEADER, transferId));
            refer.addHeader(responses.header(PRIORITY_HEADER, Integer.toString(priority)));
            ClientTransaction ct = host.provider().getNewClientTransaction(refer);
            ct.setApplicationData(call);
            call.dialog().sendRequest(ct);
            log.info("SIP call {}: REFER to {} (transfer {}, priority {})", call.callId(), props.agentUri(),
                    transferId, priority);
        } catch (Exception ex) {
            log.warn("SIP call {}: REFER not sent: {}", call.callId(), ex.toString());
            call.referAnswered(Response.SERVER_INTERNAL_ERROR);
        }
    }

    @Override
    public Duration transferTimeout() {
        return props.transferTimeout();
    }

    @Override
    public void silenceTimedOut(SipCall call) {
        log.info("SIP call {}: no RTP from the caller for {} s", call.callId(), props.rtpTimeout().toSeconds());
        resources.timers().execute(() -> bye(call, "RTP silence"));
    }

    @Override
    public void closeMedia(SipCall call) {
        resources.media().close(call.rtp());
    }

    @Override
    public void released(SipCall call) {
        calls.released(call);
    }
}
