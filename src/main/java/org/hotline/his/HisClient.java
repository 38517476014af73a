package org.hotline.his;

import java.time.LocalDateTime;
import java.util.Set;

/**
 * A hospital system that talks FHIR to us: the facilities it may read and write, where its Appointment pushes go
 * (the admin's push address, and the hosts its own Subscriptions may name), and how many requests a minute it may
 * make. (No client sees a resident ID in clear: we do not keep one. The key that signs its pushes is not here: it
 * is read only by the push, {@link HisClients#pushSecret}.)
 */
public record HisClient(long id, String name, Set<Long> facilityIds, String pushUrl, Set<String> endpointHosts,
        int ratePerMinute, String createdBy, LocalDateTime createdAt) {

    public boolean reaches(long facilityId) {
        return facilityIds.contains(facilityId);
    }
}
