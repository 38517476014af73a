package org.hotline.ivr.sip;

import javax.sip.ClientTransaction;
import javax.sip.Dialog;
import javax.sip.DialogTerminatedEvent;
import javax.sip.IOExceptionEvent;
import javax.sip.RequestEvent;
import javax.sip.ResponseEvent;
import javax.sip.TimeoutEvent;
import javax.sip.TransactionTerminatedEvent;
import javax.sip.header.ToHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import gov.nist.javax.sip.DialogTimeoutEvent;
import gov.nist.javax.sip.SipListenerExt;

/**
 * What the stack delivers, sent where it belongs: a new INVITE to admission, anything within a call's
 * dialog to the in-dialog handler, OPTIONS answered here, other methods refused. Runs on jain-sip's
 * reading threads and never blocks.
 */
final class SipRequestDispatch implements SipListenerExt {

    private static final Logger log = LoggerFactory.getLogger(SipRequestDispatch.class);

    private final InviteAdmission admission;
    private final InDialogRequests dialogs;
    private final SipResponses responses;
    private final CallRegistry calls;
    private final OutboundInvites outbound;

    SipRequestDispatch(InviteAdmission admission, InDialogRequests dialogs, SipResponses responses,
            CallRegistry calls, OutboundInvites outbound) {
        this.outbound = outbound;
        this.admission = admission;
        this.dialogs = dialogs;
        this.responses = responses;
        this.calls = calls;
    }

    @Override
    public void processRequest(RequestEvent e) {
        Request req = e.getRequest();
        try {
            switch (req.getMethod()) {
                case Request.INVITE -> invite(e);
                case Request.ACK -> dialogs.ack(e);
                case Request.BYE -> dialogs.bye(e);
                case Request.CANCEL -> dialogs.cancel(e);
                case Request.OPTIONS -> responses.respond(e, Response.OK, responses::capabilities);
                case Request.INFO -> dialogs.info(e);
                case Request.NOTIFY -> dialogs.notify(e);
                case Request.REGISTER, Request.SUBSCRIBE, Request.PUBLISH, Request.MESSAGE, Request.UPDATE,
                        Request.PRACK, Request.REFER -> responses.respond(e, Response.METHOD_NOT_ALLOWED, responses::allow);
                default -> responses.respond(e, Response.NOT_IMPLEMENTED, responses::allow);
            }
        } catch (Exception ex) {
            log.warn("SIP {} failed: {}", req.getMethod(), ex.toString(), ex);
            if (!Request.ACK.equals(req.getMethod())) {
                responses.respond(e, Response.SERVER_INTERNAL_ERROR, null);
            }
        }
    }

    private void invite(RequestEvent e) throws Exception {
        Request req = e.getRequest();
        String sipCallId = CallRegistry.callIdOf(req);
        SipCall existing = calls.get(sipCallId);
        if (existing != null && toTag(req) != null) {
            dialogs.reinvite(e, existing);
            return;
        }
        if (toTag(req) != null) {
            responses.respond(e, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null);
            return;
        }
        if (existing != null) {
            return; // a retransmission that got past the transaction layer: the stack repeats our response
        }
        admission.admit(e, sipCallId);
    }

    @Override
    public void processResponse(ResponseEvent e) {
        ClientTransaction ct = e.getClientTransaction();
        if (ct != null && ct.getApplicationData() instanceof OutboundInvites.Pending p
                && Request.INVITE.equals(ct.getRequest().getMethod())) {
            outbound.response(e, p);
            return;
        }
        if (ct == null && e.getResponse().getStatusCode() / 100 == 2 && e.getDialog() != null
                && Request.INVITE.equals(((javax.sip.header.CSeqHeader) e.getResponse()
                        .getHeader(javax.sip.header.CSeqHeader.NAME)).getMethod())) {
            // a retransmitted 200 to our INVITE (its transaction is gone): ACK it again (RFC 3261 13.2.2.4)
            try {
                Dialog d = e.getDialog();
                d.sendAck(d.createAck(((javax.sip.header.CSeqHeader) e.getResponse()
                        .getHeader(javax.sip.header.CSeqHeader.NAME)).getSeqNumber()));
            } catch (Exception ex) {
                log.debug("re-ACK failed: {}", ex.toString());
            }
            return;
        }
        if (ct != null && ct.getApplicationData() instanceof SipCall call
                && Request.REFER.equals(ct.getRequest().getMethod())) {
            call.referAnswered(e.getResponse().getStatusCode());
        }
    }

    @Override
    public void processTimeout(TimeoutEvent e) {
        if (!e.isServerTransaction()) {
            ClientTransaction ct = e.getClientTransaction();
            if (ct != null && ct.getApplicationData() instanceof OutboundInvites.Pending p) {
                outbound.timedOut(p);
                return;
            }
            if (ct != null && ct.getApplicationData() instanceof SipCall call
                    && Request.REFER.equals(ct.getRequest().getMethod())) {
                call.referAnswered(Response.REQUEST_TIMEOUT);
            }
        }
    }

    @Override
    public void processDialogTimeout(DialogTimeoutEvent e) {
        SipCall call = calls.of(e.getDialog());
        if (call != null) {
            log.info("SIP call {}: no ACK for our 200 OK ({})", call.callId(), e.getReason());
            dialogs.bye(call, "no ACK");
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
        SipCall call = calls.of(d);
        if (call != null && call.dialog() == d) {
            calls.remove(call);
            call.end("dialog terminated");
        }
    }

    private static String toTag(Request req) {
        ToHeader to = (ToHeader) req.getHeader(ToHeader.NAME);
        return to == null ? null : to.getTag();
    }
}
