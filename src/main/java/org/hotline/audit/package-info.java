/**
 * The audit trail: who did what, when, with what outcome, from which call ({@code audit_event}). The agent
 * console records every console action through it ({@code agent.AuditTrail}, with the console user as actor) and
 * the voice menu records the callers its look-up limits sent to a person ({@code ivr.PhoneLookups}). Owns that one
 * table; depends on nothing of ours.
 */
package org.hotline.audit;
