/**
 * The hand-off from the voice menu to a person: transfers to an agent ({@code call_transfer}), which agent
 * took each ({@code transfer_pickup}), call-back requests ({@code callback_request}) and the agents' tries
 * ({@code callback_attempt}). The voice menu records through it, the agent console works it, the reports
 * read it. Owns those four tables; depends on nothing of ours but the database watch ({@code db.DatabaseWatch}).
 */
package org.hotline.handoff;
