package org.hotline.ivr.agi;

import java.time.Duration;
import java.util.List;

/**
 * FastAGI settings built by hand, for tests and benchmarks that start a listener of their own:
 * {@code AgiSettings.defaults().port(0).build()}. What is not set is left to {@link AgiProperties}' defaults, and
 * {@link #build()} checks like the configuration binding does.
 */
public final class AgiSettings {

    private Boolean enabled;
    private String bindAddress;
    private Integer port;
    private String script;
    private String soundPrefix;
    private Integer maxCalls;
    private Duration socketReadTimeout;
    private Duration drainTimeout;
    private List<String> allowedPeers;
    private AgiProperties.Header header;
    private Integer maxWaitingConnections;

    private AgiSettings() {
    }

    /** Nothing set: every value is AgiProperties' default. */
    public static AgiSettings defaults() {
        return new AgiSettings();
    }

    /** These settings, to change some. */
    public static AgiSettings of(AgiProperties p) {
        AgiSettings s = new AgiSettings();
        s.enabled = p.enabled();
        s.bindAddress = p.bindAddress();
        s.port = p.port();
        s.script = p.script();
        s.soundPrefix = p.soundPrefix();
        s.maxCalls = p.maxCalls();
        s.socketReadTimeout = p.socketReadTimeout();
        s.drainTimeout = p.drainTimeout();
        s.allowedPeers = p.allowedPeers();
        s.header = p.header();
        s.maxWaitingConnections = p.maxWaitingConnections();
        return s;
    }

    public AgiSettings enabled(boolean e) {
        enabled = e;
        return this;
    }

    public AgiSettings bindAddress(String address) {
        bindAddress = address;
        return this;
    }

    public AgiSettings port(int p) {
        port = p;
        return this;
    }

    public AgiSettings maxCalls(int max) {
        maxCalls = max;
        return this;
    }

    public AgiSettings timeouts(Duration read, Duration drain) {
        socketReadTimeout = read;
        drainTimeout = drain;
        return this;
    }

    public AgiSettings allowedPeers(List<String> peers) {
        allowedPeers = peers;
        return this;
    }

    public AgiSettings header(AgiProperties.Header h, int maxWaiting) {
        header = h;
        maxWaitingConnections = maxWaiting;
        return this;
    }

    public AgiProperties build() {
        return new AgiProperties(enabled, bindAddress, port, script, soundPrefix, maxCalls, socketReadTimeout,
                drainTimeout, allowedPeers, header, maxWaitingConnections);
    }
}
