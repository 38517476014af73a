package org.hotline.ivr;

import java.time.Duration;

/**
 * How long a caller handed to a person would wait now. The agent module may provide a bean that knows;
 * without one the queue is taken as never busy. A long wait makes the engine offer a call-back.
 */
public interface AgentQueue {

    Duration expectedWait();

    AgentQueue NEVER_BUSY = () -> Duration.ZERO;
}
