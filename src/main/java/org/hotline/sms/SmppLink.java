package org.hotline.sms;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

import org.jsmpp.InvalidResponseException;
import org.jsmpp.PDUException;
import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.Alphabet;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.GSMSpecificFeature;
import org.jsmpp.bean.GeneralDataCoding;
import org.jsmpp.bean.MessageMode;
import org.jsmpp.bean.MessageType;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.SMSCDeliveryReceipt;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ResponseTimeoutException;
import org.jsmpp.extra.SessionState;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.SMPPSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bound transceiver to the SMSC, kept up by its own thread: bind, enquire_link (jsmpp sends it
 * when idle), and on any close a new {@link SMPPSession} after a back-off that doubles up to
 * {@code reconnect-max}. State is explicit: {@link #bound()}.
 */
final class SmppLink {

    private static final Logger log = LoggerFactory.getLogger(SmppLink.class);
    private static final GeneralDataCoding UCS2 = new GeneralDataCoding(Alphabet.ALPHA_UCS2);

    /** What one submit_sm came back with. */
    sealed interface Submitted {
        record Accepted(String messageId) implements Submitted {
        }

        /** A negative submit_sm_resp. */
        record Refused(int status) implements Submitted {
        }

        /**
         * No answer: timeout, closed or unbound session. {@code written}: the submit_sm may have reached the
         * SMSC (it was being sent or awaited), so the SMSC may have the part.
         */
        record Lost(String why, boolean written) implements Submitted {
        }
    }

    private final SmsProperties.Smpp cfg;
    private final Supplier<InetSocketAddress> endpoint;
    private final MessageReceiverListener inbound;
    private final String name;
    private final Supplier<SMPPSession> sessions;
    private final Object lock = new Object();
    private volatile SMPPSession session;
    private volatile boolean running;
    private Thread keeper;

    SmppLink(SmsProperties.Smpp cfg, Supplier<InetSocketAddress> endpoint, MessageReceiverListener inbound,
            String name) {
        this(cfg, endpoint, inbound, name, SMPPSession::new);
    }

    /** @param sessions makes each new (unbound) session: jsmpp's own, or one a test watches or kills */
    SmppLink(SmsProperties.Smpp cfg, Supplier<InetSocketAddress> endpoint, MessageReceiverListener inbound,
            String name, Supplier<SMPPSession> sessions) {
        this.cfg = cfg;
        this.endpoint = endpoint;
        this.inbound = inbound;
        this.name = name;
        this.sessions = sessions;
    }

    void start() {
        running = true;
        keeper = new Thread(this::keepBound, "smpp-link-" + name);
        keeper.setDaemon(true);
        keeper.start();
    }

    boolean bound() {
        SMPPSession s = session;
        return s != null && s.getSessionState() == SessionState.BOUND_TRX;
    }

    /** Waits up to {@code millis} for a bound session. */
    boolean awaitBound(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        synchronized (lock) {
            while (!bound() && running) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.min(left, 200));
            }
        }
        return bound();
    }

    Submitted submit(String destination, Ucs2Message.Part part) {
        SMPPSession s = session;
        if (s == null || s.getSessionState() != SessionState.BOUND_TRX) {
            return new Submitted.Lost("not bound", false);
        }
        ESMClass esm = part.udhi() ? new ESMClass(MessageMode.DEFAULT, MessageType.DEFAULT, GSMSpecificFeature.UDHI)
                : new ESMClass();
        try {
            var r = s.submitShortMessage(cfg.systemType(), TypeOfNumber.valueOf(cfg.sourceTon().byteValue()),
                    NumberingPlanIndicator.valueOf(cfg.sourceNpi().byteValue()), cfg.sourceAddress(),
                    TypeOfNumber.UNKNOWN, NumberingPlanIndicator.ISDN, destination, esm, (byte) 0, (byte) 0, null,
                    null, new RegisteredDelivery(SMSCDeliveryReceipt.SUCCESS_FAILURE), (byte) 0, UCS2, (byte) 0,
                    part.shortMessage());
            return new Submitted.Accepted(r.getMessageId());
        } catch (NegativeResponseException e) {
            if (e.getCommandStatus() == SMPPConstant.STAT_ESME_RINVBNDSTS) {
                closeQuietly(s); // the SMSC no longer sees us bound: bind again
            }
            return new Submitted.Refused(e.getCommandStatus());
        } catch (ResponseTimeoutException e) {
            return new Submitted.Lost("no submit_sm_resp within " + cfg.transactionTimer().toMillis() + " ms", true);
        } catch (PDUException e) {
            return new Submitted.Refused(SMPPConstant.STAT_ESME_RINVMSGLEN);
        } catch (InvalidResponseException | IOException e) {
            return new Submitted.Lost(e.getClass().getSimpleName() + ": " + e.getMessage(), true);
        }
    }

    /** Stops the keeper and closes the session, with an unbind while bound. */
    void stop() {
        running = false;
        if (keeper != null) {
            keeper.interrupt();
        }
        SMPPSession s = session;
        session = null;
        if (s != null) {
            if (s.getSessionState().isBound()) {
                s.unbindAndClose();
            } else {
                s.close();
            }
        }
        if (keeper != null) {
            try {
                keeper.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void keepBound() {
        Duration backoff = cfg.reconnectMin();
        int failures = 0;
        while (running) {
            SMPPSession s = session;
            if (s != null && s.getSessionState().isNotClosed()) {
                sleep(100);
                continue;
            }
            InetSocketAddress at = endpoint.get();
            SMPPSession fresh = sessions.get();
            fresh.setTransactionTimer(cfg.transactionTimer().toMillis());
            fresh.setEnquireLinkTimer((int) cfg.enquireLinkInterval().toMillis());
            fresh.setMessageReceiverListener(inbound); // before the bind: a receipt may follow it at once
            fresh.addSessionStateListener((newState, old, src) -> {
                synchronized (lock) {
                    lock.notifyAll();
                }
            });
            try {
                fresh.connectAndBind(at.getHostString(), at.getPort(), new BindParameter(BindType.BIND_TRX,
                        cfg.systemId(), cfg.password(), cfg.systemType(), TypeOfNumber.UNKNOWN,
                        NumberingPlanIndicator.UNKNOWN, null), cfg.bindTimeout().toMillis());
                if (!running) {
                    fresh.unbindAndClose();
                    return;
                }
                session = fresh;
                log.info("SMPP {} bound as transceiver to {}:{} (system-id {})", name, at.getHostString(), at.getPort(),
                        cfg.systemId());
                backoff = cfg.reconnectMin();
                failures = 0;
                synchronized (lock) {
                    lock.notifyAll();
                }
            } catch (IOException e) {
                fresh.close();
                failures++;
                // the first failure is worth a warning; a long outage should not flood the log
                String msg = "SMPP " + name + " cannot bind to " + at.getHostString() + ":" + at.getPort() + " ("
                        + rootMessage(e) + "), retry in " + backoff.toMillis() + " ms";
                if (failures == 1 || failures % 20 == 0) {
                    log.warn(msg);
                } else {
                    log.debug(msg);
                }
                sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2);
                if (backoff.compareTo(cfg.reconnectMax()) > 0) {
                    backoff = cfg.reconnectMax();
                }
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static void closeQuietly(SMPPSession s) {
        try {
            s.close();
        } catch (RuntimeException e) {
            log.debug("closing session", e);
        }
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            // only stop() interrupts; the loop then sees running == false
        }
    }
}
