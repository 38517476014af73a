package org.hotline.agent;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;

/**
 * Agent console settings ({@code hotline.agent.*}).
 *
 * @param bootstrapAdmin     the first admin, created at the first start when no admin exists
 * @param transferWindow     how far back the live list of transferred calls reaches
 * @param pollInterval       how often the console asks for new transfers and call-backs
 * @param minPasswordLength  shortest password a console user may have
 * @param callbackMaxAttempts unanswered attempts after which a call-back is given up
 * @param queue              the wait the voice menu is told
 * @param login              how failed logins are throttled (per user name and per address, on each node)
 * @param checkInRate        how fast one front-desk user may look codes up
 */
@ConfigurationProperties("hotline.agent")
public record AgentProperties(BootstrapAdmin bootstrapAdmin, Duration transferWindow, Duration pollInterval,
        Integer minPasswordLength, Integer callbackMaxAttempts, Queue queue, Login login, CheckInRate checkInRate) {

    /** The form before login and check-in limits existed (tests build it by hand). */
    public AgentProperties(BootstrapAdmin bootstrapAdmin, Duration transferWindow, Duration pollInterval,
            Integer minPasswordLength, Integer callbackMaxAttempts, Queue queue) {
        this(bootstrapAdmin, transferWindow, pollInterval, minPasswordLength, callbackMaxAttempts, queue, null, null);
    }

    @ConstructorBinding
    public AgentProperties {
        login = login == null ? new Login(null, null, null, null, null) : login;
        checkInRate = checkInRate == null ? new CheckInRate(null, null) : checkInRate;
        queue = queue == null ? new Queue(null, null, null, null) : queue;
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

    /**
     * How long a caller handed to a person would wait, estimated from the console: calls not yet taken
     * times the handling time, shared among the agents whose console is open. On unless
     * {@code hotline.agent.queue.enabled=false}.
     *
     * @param handlingTime    average time an agent spends on one call; null = measured from the console
     *                        ({@link org.hotline.agent.ConsoleQueue#handlingTime()})
     * @param window          transfers older than this no longer count as waiting
     * @param presenceTimeout an agent whose console has not polled for this long is away
     * @param noAgentWait     the wait reported when no agent is at their console
     * @param handlingSample  how far back the measured handling time looks
     */
    public record Queue(Duration handlingTime, Duration window, Duration presenceTimeout, Duration noAgentWait,
            Duration handlingSample) {
        @ConstructorBinding
        public Queue {
            window = window == null ? Duration.ofMinutes(30) : window;
            presenceTimeout = presenceTimeout == null ? Duration.ofMinutes(1) : presenceTimeout;
            noAgentWait = noAgentWait == null ? Duration.ofHours(1) : noAgentWait;
            handlingSample = handlingSample == null ? Duration.ofDays(7) : handlingSample;
        }

        public Queue(Duration handlingTime, Duration window, Duration presenceTimeout, Duration noAgentWait) {
            this(handlingTime, window, presenceTimeout, noAgentWait, null);
        }
    }

    /**
     * Failed logins (form and HTTP Basic) per user name and per client address, in each node's memory.
     *
     * @param userMaxFailures    failures in a row for one user name before it waits
     * @param addressMaxFailures failures from one address before it waits (an office behind one NAT shares one)
     * @param lockFirst          the first wait; it doubles with each failure after that
     * @param lockMax            the longest wait
     * @param forgetAfter        a name or address with no failure for this long (after its wait) starts again
     */
    public record Login(Integer userMaxFailures, Integer addressMaxFailures, Duration lockFirst, Duration lockMax,
            Duration forgetAfter) {
        public Login {
            userMaxFailures = userMaxFailures == null ? 5 : userMaxFailures;
            addressMaxFailures = addressMaxFailures == null ? 30 : addressMaxFailures;
            lockFirst = lockFirst == null ? Duration.ofMinutes(1) : lockFirst;
            lockMax = lockMax == null ? Duration.ofMinutes(15) : lockMax;
            forgetAfter = forgetAfter == null ? Duration.ofMinutes(15) : forgetAfter;
        }
    }

    /**
     * Check-in look-ups per front-desk user: a token bucket.
     *
     * @param burst     look-ups at once
     * @param perMinute look-ups a minute after that
     */
    public record CheckInRate(Integer burst, Integer perMinute) {
        public CheckInRate {
            burst = burst == null ? 20 : burst;
            perMinute = perMinute == null ? 30 : perMinute;
        }
    }
}
