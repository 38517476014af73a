package org.hotline.sms;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code hotline.sms.*}: what the messages say, where the SMSC is, how the dispatcher paces itself.
 * Every property is documented in docs/configuration.md and docs/sms.md.
 */
@ConfigurationProperties("hotline.sms")
public record SmsProperties(Boolean enabled, String signature, String hotlineNumber, String nodeId,
        List<String> agentPhones, Smpp smpp, Dispatch dispatch, Sink sink) {

    public SmsProperties {
        enabled = enabled == null || enabled;
        signature = signature == null ? "健康热线" : signature;
        hotlineNumber = hotlineNumber == null ? "12320" : hotlineNumber;
        nodeId = nodeId == null ? "" : nodeId;
        agentPhones = agentPhones == null ? List.of() : List.copyOf(agentPhones);
        smpp = smpp == null ? new Smpp(null, null, null, null, null, null, null, null, null, null, null, null, null)
                : smpp;
        dispatch = dispatch == null ? new Dispatch(null, null, null, null, null, null, null, null, null, null, null, null)
                : dispatch;
        sink = sink == null ? new Sink(null, null, null, null) : sink;
    }

    /** The SMSC. An empty host means "none configured": the embedded sink is used if enabled. */
    public record Smpp(String host, Integer port, String systemId, String password, String systemType,
            String sourceAddress, Integer sourceTon, Integer sourceNpi, Duration transactionTimer,
            Duration enquireLinkInterval, Duration bindTimeout, Duration reconnectMin, Duration reconnectMax) {

        public Smpp {
            host = host == null ? "" : host.trim();
            port = port == null ? 2775 : port;
            systemId = systemId == null ? "hotline" : systemId;
            password = password == null ? "" : password;
            systemType = systemType == null ? "" : systemType;
            sourceAddress = sourceAddress == null ? "12320" : sourceAddress;
            sourceTon = sourceTon == null ? 0 : sourceTon;
            sourceNpi = sourceNpi == null ? 0 : sourceNpi;
            transactionTimer = transactionTimer == null ? Duration.ofSeconds(10) : transactionTimer;
            enquireLinkInterval = enquireLinkInterval == null ? Duration.ofSeconds(30) : enquireLinkInterval;
            bindTimeout = bindTimeout == null ? Duration.ofSeconds(10) : bindTimeout;
            reconnectMin = reconnectMin == null ? Duration.ofSeconds(1) : reconnectMin;
            reconnectMax = reconnectMax == null ? Duration.ofSeconds(60) : reconnectMax;
        }

        public boolean configured() {
            return !host.isEmpty();
        }

        Smpp at(String newHost, int newPort) {
            return new Smpp(newHost, newPort, systemId, password, systemType, sourceAddress, sourceTon, sourceNpi,
                    transactionTimer, enquireLinkInterval, bindTimeout, reconnectMin, reconnectMax);
        }
    }

    /**
     * @param window           submit_sm in flight at once on one node (jsmpp blocks per submit; this is our window)
     * @param batchSize        messages claimed per round trip
     * @param pollInterval     how often an idle dispatcher looks for due rows (a local commit wakes it at once)
     * @param lease            how long a claim holds before another node may take the row over (crashed node)
     * @param maxAttempts      temporary SMSC errors before a message is given up as failed
     * @param retryMin         first back-off after a temporary error; doubles up to retryMax
     * @param throttlePauseMin pause of all submits after ESME_RTHROTTLED; doubles up to throttlePauseMax
     * @param throttleRetries  throttled submits of one part retried in place before the row goes back to the queue
     * @param stopTimeout      how long a stop waits for submits in flight
     * @param inDoubtWait      how long a part a dead node may have submitted waits for its delivery receipt
     *                         before it is sent again (docs/sms.md, "What nothing lost means")
     */
    public record Dispatch(Integer window, Integer batchSize, Duration pollInterval, Duration lease,
            Integer maxAttempts, Duration retryMin, Duration retryMax, Duration throttlePauseMin,
            Duration throttlePauseMax, Integer throttleRetries, Duration stopTimeout, Duration inDoubtWait) {

        public Dispatch {
            window = window == null ? 10 : Math.max(1, window);
            batchSize = batchSize == null ? 50 : Math.max(1, batchSize);
            pollInterval = pollInterval == null ? Duration.ofMillis(500) : pollInterval;
            lease = lease == null ? Duration.ofMinutes(2) : lease;
            maxAttempts = maxAttempts == null ? 8 : maxAttempts;
            retryMin = retryMin == null ? Duration.ofSeconds(10) : retryMin;
            retryMax = retryMax == null ? Duration.ofMinutes(10) : retryMax;
            throttlePauseMin = throttlePauseMin == null ? Duration.ofMillis(100) : throttlePauseMin;
            throttlePauseMax = throttlePauseMax == null ? Duration.ofSeconds(5) : throttlePauseMax;
            throttleRetries = throttleRetries == null ? 20 : throttleRetries;
            stopTimeout = stopTimeout == null ? Duration.ofSeconds(10) : stopTimeout;
            inDoubtWait = inDoubtWait == null ? Duration.ofMinutes(5) : inDoubtWait;
        }
    }

    /**
     * The embedded SMSC sink, started when no SMSC host is configured.
     *
     * @param port         loopback port; 0 picks a free one
     * @param receiptDelay delay before the sink sends its DELIVRD receipt
     * @param selfCheck    send one SMS to a dummy number at start-up and log that it was delivered
     */
    public record Sink(Boolean enabled, Integer port, Duration receiptDelay, Boolean selfCheck) {
        public Sink {
            selfCheck = selfCheck == null || selfCheck;
            enabled = enabled == null || enabled;
            port = port == null ? 0 : port;
            receiptDelay = receiptDelay == null ? Duration.ofMillis(200) : receiptDelay;
        }
    }
}
