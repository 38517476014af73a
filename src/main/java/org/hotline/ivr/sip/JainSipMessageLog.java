package org.hotline.ivr.sip;

import java.util.Properties;

import javax.sip.SipStack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import gov.nist.core.ServerLogger;
import gov.nist.javax.sip.message.SIPMessage;

/**
 * jain-sip's message trace, sent to SLF4J at TRACE (logger {@code org.hotline.ivr.sip.messages}).
 * Whole messages carry calling numbers, so they are never logged above TRACE.
 * Named in the stack property {@code gov.nist.javax.sip.SERVER_LOGGER}.
 */
public class JainSipMessageLog implements ServerLogger {

    static final String LOGGER = "org.hotline.ivr.sip.messages";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    @Override
    public void closeLogFile() {
    }

    @Override
    public void logMessage(SIPMessage message, String from, String to, boolean sender, long time) {
        if (log.isTraceEnabled()) {
            log.trace("{} {} -> {}\n{}", sender ? "sent" : "received", from, to, message);
        }
    }

    @Override
    public void logMessage(SIPMessage message, String from, String to, String status, boolean sender, long time) {
        logMessage(message, from, to, sender, time);
    }

    @Override
    public void logMessage(SIPMessage message, String from, String to, String status, boolean sender) {
        logMessage(message, from, to, sender, 0);
    }

    @Override
    public void logException(Exception e) {
        log.debug("jain-sip: {}", e.toString());
    }

    @Override
    public void setStackProperties(Properties properties) {
    }

    @Override
    public void setSipStack(SipStack stack) {
    }
}
