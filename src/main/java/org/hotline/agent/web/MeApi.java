package org.hotline.agent.web;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.AgentProperties;
import org.hotline.agent.ConsoleUser;

@RestController
@Tag(name = "me", description = "当前登录用户")
class MeApi {

    private final AgentProperties props;

    MeApi(AgentProperties props) {
        this.props = props;
    }

    /** {@code channel}: the booking channel this user books on, null when the role does not book. */
    record Me(String username, String displayName, String role, String roleLabel, Long facilityId,
            String facilityName, String channel, long pollIntervalMs) {
    }

    @GetMapping("/api/me")
    @Operation(summary = "当前用户、角色与预约渠道")
    Me me(@AuthenticationPrincipal ConsoleUserDetails me) {
        ConsoleUser u = me.user();
        return new Me(u.username(), u.displayName(), u.role().name(), u.role().label(), u.facilityId(),
                u.facilityName(), u.role().channel() == null ? null : u.role().channel().name(),
                props.pollInterval().toMillis());
    }
}
