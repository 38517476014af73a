package org.hotline.agent;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Agent console settings ({@code hotline.agent.*}).
 *
 * @param bootstrapAdmin     the first admin, created at the first start when no admin exists
 * @param transferWindow     how far back the live list of transferred calls reaches
 * @param pollInterval       how often the console asks for new transfers and call-backs
 * @param minPasswordLength  shortest password a console user may have
 * @param callbackMaxAttempts unanswered attempts after which a call-back is given up
 */
@ConfigurationProperties("hotline.agent")
public record AgentProperties(BootstrapAdmin bootstrapAdmin, Duration transferWindow, Duration pollInterval,
        Integer minPasswordLength, Integer callbackMaxAttempts) {

    public AgentProperties {
        bootstrapAdmin = bootstrapAdmin == null ? new BootstrapAdmin(null, null, null) : bootstrapAdmin;
        transferWindow = transferWindow == null ? Duration.ofHours(12) : transferWindow;
        pollInterval = pollInterval == null ? Duration.ofSeconds(3) : pollInterval;
        minPasswordLength = minPasswordLength == null ? 10 : minPasswordLength;
        callbackMaxAttempts = callbackMaxAttempts == null ? 3 : callbackMaxAttempts;
    }

    /** No password means none is created: a production start never invents one. */
    public record BootstrapAdmin(String username, String password, String displayName) {
        public BootstrapAdmin {
            username = username == null || username.isBlank() ? "admin" : username.trim();
            displayName = displayName == null || displayName.isBlank() ? "系统管理员" : displayName;
        }
    }
}
