/**
 * Hospital administration in the console (issue 17): facilities, departments and vaccine services, vaccine types
 * and their schedules, weekly rosters, holidays and closures (a day with bookings cancelled through 停诊), release
 * policies, spoken names, CSV import and export. It owns no table: it calls the owners' APIs
 * ({@code booking.CatalogueAdmin}, {@code booking.VaccineSchedule}, {@code booking.SpokenNames},
 * {@code booking.SessionCancellations}, {@code release.RosterAdmin}, {@code release.ReleasePolicies},
 * {@code release.Closures}) and writes the console's audit trail ({@code agent.AuditTrail}) in the same transaction.
 * Nothing depends on it.
 */
package org.hotline.admin;
