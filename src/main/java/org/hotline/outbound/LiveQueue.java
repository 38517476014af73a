package org.hotline.outbound;

import java.time.Duration;
import java.util.Optional;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Primary;
import org.springframework.stereotype.Component;

import org.hotline.ivr.AgentQueue;
import org.hotline.outbound.ami.AmiLink;
import org.hotline.outbound.ami.AmiLinks;

/**
 * How long a caller handed to a person would wait, from the live queue when an Asterisk's AMI is configured
 * ({@code QueueSummary}): nobody waits when more members are available than callers wait; with nobody logged in,
 * an hour; otherwise the longer of the queue's average hold time and its longest current wait. Without AMI, or when
 * no Asterisk answers, the other estimate (the console's, {@code agent.ConsoleQueue}) or "never busy".
 */
@Component
@Primary
public class LiveQueue implements AgentQueue {

    private final ObjectProvider<AmiLinks> ami;
    private final ObjectProvider<AgentQueue> others;

    public LiveQueue(ObjectProvider<AmiLinks> ami, ObjectProvider<AgentQueue> others) {
        this.ami = ami;
        this.others = others;
    }

    @Override
    public Duration expectedWait() {
        AmiLinks l = ami.getIfAvailable();
        if (l != null && l.enabled()) {
            Optional<AmiLink.QueueFigures> q = l.queueSummary();
            if (q.isPresent()) {
                return of(q.get());
            }
        }
        return others.orderedStream().filter(a -> a != this).findFirst().map(AgentQueue::expectedWait)
                .orElse(Duration.ZERO);
    }

    static Duration of(AmiLink.QueueFigures q) {
        if (q.loggedIn() == 0) {
            return Duration.ofHours(1);
        }
        if (q.available() > q.callers()) {
            return Duration.ZERO;
        }
        return Duration.ofSeconds(Math.max(q.holdTime(), q.longestHoldTime()));
    }
}
