package org.hotline.agent;

/**
 * Who performs a console action, as the audit trail records it.
 *
 * @param facilityId the community centre of a {@link ConsoleRole#COMMUNITY_DOCTOR}, the hospital or clinic of a
 *                   {@link ConsoleRole#FRONT_DESK}, else null
 */
public record Actor(String username, ConsoleRole role, Long facilityId) {
}
