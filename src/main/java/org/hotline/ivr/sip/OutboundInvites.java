package org.hotline.ivr.sip;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sip.ClientTransaction;
import javax.sip.Dialog;
import javax.sip.ResponseEvent;
import javax.sip.address.Address;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.booking.PhoneNumber;
import org.hotline.ivr.DirectSipCalls.Placed;
import org.hotline.ivr.DirectSipCalls.Status;
import org.hotline.ivr.OutboundAnswer;

/**
 * Calls the endpoint places itself (a UAC, RFC 3261 §13.2): an INVITE with our SDP offer (PCMA, PCMU,
 * telephone-event) to {@code hotline.sip.outbound-uri}; on a 2xx the ACK from the dialog (a 2xx's ACK is the
 * UA's, not the transaction's: §13.2.2.4), then the same {@link SipCall} as an answered inbound call: our RTP,
 * RFC 4733 / INFO keys, the far end's BYE, our BYE when the flow hangs up. No answer within the ring time:
 * CANCEL (§9.1), and the 487 ends it. Runs its waiting on the caller's thread (the outbound scheduler's), never on
 * the stack's.
 */
final class OutboundInvites {

    private static final Logger log = LoggerFactory.getLogger(OutboundInvites.class);

    private final SipProperties props;
    private final SipListeningPoints host;
    private final CallRegistry calls;
    private final InDialogRequests dialogs;
    private final CallResources resources;
    private final PromptAudio prompts;

    OutboundInvites(SipProperties props, SipListeningPoints host, CallRegistry calls, InDialogRequests dialogs,
            CallResources resources, PromptAudio prompts) {
        this.props = props;
        this.host = host;
        this.calls = calls;
        this.dialogs = dialogs;
        this.resources = resources;
        this.prompts = prompts;
    }

    /** One INVITE we sent, until its final response. */
    static final class Pending {
        final SipCall call;
        final CompletableFuture<Integer> finalStatus = new CompletableFuture<>();

        Pending(SipCall call) {
            this.call = call;
        }
    }

    Placed place(String uriPattern, String digits, String callerId, Duration ringTimeout, String token,
            OutboundAnswer answer) {
        if (!digits.matches("[0-9]{5,20}")) {
            throw new IllegalArgumentException("not a number to dial");
        }
        if (!resources.running()) {
            return new Placed(Status.FAILED, null, "SIP endpoint not running");
        }
        if (!calls.takePlace()) {
            return new Placed(Status.FAILED, null, "no free call place (hotline.sip.max-calls)");
        }
        String ourId = "sip-out-" + SipResponses.randomHex(6);
        SipCall call;
        Pending pending;
        ClientTransaction ct;
        try {
            CallIdHeader callIdHeader = host.provider().getNewCallId();
            call = new SipCall(ourId, callIdHeader.getCallId(), digits, true, SipResponses.randomHex(6), dialogs,
                    resources.media()::open, prompts, resources.meters().newCall(), resources.recordings());
            call.flow(c -> answer.answer(c, token));
            URI target = host.addresses().createURI(uriPattern.replace("{number}", digits));
            String transport = target instanceof SipURI s && s.getTransportParam() != null
                    ? s.getTransportParam().toLowerCase() : "udp";
            Address from = host.addresses().createAddress("\"12320\" <sip:" + callerId + "@" + host.hostPort() + ">");
            Address to = host.addresses().createAddress(target);
            ViaHeader via = host.headers().createViaHeader(props.advertisedAddress(), host.port(), transport, null);
            Request invite = host.messages().createRequest(target, Request.INVITE, callIdHeader,
                    host.headers().createCSeqHeader(1L, Request.INVITE),
                    host.headers().createFromHeader(from, call.localTag()), host.headers().createToHeader(to, null),
                    List.of(via), host.headers().createMaxForwardsHeader(70));
            invite.addHeader(host.headers().createContactHeader(host.addresses().createAddress(
                    "<sip:hotline@" + host.hostPort() + ";transport=" + transport + ">")));
            invite.setContent(call.localSdp(props.advertisedAddress()),
                    host.headers().createContentTypeHeader("application", "sdp"));
            ct = host.provider().getNewClientTransaction(invite);
            pending = new Pending(call);
            ct.setApplicationData(pending);
            call.dialog(ct.getDialog());
            calls.add(call);
            ct.sendRequest();
        } catch (Exception e) {
            calls.giveBackPlace();
            log.warn("SIP outbound call to {} not placed: {}", PhoneNumber.mask(digits), e.toString());
            return new Placed(Status.FAILED, null, e.toString());
        }
        log.info("SIP outbound call {} to {}: INVITE sent", ourId, PhoneNumber.mask(digits));
        int status;
        try {
            status = pending.finalStatus.get(ringTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException rang) {
            try {
                Request cancel = ct.createCancel();
                host.provider().getNewClientTransaction(cancel).sendRequest();
                log.info("SIP outbound call {}: no answer in {} s, CANCEL sent", ourId, ringTimeout.toSeconds());
            } catch (Exception e) {
                log.info("SIP outbound call {}: CANCEL not sent: {}", ourId, e.toString());
            }
            try {
                // the 487 (or a 200 that crossed the CANCEL: then it is answered after all)
                status = pending.finalStatus.get(5, TimeUnit.SECONDS);
            } catch (Exception none) {
                status = Response.REQUEST_TERMINATED;
            }
            if (status >= 300) {
                status = Response.REQUEST_TERMINATED;
            }
        } catch (Exception e) {
            status = Response.SERVER_INTERNAL_ERROR;
        }
        if (status >= 200 && status < 300) {
            return new Placed(Status.ANSWERED, ourId, "answered");
        }
        if (call.end("outbound call not answered: " + status)) {
            calls.remove(call);
        }
        Status s = switch (status) {
            case Response.BUSY_HERE, Response.BUSY_EVERYWHERE -> Status.BUSY;
            case Response.REQUEST_TIMEOUT, Response.TEMPORARILY_UNAVAILABLE, Response.REQUEST_TERMINATED -> Status.NO_ANSWER;
            default -> Status.FAILED;
        };
        log.info("SIP outbound call {} to {}: {} ({})", ourId, PhoneNumber.mask(digits), s, status);
        return new Placed(s, ourId, "SIP " + status);
    }

    /** A response to one of our INVITEs (on the stack's thread: never blocks). */
    void response(ResponseEvent e, Pending p) {
        Response r = e.getResponse();
        int status = r.getStatusCode();
        if (status < 200) {
            return;
        }
        SipCall call = p.call;
        if (status >= 300) {
            p.finalStatus.complete(status);
            return;
        }
        Dialog d = e.getDialog();
        try {
            long cseq = ((CSeqHeader) r.getHeader(CSeqHeader.NAME)).getSeqNumber();
            d.sendAck(d.createAck(cseq));
        } catch (Exception ex) {
            log.warn("SIP outbound call {}: ACK not sent: {}", call.callId(), ex.toString());
        }
        if (p.finalStatus.isDone()) {
            return; // a retransmitted 200: ACKed again, nothing more
        }
        call.dialog(d);
        byte[] body = r.getRawContent();
        SdpOffer answer = null;
        try {
            answer = body == null || body.length == 0 ? null : SdpOffer.parse(new String(body, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException bad) {
            log.info("SIP outbound call {}: bad SDP in the 200: {}", call.callId(), bad.getMessage());
        }
        var choice = answer == null ? java.util.Optional.<SdpOffer.Choice>empty() : answer.negotiate();
        if (choice.isEmpty()) {
            p.finalStatus.complete(Response.NOT_ACCEPTABLE_HERE);
            call.markAnswered();
            dialogs.bye(call, "no usable SDP answer in the 200");
            return;
        }
        call.lateAnswer(answer, choice.get());
        call.markAnswered();
        if (call.markConnected()) {
            calls.count("outbound-answered");
            call.rtp().restartSilenceClock(System.nanoTime());
            p.finalStatus.complete(status);
            resources.startFlow(call);
        }
    }

    /** Our INVITE got no final response at all (Timer B). */
    void timedOut(Pending p) {
        p.finalStatus.complete(Response.REQUEST_TIMEOUT);
    }
}
