/**
 * The FastAGI adapter: Asterisk hands each hotline call to us over FastAGI
 * ({@code agi://host:4573/hotline}); this package runs the asterisk-java server and maps every call
 * onto a {@link org.hotline.ivr.CallChannel} for the flow engine. It knows the AGI wire (STREAM FILE,
 * GET DATA, WAIT FOR DIGIT, 511 after a hang-up); the engine knows none of it.
 */
package org.hotline.ivr.agi;
