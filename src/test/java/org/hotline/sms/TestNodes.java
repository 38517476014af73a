package org.hotline.sms;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

import org.jsmpp.InvalidResponseException;
import org.jsmpp.PDUException;
import org.jsmpp.bean.DataCoding;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ResponseTimeoutException;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.SubmitSmResult;

import org.hotline.booking.BookingService;

/**
 * Other gateway nodes on the same database, for the SMS tests and benchmarks: a dispatcher of its own, dispatch
 * settings changed one at a time, and a node that is "killed -9". None of this lives in the production classes:
 * the kill comes in through the SMPP sessions the link is given ({@link SmppLink}'s session factory).
 */
final class TestNodes {

    private TestNodes() {
    }

    /** Another node's dispatcher on the same database and SMSC. */
    static SmsDispatcher dispatcher(String node, SmsProperties.Smpp smpp, SmsProperties.Dispatch dispatch,
            SmsStore store, SmscInbound inbound, DispatchSignal signal, BookingService booking) {
        return dispatcher(node, smpp, dispatch, store, inbound, signal, booking, SMPPSession::new);
    }

    static SmsDispatcher dispatcher(String node, SmsProperties.Smpp smpp, SmsProperties.Dispatch dispatch,
            SmsStore store, SmscInbound inbound, DispatchSignal signal, BookingService booking,
            Supplier<SMPPSession> sessions) {
        Supplier<InetSocketAddress> endpoint = () -> InetSocketAddress.createUnresolved(smpp.host(), smpp.port());
        return new SmsDispatcher(node, store, dispatch, () -> new SmppLink(smpp, endpoint, inbound, node, sessions),
                signal, booking);
    }

    /** The dispatch settings with some changed: {@code TestNodes.dispatch(props.dispatch()).window(1).build()}. */
    static Dispatch dispatch(SmsProperties.Dispatch d) {
        return new Dispatch(d);
    }

    static final class Dispatch {
        private Integer window;
        private Integer batchSize;
        private Duration lease;
        private Duration inDoubtWait;
        private final SmsProperties.Dispatch d;

        private Dispatch(SmsProperties.Dispatch d) {
            this.d = d;
            window = d.window();
            batchSize = d.batchSize();
            lease = d.lease();
            inDoubtWait = d.inDoubtWait();
        }

        Dispatch window(int w) {
            window = w;
            return this;
        }

        Dispatch batchSize(int b) {
            batchSize = b;
            return this;
        }

        Dispatch lease(Duration l) {
            lease = l;
            return this;
        }

        Dispatch inDoubtWait(Duration w) {
            inDoubtWait = w;
            return this;
        }

        SmsProperties.Dispatch build() {
            return new SmsProperties.Dispatch(window, batchSize, d.pollInterval(), lease, d.maxAttempts(),
                    d.retryMin(), d.retryMax(), d.throttlePauseMin(), d.throttlePauseMax(), d.throttleRetries(),
                    d.stopTimeout(), inDoubtWait);
        }
    }

    /**
     * A gateway process that dies as under {@code kill -9}, seen from the SMSC and the database: its socket closes
     * with no unbind, it never binds again, and the thread that was sending never comes back to write anything down.
     * With {@code afterAccept} it dies right after the SMSC answered its first submit_sm with a message id (the part
     * is the SMSC's, the node never recorded it); otherwise when {@link #kill()} is called.
     *
     * <p>The dispatcher of such a node does nothing more: its loop waits for a bound link, which never comes, and
     * its one window place stays with the frozen sender. {@link #bury()} (after the test) lets the frozen thread end
     * with an exception, which the dispatcher logs without a write; then stop the dispatcher to end its threads.
     */
    static final class KilledNode {
        private final boolean afterAccept;
        private final CountDownLatch buried = new CountDownLatch(1);
        private volatile boolean dead;
        private volatile SMPPSession current;

        KilledNode(boolean afterAccept) {
            this.afterAccept = afterAccept;
        }

        /** Sessions for the node's link. */
        Supplier<SMPPSession> sessions() {
            return Session::new;
        }

        boolean dead() {
            return dead;
        }

        /** Dies now: the socket closes without an unbind, and no bind ever succeeds again. */
        void kill() {
            dead = true;
            SMPPSession s = current;
            if (s != null) {
                s.close();
            }
        }

        /** After the test: the frozen sender ends (with an exception, so it writes nothing). */
        void bury() {
            buried.countDown();
        }

        private final class Session extends SMPPSession {

            @Override
            public String connectAndBind(String host, int port, BindParameter bindParam, long timeout)
                    throws IOException {
                if (dead) {
                    throw new IOException("this node was killed: it binds no more");
                }
                current = this;
                return super.connectAndBind(host, port, bindParam, timeout);
            }

            @Override
            public SubmitSmResult submitShortMessage(String serviceType, TypeOfNumber sourceAddrTon,
                    NumberingPlanIndicator sourceAddrNpi, String sourceAddr, TypeOfNumber destAddrTon,
                    NumberingPlanIndicator destAddrNpi, String destinationAddr, ESMClass esmClass, byte protocolId,
                    byte priorityFlag, String scheduleDeliveryTime, String validityPeriod,
                    RegisteredDelivery registeredDelivery, byte replaceIfPresentFlag, DataCoding dataCoding,
                    byte smDefaultMsgId, byte[] shortMessage, OptionalParameter... optionalParameters)
                    throws PDUException, ResponseTimeoutException, InvalidResponseException,
                    NegativeResponseException, IOException {
                SubmitSmResult r = super.submitShortMessage(serviceType, sourceAddrTon, sourceAddrNpi, sourceAddr,
                        destAddrTon, destAddrNpi, destinationAddr, esmClass, protocolId, priorityFlag,
                        scheduleDeliveryTime, validityPeriod, registeredDelivery, replaceIfPresentFlag, dataCoding,
                        smDefaultMsgId, shortMessage, optionalParameters);
                if (!afterAccept) {
                    return r;
                }
                kill(); // the SMSC has the part; the process is gone before it could write that down
                try {
                    buried.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("killed: a dead node's sender never returns");
            }
        }
    }
}
