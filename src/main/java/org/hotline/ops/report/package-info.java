/**
 * Supervision reports for the health bureau and the hotline's supervisors: per facility and day, the
 * phone bookings (by channel, age band and pool), what became of each pool, releases on time, the
 * walk-in reserve, no-shows, cancellations, transfers, call-backs and SMS; a policy check page; CSV
 * exports and server-rendered SVG charts. Reads the other modules' tables and never writes them.
 */
package org.hotline.ops.report;
