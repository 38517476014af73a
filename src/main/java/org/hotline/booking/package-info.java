/**
 * The booking core: facilities, services, sessions, slots, quota pools, holds and bookings, and the
 * rules every channel books by. {@link org.hotline.booking.BookingService} is the one API the
 * voice menus, the agent console and SMS replies use. Depends on nothing else of ours.
 */
package org.hotline.booking;
