/**
 * SMS to callers and families over SMPP: Chinese templates, a transactional outbox written in the
 * booking's own transaction, a windowed jsmpp dispatcher (claims rows with {@code SKIP LOCKED}, so
 * several nodes can run), delivery receipts, cancellation by SMS reply, and an embedded SMSC sink for
 * the embedded default. {@link org.hotline.sms.SmsStatusQuery} is what the agent console reads.
 * Depends only on {@code booking}.
 */
package org.hotline.sms;
