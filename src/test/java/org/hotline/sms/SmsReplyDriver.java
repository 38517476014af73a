package org.hotline.sms;

/** Hands a reply to {@link SmsReplies} as the inbound SMPP session does, for tests outside this package. */
public final class SmsReplyDriver {

    private SmsReplyDriver() {
    }

    public static void reply(SmsReplies replies, String from, String text) {
        replies.handle(from, text);
    }
}
