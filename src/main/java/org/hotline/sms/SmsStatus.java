package org.hotline.sms;

/** Where a message is. SUBMITTED means the SMSC took every part; receipts then close it. */
public enum SmsStatus {
    PENDING, SENDING, SUBMITTED, DELIVERED, FAILED, EXPIRED, CANCELLED;

    public boolean done() {
        return this == DELIVERED || this == FAILED || this == EXPIRED || this == CANCELLED;
    }
}
