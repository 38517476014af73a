/**
 * The booking core: facilities, services, sessions, slots, quota pools, holds and bookings, and the
 * rules every channel books by. {@link org.hotline.booking.BookingService} is the one API the
 * voice menus, the agent console and SMS replies use; the release module opens, closes and moves quota
 * through {@link org.hotline.booking.QuotaPools}. Owns every table of those (docs/architecture.md). Depends on
 * nothing else of ours.
 */
package org.hotline.booking;
