/**
 * The flow engine: loads and validates {@code ivr-flows/*.yaml}, runs a call through its nodes,
 * composes spoken values from small prompts, books through {@code booking}. Knows nothing about
 * Asterisk or SIP: adapters implement {@link org.hotline.ivr.CallChannel} and time their calls' steps
 * with the same {@link org.hotline.ivr.CallMeters}.
 */
package org.hotline.ivr;
