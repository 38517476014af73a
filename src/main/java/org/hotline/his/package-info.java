/**
 * Hospital systems (HIS) over FHIR R4 (docs/his.md): machine clients with bearer tokens scoped to their
 * facilities ({@link org.hotline.his.HisClients}), Schedule/Slot in, Appointment out (read and pushed from the
 * {@code his_push} outbox) and in. Owns the {@code his_*} tables; books, publishes slots and checks in only through
 * {@code booking}'s API; audits its management actions in {@code agent}'s trail.
 */
package org.hotline.his;
