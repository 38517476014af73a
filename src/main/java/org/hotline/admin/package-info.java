/**
 * Hospital administration in the console (issue 17): facilities, departments and vaccine services, weekly rosters,
 * holidays and closures, release policies, spoken names, CSV import and export. It owns no table: it calls the
 * owners' APIs ({@code booking.CatalogueAdmin}, {@code booking.SpokenNames}, {@code release.RosterAdmin},
 * {@code release.Closures}) and writes the console's audit trail ({@code agent.AuditTrail}) in the same transaction.
 * Nothing depends on it.
 */
package org.hotline.admin;
