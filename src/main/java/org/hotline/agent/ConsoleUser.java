package org.hotline.agent;

import java.time.LocalDateTime;

/** A console user as the admin screen shows it (never the password hash). */
public record ConsoleUser(long id, String username, String displayName, ConsoleRole role, Long facilityId,
        String facilityName, boolean enabled, LocalDateTime createdAt, String createdBy) {

    public Actor actor() {
        return new Actor(username, role, facilityId);
    }
}
