package org.hotline.ivr.sip;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;

import javax.sip.InvalidArgumentException;
import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.TransactionAlreadyExistsException;
import javax.sip.TransactionUnavailableException;
import javax.sip.address.Address;
import javax.sip.header.ContentTypeHeader;
import javax.sip.header.Header;
import javax.sip.header.RetryAfterHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds and sends our responses: statefully when a server transaction can be had (else statelessly),
 * with our To tag, {@code Server}, and within a call's dialog our Contact and {@code Allow}.
 */
final class SipResponses {

    static final String ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY";

    private static final Logger log = LoggerFactory.getLogger(SipResponses.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Adds headers or a reason phrase to a response before it goes out. */
    @FunctionalInterface
    interface Customizer {
        void accept(Response r) throws Exception;
    }

    private final SipListeningPoints host;

    SipResponses(SipListeningPoints host) {
        this.host = host;
    }

    /** The request's server transaction, a new one, or null for a retransmission (or none to be had). */
    ServerTransaction serverTransaction(RequestEvent e) {
        ServerTransaction st = e.getServerTransaction();
        if (st != null) {
            return st;
        }
        try {
            return host.provider().getNewServerTransaction(e.getRequest());
        } catch (TransactionAlreadyExistsException retransmit) {
            return null;
        } catch (TransactionUnavailableException ex) {
            log.debug("no server transaction for {}: {}", e.getRequest().getMethod(), ex.getMessage());
            return null;
        }
    }

    /** Answers statefully when a transaction can be had, else statelessly. */
    void respond(RequestEvent e, int status, Customizer customize) {
        Request req = e.getRequest();
        if (Request.ACK.equals(req.getMethod())) {
            return;
        }
        ServerTransaction st = e.getServerTransaction();
        if (st == null) {
            try {
                st = host.provider().getNewServerTransaction(req);
            } catch (TransactionAlreadyExistsException retransmit) {
                return;
            } catch (TransactionUnavailableException ex) {
                st = null;
            }
        }
        respond(st, req, status, customize);
    }

    void respond(ServerTransaction st, Request req, int status, Customizer customize) {
        try {
            Response r = host.messages().createResponse(status, req);
            ToHeader to = (ToHeader) r.getHeader(ToHeader.NAME);
            if (to != null && to.getTag() == null && status > 100) {
                to.setTag(randomHex(4));
            }
            r.addHeader(header("Server", "hotline-gateway"));
            if (customize != null) {
                customize.accept(r);
            }
            if (st != null) {
                st.sendResponse(r);
            } else {
                host.provider().sendResponse(r);
            }
        } catch (Exception ex) {
            log.debug("SIP {} response to {} not sent: {}", status, req.getMethod(), ex.toString());
        }
    }

    /** A response within the call's dialog (our To tag, our Contact). */
    Response inDialog(Request req, int status, SipCall call) throws Exception {
        Response r = host.messages().createResponse(status, req);
        ((ToHeader) r.getHeader(ToHeader.NAME)).setTag(call.localTag());
        r.addHeader(header("Server", "hotline-gateway"));
        if (status < 300) {
            r.addHeader(host.headers().createContactHeader(contact(req)));
            allow(r);
        }
        return r;
    }

    /** What OPTIONS learns: {@code Allow}, {@code Accept}, {@code Accept-Encoding}. */
    void capabilities(Response r) throws java.text.ParseException {
        allow(r);
        r.addHeader(header("Accept", "application/sdp"));
        r.addHeader(header("Accept-Encoding", "identity"));
    }

    void allow(Response r) throws java.text.ParseException {
        for (String method : ALLOW.split(", ")) {
            r.addHeader(host.headers().createAllowHeader(method));
        }
    }

    Header header(String name, String value) {
        try {
            return host.headers().createHeader(name, value);
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException(name + ": " + value, e);
        }
    }

    RetryAfterHeader retryAfter(int seconds) throws InvalidArgumentException {
        return host.headers().createRetryAfterHeader(seconds);
    }

    ContentTypeHeader sdp() throws java.text.ParseException {
        return host.headers().createContentTypeHeader("application", "sdp");
    }

    private Address contact(Request req) throws java.text.ParseException {
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        String transport = via == null ? "udp" : via.getTransport().toLowerCase(Locale.ROOT);
        return host.addresses().createAddress("<sip:hotline@" + host.hostPort() + ";transport=" + transport + ">");
    }

    /** {@code bytes} random bytes in hex: tags and our call ids. */
    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
