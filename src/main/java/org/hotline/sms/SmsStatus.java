package org.hotline.sms;

/**
 * Where a message is. SUBMITTED means the SMSC took every part; receipts then close it. IN_DOUBT: the node
 * sending it died after starting a submit_sm and before recording the answer; a receipt settles it.
 */
public enum SmsStatus {
    PENDING, SENDING, IN_DOUBT, SUBMITTED, DELIVERED, FAILED, EXPIRED, CANCELLED;

    public boolean done() {
        return this == DELIVERED || this == FAILED || this == EXPIRED || this == CANCELLED;
    }
}
