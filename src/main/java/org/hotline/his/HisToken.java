package org.hotline.his;

import java.time.LocalDateTime;

/** A client's bearer token as the console lists it: never the secret, only its first characters. */
public record HisToken(long id, long clientId, String hint, String createdBy, LocalDateTime createdAt,
        String revokedBy, LocalDateTime revokedAt, LocalDateTime lastUsedAt) {

    public boolean valid() {
        return revokedAt == null;
    }
}
