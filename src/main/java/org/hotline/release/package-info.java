/**
 * Release windows: when quota opens, moves between pools and closes, and the Quartz jobs that carry it
 * out exactly once across gateway nodes (clustered JDBC job store in the same MariaDB), through the booking
 * core's {@code QuotaPools}. Also the nightly schedule generation from weekly templates, and the clustered
 * timing of the booking core's upkeep (hold sweeper, no-shows, day-before reminders: the work is
 * {@code booking}'s, the schedule and run log are here). Every opening and move is written to the release
 * audit. Depends on {@code booking} only.
 */
package org.hotline.release;
