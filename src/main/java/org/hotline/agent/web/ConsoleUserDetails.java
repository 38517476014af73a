package org.hotline.agent.web;

import java.util.Collection;
import java.util.List;

import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.UserDetails;

import org.hotline.agent.Actor;
import org.hotline.agent.ConsoleUser;

/**
 * The logged-in console user, with the role and centre that decide what they may book, and the credential
 * version it logged in with (a session whose version is no longer the user's ends: {@link ConsoleLoginGuard}).
 */
public record ConsoleUserDetails(ConsoleUser user, String passwordHash, int version) implements UserDetails {

    public Actor actor() {
        return user.actor();
    }

    @Override
    public Collection<? extends GrantedAuthority> getAuthorities() {
        return List.of(new SimpleGrantedAuthority("ROLE_" + user.role().name()));
    }

    @Override
    public String getPassword() {
        return passwordHash;
    }

    @Override
    public String getUsername() {
        return user.username();
    }

    @Override
    public boolean isEnabled() {
        return user.enabled();
    }

    @Override
    public String toString() {
        return "ConsoleUserDetails[" + user.username() + "]";
    }
}
