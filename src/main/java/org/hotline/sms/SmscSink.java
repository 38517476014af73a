package org.hotline.sms;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.BroadcastSm;
import org.jsmpp.bean.CancelBroadcastSm;
import org.jsmpp.bean.CancelSm;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliveryReceipt;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.GSMSpecificFeature;
import org.jsmpp.bean.GeneralDataCoding;
import org.jsmpp.bean.MessageMode;
import org.jsmpp.bean.MessageType;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.QueryBroadcastSm;
import org.jsmpp.bean.QuerySm;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.ReplaceSm;
import org.jsmpp.bean.SMSCDeliveryReceipt;
import org.jsmpp.bean.SubmitMulti;
import org.jsmpp.bean.SubmitSm;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.BindRequest;
import org.jsmpp.session.BroadcastSmResult;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.QueryBroadcastSmResult;
import org.jsmpp.session.QuerySmResult;
import org.jsmpp.session.SMPPServerSession;
import org.jsmpp.session.SMPPServerSessionListener;
import org.jsmpp.session.ServerMessageReceiverListener;
import org.jsmpp.session.Session;
import org.jsmpp.session.SubmitMultiResult;
import org.jsmpp.session.SubmitSmResult;
import org.jsmpp.session.connection.ServerConnection;
import org.jsmpp.session.connection.ServerConnectionFactory;
import org.jsmpp.session.connection.socket.ServerSocketConnection;
import org.jsmpp.util.DeliveryReceiptState;
import org.jsmpp.util.MessageId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import org.hotline.booking.PhoneNumber;

/**
 * The embedded default's SMSC: a jsmpp server on loopback that accepts every bind and submit_sm, logs
 * what it got (numbers and IDs masked) and answers with a DELIVRD receipt, so the whole path — outbox,
 * dispatcher, receipt — runs without a real SMSC. Never sends anything anywhere.
 */
public final class SmscSink implements SmartLifecycle, ServerMessageReceiverListener {

    private static final Logger log = LoggerFactory.getLogger(SmscSink.class);

    private final SmsProperties.Sink cfg;
    private final AtomicLong ids = new AtomicLong(System.currentTimeMillis() & 0xFFFFFFFFL);
    private final AtomicLong received = new AtomicLong();
    private volatile boolean running;
    private volatile int port;
    private SMPPServerSessionListener listener;
    private ExecutorService binds;
    private ScheduledExecutorService receipts;
    private Thread acceptor;

    SmscSink(SmsProperties.Sink cfg) {
        this.cfg = cfg;
    }

    public int port() {
        return port;
    }

    /** submit_sm accepted since start. */
    public long received() {
        return received.get();
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), cfg.port()), 50);
            port = socket.getLocalPort();
            // jsmpp's own factory binds every interface; ours hands it the loopback socket (and its real port)
            ServerConnectionFactory onLoopback = new ServerConnectionFactory() {
                @Override
                public ServerConnection listen(int p) {
                    return new ServerSocketConnection(socket);
                }

                @Override
                public ServerConnection listen(int p, int timeout) throws IOException {
                    socket.setSoTimeout(timeout);
                    return new ServerSocketConnection(socket);
                }

                @Override
                public ServerConnection listen(int p, int timeout, int backlog) throws IOException {
                    return listen(p, timeout);
                }
            };
            listener = new SMPPServerSessionListener(port, 1000, onLoopback);
        } catch (IOException e) {
            throw new IllegalStateException("SMSC sink cannot listen on 127.0.0.1:" + cfg.port(), e);
        }
        binds = Executors.newCachedThreadPool(daemon("smsc-sink-bind"));
        receipts = Executors.newSingleThreadScheduledExecutor(daemon("smsc-sink-receipt"));
        running = true;
        acceptor = new Thread(this::acceptLoop, "smsc-sink-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        log.info("SMSC sink (embedded, no SMSC configured) listening on 127.0.0.1:{}", port);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private void acceptLoop() {
        while (running) {
            try {
                SMPPServerSession s = listener.accept();
                s.setMessageReceiverListener(this);
                binds.execute(() -> bind(s));
            } catch (java.net.SocketTimeoutException e) {
                // check running again
            } catch (IOException e) {
                if (running) {
                    log.debug("SMSC sink accept: {}", e.toString());
                }
            }
        }
    }

    private void bind(SMPPServerSession s) {
        try {
            BindRequest req = s.waitForBind(5000);
            req.accept("HOTLINE-SINK");
        } catch (Exception e) {
            log.debug("SMSC sink bind failed: {}", e.toString());
            s.close();
        }
    }

    @Override
    public SubmitSmResult onAcceptSubmitSm(SubmitSm sm, SMPPServerSession source) throws ProcessRequestException {
        String id = String.format("%012x", ids.incrementAndGet());
        boolean udhi = (sm.getEsmClass() & 0x40) != 0;
        String text = Ucs2Message.decode(sm.getShortMessage(), sm.getDataCoding(), udhi);
        int[] concat = Ucs2Message.concatHeader(sm.getShortMessage(), udhi);
        received.incrementAndGet();
        log.info("SMSC sink got submit_sm {} to {}{}: {}", id, PhoneNumber.mask(sm.getDestAddress()),
                concat == null ? "" : " part " + concat[2] + "/" + concat[1],
                concat == null ? LogMask.text(text) : LogMask.part(text));
        if (SMSCDeliveryReceipt.SUCCESS_FAILURE.containedIn(sm.getRegisteredDelivery())
                || SMSCDeliveryReceipt.SUCCESS.containedIn(sm.getRegisteredDelivery())) {
            String dest = sm.getDestAddress();
            String src = sm.getSourceAddr();
            receipts.schedule(() -> sendReceipt(source, id, dest, src), cfg.receiptDelay().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        try {
            return new SubmitSmResult(new MessageId(id), new OptionalParameter[0]);
        } catch (org.jsmpp.PDUStringException e) {
            throw new ProcessRequestException("bad id", SMPPConstant.STAT_ESME_RSYSERR);
        }
    }

    private void sendReceipt(SMPPServerSession session, String id, String phone, String to) {
        if (!running || !session.getSessionState().isReceivable()) {
            return;
        }
        Date now = new Date();
        String receipt = new DeliveryReceipt(id, 1, 1, now, now, DeliveryReceiptState.DELIVRD, "000", "").toString();
        try {
            session.deliverShortMessage("", TypeOfNumber.UNKNOWN, NumberingPlanIndicator.ISDN, phone,
                    TypeOfNumber.UNKNOWN, NumberingPlanIndicator.UNKNOWN, to,
                    new ESMClass(MessageMode.DEFAULT, MessageType.SMSC_DEL_RECEIPT, GSMSpecificFeature.DEFAULT),
                    (byte) 0, (byte) 0, new RegisteredDelivery(0), GeneralDataCoding.DEFAULT,
                    receipt.getBytes(StandardCharsets.ISO_8859_1), new OptionalParameter.Receipted_message_id(id),
                    new OptionalParameter.Message_state((byte) 2));
        } catch (Exception e) {
            log.debug("SMSC sink receipt {} not sent: {}", id, e.toString());
        }
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        receipts.shutdownNow();
        try {
            listener.close();
        } catch (IOException e) {
            log.debug("closing sink", e);
        }
        binds.shutdownNow();
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts before the dispatchers and stops after them. */
    @Override
    public int getPhase() {
        return SmsDispatcher.PHASE - 1;
    }

    // ---------------------------------------------------------------- not offered by the sink

    private static ProcessRequestException notOffered(String what) {
        return new ProcessRequestException(what + " not offered by the SMSC sink", SMPPConstant.STAT_ESME_RINVCMDID);
    }

    @Override
    public SubmitMultiResult onAcceptSubmitMulti(SubmitMulti submitMulti, SMPPServerSession source)
            throws ProcessRequestException {
        throw notOffered("submit_multi");
    }

    @Override
    public QuerySmResult onAcceptQuerySm(QuerySm querySm, SMPPServerSession source) throws ProcessRequestException {
        throw notOffered("query_sm");
    }

    @Override
    public void onAcceptReplaceSm(ReplaceSm replaceSm, SMPPServerSession source) throws ProcessRequestException {
        throw notOffered("replace_sm");
    }

    @Override
    public void onAcceptCancelSm(CancelSm cancelSm, SMPPServerSession source) throws ProcessRequestException {
        throw notOffered("cancel_sm");
    }

    @Override
    public BroadcastSmResult onAcceptBroadcastSm(BroadcastSm broadcastSm, SMPPServerSession source)
            throws ProcessRequestException {
        throw notOffered("broadcast_sm");
    }

    @Override
    public void onAcceptCancelBroadcastSm(CancelBroadcastSm cancelBroadcastSm, SMPPServerSession source)
            throws ProcessRequestException {
        throw notOffered("cancel_broadcast_sm");
    }

    @Override
    public QueryBroadcastSmResult onAcceptQueryBroadcastSm(QueryBroadcastSm queryBroadcastSm,
            SMPPServerSession source) throws ProcessRequestException {
        throw notOffered("query_broadcast_sm");
    }

    @Override
    public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
        throw notOffered("data_sm");
    }
}
