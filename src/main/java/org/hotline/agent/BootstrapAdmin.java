package org.hotline.agent;

import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Creates the first admin from {@code hotline.agent.bootstrap-admin.*} when no admin exists. Without a
 * configured password nothing is created (the production profile has no default): the phone menu keeps
 * working and the console says how to get in, rather than the service inventing a password.
 */
@Component
@Order(20)
class BootstrapAdmin implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(BootstrapAdmin.class);

    private final ConsoleUsers users;
    private final AgentProperties props;

    BootstrapAdmin(ConsoleUsers users, AgentProperties props) {
        this.users = users;
        this.props = props;
    }

    @Override
    public void run(ApplicationArguments args) {
        if (users.anyAdmin()) {
            return;
        }
        AgentProperties.BootstrapAdmin a = props.bootstrapAdmin();
        if (a.password() == null || a.password().isBlank()) {
            log.warn("No console admin exists and hotline.agent.bootstrap-admin.password is not set "
                    + "(HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD): nobody can log in to the agent console until it is");
            return;
        }
        Optional<UserProblem> problem = users.create(null, a.username(), a.password(), a.displayName(),
                ConsoleRole.ADMIN, null);
        if (problem.isEmpty()) {
            log.info("Created the first console admin '{}' from hotline.agent.bootstrap-admin", a.username());
        } else if (problem.get() == UserProblem.USERNAME_TAKEN) {
            log.info("Console user '{}' already exists (made by another node, or not an enabled admin)", a.username());
        } else {
            throw new IllegalStateException("hotline.agent.bootstrap-admin is not usable: " + problem.get()
                    + " (" + problem.get().text() + ")");
        }
    }
}
