package org.hotline.agent;

/**
 * Who performs a console action, as the audit trail records it.
 *
 * @param facilityId the community centre of a {@link ConsoleRole#COMMUNITY_DOCTOR}, else null
 */
public record Actor(String username, ConsoleRole role, Long facilityId) {
}
