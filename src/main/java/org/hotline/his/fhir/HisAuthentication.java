package org.hotline.his.fhir;

import java.util.List;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

import org.hotline.his.HisClient;

/** A FHIR request's caller: the hospital system whose bearer token checked out (role {@code HIS_CLIENT}). */
public final class HisAuthentication extends AbstractAuthenticationToken {

    private final HisClient client;
    private final long tokenId;

    HisAuthentication(HisClient client, long tokenId) {
        super(List.of(new SimpleGrantedAuthority("ROLE_" + FhirSecurity.ROLE)));
        this.client = client;
        this.tokenId = tokenId;
        setAuthenticated(true);
    }

    public HisClient client() {
        return client;
    }

    public long tokenId() {
        return tokenId;
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return client;
    }

    @Override
    public String getName() {
        return "his:" + client.id();
    }
}
