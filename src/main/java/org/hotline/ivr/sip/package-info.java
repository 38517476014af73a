/**
 * The direct SIP adapter: a JAIN-SIP endpoint ({@link SipEndpoint}) that answers calls to the hotline
 * without Asterisk, negotiates G.711 (PCMU/PCMA) and {@code telephone-event} in SDP, plays prompt audio over RTP, hears
 * keys as RFC 4733 events or SIP INFO, and hands each call to the flow engine as a
 * {@link org.hotline.ivr.CallChannel}. Transfers to a person by REFER.
 */
package org.hotline.ivr.sip;
