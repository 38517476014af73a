/**
 * Release windows: when quota opens, moves between pools and closes, and the Quartz jobs that carry it
 * out exactly once across gateway nodes (clustered JDBC job store in the same MariaDB). Also the
 * nightly schedule generation from weekly templates, the hold sweeper, the no-show rule and the
 * day-before reminder event. Every opening and move is written to the release audit. Depends on
 * {@code booking} only.
 */
package org.hotline.release;
