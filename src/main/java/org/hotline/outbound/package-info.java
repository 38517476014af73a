/**
 * Calls the gateway places itself: day-before reminders by telephone, automatic call-backs, and (for the
 * features that will use {@link org.hotline.outbound.OutboundCalls}) session cancellations and waiting-list offers.
 * Calls are queued in {@code outbound_call}, claimed by any gateway node (SKIP LOCKED, a token per claim), placed
 * over Asterisk's Manager Interface ({@code outbound.ami}: Originate, QueueSummary, queue events into
 * {@code queue_call}) and, once answered, run by the flow engine over FastAGI. Owns {@code outbound_call},
 * {@code outbound_attempt}, {@code outbound_number_day}, {@code outbound_contact}, {@code queue_call}. Uses
 * booking, handoff and ivr (the flow engine, {@link org.hotline.ivr.OutboundAnswer}); nothing uses it but ops
 * (health, reports) and agent (opt-out, screen-pop).
 */
package org.hotline.outbound;
