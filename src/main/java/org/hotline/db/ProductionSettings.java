package org.hotline.db;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Profiles;

/**
 * The production profile's settings, checked as soon as the environment is read: before any bean exists, so
 * before a database is tried. A start with settings missing or unfit stops with one message that names every
 * one of them (not the first one a bean happens to need), with the environment variable to set.
 * Registered in {@code META-INF/spring.factories}, so it runs however the application is started.
 *
 * <p>Refused as well: the embedded demo hash key and demo admin password, and a hash key that is short or
 * repetitive (the keyed hash is all that keeps resident IDs from being recomputed: docs/security.md).
 */
public final class ProductionSettings implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {

    /** The key the embedded default uses (application.yml); never good enough for patients' data. */
    public static final String DEMO_HASH_KEY = "embedded-demo-key-not-for-production";
    /** The embedded default's first admin password (application.yml). */
    public static final String DEMO_ADMIN_PASSWORD = "hotline-demo-admin";
    /** Shortest hash key production accepts: 32 characters (HMAC-SHA256 wants a key of its output's size). */
    public static final int MIN_HASH_KEY_LENGTH = 32;
    /** Fewest distinct characters in a production hash key ("aaaa…" or "1234…" is not a secret). */
    public static final int MIN_HASH_KEY_DISTINCT = 10;

    /** One setting the production profile cannot run without. */
    record Required(String property, String env, String meaning) {
    }

    static final List<Required> REQUIRED = List.of(
            new Required("spring.datasource.url", "HOTLINE_DB_URL",
                    "JDBC URL of the MariaDB or Galera cluster, e.g. jdbc:mariadb://db1:3306/hotline"),
            new Required("spring.datasource.username", "HOTLINE_DB_USER", "the database account"),
            new Required("spring.datasource.password", "HOTLINE_DB_PASSWORD", "its password"),
            new Required("hotline.booking.id-hash-key", "HOTLINE_ID_HASH_KEY",
                    "secret key (at least " + MIN_HASH_KEY_LENGTH + " characters, e.g. `openssl rand -base64 48`) of"
                            + " the keyed hash of resident IDs and calling numbers; set it once and keep it"),
            new Required("hotline.agent.bootstrap-admin.password", "HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD",
                    "password of the console's first admin, used only while no enabled admin exists"));

    /** Required while this node takes FastAGI calls ({@code hotline.agi.enabled} not false): docs/security.md. */
    static final List<Required> REQUIRED_FOR_AGI = List.of(
            new Required("hotline.agi.bind-address", "HOTLINE_AGI_BIND_ADDRESS",
                    "the address Asterisk reaches this node on (FastAGI never listens on every address by default)"),
            new Required("hotline.agi.allowed-peers", "HOTLINE_AGI_ALLOWED_PEERS",
                    "the Asterisk servers' addresses or CIDR blocks, comma-separated; other peers are refused"));

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        ConfigurableEnvironment env = event.getEnvironment();
        if (!env.acceptsProfiles(Profiles.of("production"))) {
            return;
        }
        List<String> problems = problems(env::getProperty);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(message(problems));
        }
    }

    /** What is wrong with these settings (empty: the production profile may start). */
    static List<String> problems(java.util.function.Function<String, String> settings) {
        List<String> out = new ArrayList<>();
        for (Required r : REQUIRED) {
            String v = settings.apply(r.property());
            if (v == null || v.isBlank()) {
                out.add(r.property() + " must be set (" + r.env() + "): " + r.meaning());
            }
        }
        if (!"false".equalsIgnoreCase(String.valueOf(settings.apply("hotline.agi.enabled")).trim())) {
            for (Required r : REQUIRED_FOR_AGI) {
                // one value each (allowed-peers comma-separated): the embedded default's list must not count here
                String v = settings.apply(r.property());
                if (v == null || v.isBlank()) {
                    out.add(r.property() + " must be set (" + r.env() + "): " + r.meaning());
                }
            }
        }
        String key = settings.apply("hotline.booking.id-hash-key");
        if (key != null && !key.isBlank()) {
            if (key.equals(DEMO_HASH_KEY)) {
                out.add("hotline.booking.id-hash-key (HOTLINE_ID_HASH_KEY) is the embedded demo key, which is"
                        + " public: set a secret of your own");
            } else if (key.length() < MIN_HASH_KEY_LENGTH) {
                out.add("hotline.booking.id-hash-key (HOTLINE_ID_HASH_KEY) is too short: " + key.length()
                        + " characters, at least " + MIN_HASH_KEY_LENGTH);
            } else if (key.chars().distinct().count() < MIN_HASH_KEY_DISTINCT) {
                out.add("hotline.booking.id-hash-key (HOTLINE_ID_HASH_KEY) is too repetitive: fewer than "
                        + MIN_HASH_KEY_DISTINCT + " different characters");
            }
        }
        if (DEMO_ADMIN_PASSWORD.equals(settings.apply("hotline.agent.bootstrap-admin.password"))) {
            out.add("hotline.agent.bootstrap-admin.password (HOTLINE_AGENT_BOOTSTRAP_ADMIN_PASSWORD) is the embedded"
                    + " demo password, which is public: set one of your own");
        }
        return out;
    }

    static String message(List<String> problems) {
        StringBuilder sb = new StringBuilder("The production profile cannot start (no database was tried); ")
                .append(problems.size()).append(problems.size() == 1 ? " setting needs" : " settings need")
                .append(" attention (docs/configuration.md):");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }

    @Override
    public int getOrder() {
        // after the config data (application.yml, environment) has been read into the environment
        return Ordered.LOWEST_PRECEDENCE;
    }
}
