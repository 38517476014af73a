package org.hotline.ivr.agi;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The FastAGI listener ({@code hotline.agi.*}).
 *
 * @param enabled           open the FastAGI port at all
 * @param bindAddress       address to listen on; FastAGI has no authentication, so keep it on a
 *                          network only Asterisk reaches
 * @param port              TCP port ({@code agi://host:port/script}); 0 picks a free one (tests)
 * @param script            the script name in the dialplan's AGI URL
 * @param soundPrefix       prepended to a prompt id to name the Asterisk sound file
 *                          (no extension; Asterisk picks the format)
 * @param maxCalls          calls served at once; each call holds one thread for its whole length
 * @param socketReadTimeout a call whose Asterisk says nothing for this long is treated as hung up
 *                          (must exceed the longest single command: a prompt plus a key timeout)
 * @param drainTimeout      on shutdown, how long running calls may finish before they are cut
 */
@ConfigurationProperties("hotline.agi")
public record AgiProperties(Boolean enabled, String bindAddress, Integer port, String script, String soundPrefix,
        Integer maxCalls, Duration socketReadTimeout, Duration drainTimeout) {

    public AgiProperties {
        enabled = enabled == null || enabled;
        bindAddress = bindAddress == null || bindAddress.isBlank() ? "127.0.0.1" : bindAddress;
        port = port == null ? 4573 : port;
        script = script == null || script.isBlank() ? "hotline" : script;
        soundPrefix = soundPrefix == null ? "hotline/zh-CN/" : soundPrefix;
        maxCalls = maxCalls == null ? 1200 : maxCalls;
        socketReadTimeout = socketReadTimeout == null ? Duration.ofMinutes(10) : socketReadTimeout;
        drainTimeout = drainTimeout == null ? Duration.ofSeconds(20) : drainTimeout;
        if (port < 0 || port > 65535) {
            throw new IllegalStateException("hotline.agi.port must be 0..65535, not " + port);
        }
        if (maxCalls < 1) {
            throw new IllegalStateException("hotline.agi.max-calls must be at least 1");
        }
    }

    /** Defaults only, for code that builds a listener by hand (tests, benchmarks). */
    public static AgiProperties defaults() {
        return new AgiProperties(null, null, null, null, null, null, null, null);
    }

    public AgiProperties withPort(int p) {
        return new AgiProperties(enabled, bindAddress, p, script, soundPrefix, maxCalls, socketReadTimeout,
                drainTimeout);
    }

    public AgiProperties withTimeouts(Duration read, Duration drain) {
        return new AgiProperties(enabled, bindAddress, port, script, soundPrefix, maxCalls, read, drain);
    }

    public AgiProperties withMaxCalls(int max) {
        return new AgiProperties(enabled, bindAddress, port, script, soundPrefix, max, socketReadTimeout,
                drainTimeout);
    }
}
