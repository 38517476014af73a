/**
 * The agent console's domain: console users and roles, the transfers agents pick up, booking for a
 * caller through {@code booking}'s rules (channel AGENT, or COMMUNITY_DOCTOR for referrals), call-back
 * attempts, and the audit trail of every console action (kept by the {@code audit} module). HTTP (pages, REST, login) is in
 * {@code agent.web}.
 */
package org.hotline.agent;
