package org.hotline.sms;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.AlertNotification;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.DeliveryReceipt;
import org.jsmpp.bean.MessageType;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.booking.PhoneNumber;

/**
 * What the SMSC sends us: delivery receipts (esm_class SMSC_DEL_RECEIPT) update the part and its
 * message; anything else is a reply from a phone and goes to {@link SmsReplies}. A failure to record
 * answers the deliver_sm with ESME_RX_T_APPN, so the SMSC delivers it again later.
 */
final class SmscInbound implements MessageReceiverListener {

    private static final Logger log = LoggerFactory.getLogger(SmscInbound.class);
    private static final Pattern ID = Pattern.compile("id:(\\S+)");
    private static final Pattern STAT = Pattern.compile("stat:(\\w+)");
    private static final Pattern ERR = Pattern.compile("err:(\\w+)");
    /** YYMMDDhhmm, some SMSCs add ss; in the SMSC's local time, which for a carrier here is Beijing time. */
    private static final Pattern SUBMIT_DATE = Pattern.compile("submit date:(\\d{10})(\\d{2})?");

    private final SmsStore store;
    private final SmsReplies replies;
    /** Parts of long replies, until all have arrived: key from|ref. */
    private final Map<String, String[]> partial = new ConcurrentHashMap<>();

    SmscInbound(SmsStore store, SmsReplies replies) {
        this.store = store;
        this.replies = replies;
    }

    @Override
    public void onAcceptDeliverSm(DeliverSm d) throws ProcessRequestException {
        try {
            if (MessageType.SMSC_DEL_RECEIPT.containedIn(d.getEsmClass())) {
                receipt(d);
            } else {
                reply(d);
            }
        } catch (RuntimeException e) {
            log.warn("deliver_sm not processed, SMSC will retry: {}", e.toString());
            throw new ProcessRequestException("not processed", SMPPConstant.STAT_ESME_RX_T_APPN, e);
        }
    }

    private void receipt(DeliverSm d) {
        String text = new String(d.getShortMessage() == null ? new byte[0] : d.getShortMessage(),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        String id = null;
        OptionalParameter rid = d.getOptionalParameter(OptionalParameter.Tag.RECEIPTED_MESSAGE_ID);
        if (rid instanceof OptionalParameter.Receipted_message_id r) {
            id = r.getValueAsString();
        }
        String stat = null;
        String err = null;
        try {
            DeliveryReceipt dr = d.getShortMessageAsDeliveryReceipt();
            if (id == null || id.isBlank()) {
                id = dr.getId();
            }
            stat = dr.getFinalStatus() == null ? null : dr.getFinalStatus().name();
            err = dr.getError();
        } catch (Exception e) {
            // not in the usual format: read the fields we need by hand
            Matcher m = ID.matcher(text);
            if ((id == null || id.isBlank()) && m.find()) {
                id = m.group(1);
            }
        }
        if (stat == null) {
            Matcher m = STAT.matcher(text);
            stat = m.find() ? m.group(1) : null;
        }
        if (err == null) {
            Matcher m = ERR.matcher(text);
            err = m.find() ? m.group(1) : null;
        }
        if (id == null || stat == null) {
            log.warn("receipt without id or stat ignored: {}", LogMask.text(text));
            return;
        }
        boolean matched = store.applyReceipt(id.trim(), stat, err, d.getSourceAddr(), submitDate(text));
        log.debug("receipt {} {} {}", id, stat, matched ? "applied" : "waiting for its part");
    }

    static java.time.LocalDateTime submitDate(String receiptText) {
        Matcher m = SUBMIT_DATE.matcher(receiptText);
        if (!m.find()) {
            return null;
        }
        String t = m.group(1);
        try {
            return java.time.LocalDateTime.of(2000 + Integer.parseInt(t.substring(0, 2)),
                    Integer.parseInt(t.substring(2, 4)), Integer.parseInt(t.substring(4, 6)),
                    Integer.parseInt(t.substring(6, 8)), Integer.parseInt(t.substring(8, 10)),
                    m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private void reply(DeliverSm d) {
        String from = PhoneNumber.normalise(d.getSourceAddr());
        boolean udhi = (d.getEsmClass() & 0x40) != 0;
        String text = Ucs2Message.decode(d.getShortMessage(), d.getDataCoding(), udhi);
        int[] concat = Ucs2Message.concatHeader(d.getShortMessage(), udhi);
        if (concat != null && concat[1] > 1) {
            String key = from + "|" + concat[0];
            String[] parts = partial.computeIfAbsent(key, k -> new String[concat[1]]);
            synchronized (parts) {
                if (concat[2] >= 1 && concat[2] <= parts.length) {
                    parts[concat[2] - 1] = text;
                }
                for (String p : parts) {
                    if (p == null) {
                        return; // more parts to come
                    }
                }
                partial.remove(key);
                text = String.join("", parts);
            }
        }
        replies.handle(from, text);
    }

    @Override
    public void onAcceptAlertNotification(AlertNotification alertNotification) {
        // not used: we do not ask the SMSC to tell us when a phone comes back
    }

    @Override
    public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
        throw new ProcessRequestException("data_sm not supported", SMPPConstant.STAT_ESME_RINVCMDID);
    }
}
