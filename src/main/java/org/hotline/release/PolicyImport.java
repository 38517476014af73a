package org.hotline.release;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Imports {@code hotline.release.policy-file} at start-up (after the demo data) and re-plans the
 * releases not yet carried out for the facilities it names. A bad file stops the start with its line.
 */
@Component
@Order(20)
class PolicyImport implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(PolicyImport.class);

    private final ReleaseProperties props;
    private final ReleasePolicies policies;
    private final ReleasePlan plan;

    PolicyImport(ReleaseProperties props, ReleasePolicies policies, ReleasePlan plan) {
        this.props = props;
        this.policies = policies;
        this.plan = plan;
    }

    @Override
    public void run(ApplicationArguments args) throws IOException {
        if (props.policyFile() == null || props.policyFile().isBlank()) {
            return;
        }
        Path file = Path.of(props.policyFile());
        Set<Long> facilities = policies.importCsv(Files.newBufferedReader(file, StandardCharsets.UTF_8));
        int slots = 0;
        for (long f : facilities) {
            slots += plan.replan(f);
        }
        log.info("Release policies imported from {}: {} facilities, {} future slots re-planned", file,
                facilities.size(), slots);
    }
}
