package org.hotline.ivr.sip;

import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import gov.nist.core.ServerLogger;
import gov.nist.core.StackLogger;

/**
 * jain-sip's stack log, sent to SLF4J (logger {@code gov.nist.javax.sip}). Without it the stack wants
 * log4j 1.x on the class path. Named in the stack property {@code gov.nist.javax.sip.STACK_LOGGER}.
 * The stack also asks this logger whether to trace messages at all ({@link ServerLogger#TRACE_MESSAGES}):
 * yes when {@link JainSipMessageLog}'s logger is at TRACE.
 */
public class JainSipStackLog implements StackLogger {

    private static final Logger log = LoggerFactory.getLogger("gov.nist.javax.sip");
    private static final Logger messages = LoggerFactory.getLogger(JainSipMessageLog.LOGGER);

    @Override
    public void logStackTrace() {
        if (log.isTraceEnabled()) {
            log.trace("stack trace", new Throwable());
        }
    }

    @Override
    public void logStackTrace(int level) {
        logStackTrace();
    }

    @Override
    public int getLineCount() {
        return 0;
    }

    @Override
    public void logException(Throwable t) {
        log.warn("jain-sip: {}", t.toString(), t);
    }

    @Override
    public void logDebug(String message) {
        log.debug(message);
    }

    @Override
    public void logDebug(String message, Exception e) {
        log.debug(message, e);
    }

    @Override
    public void logTrace(String message) {
        log.trace(message);
    }

    @Override
    public void logFatalError(String message) {
        log.error(message);
    }

    @Override
    public void logError(String message) {
        log.error(message);
    }

    @Override
    public boolean isLoggingEnabled() {
        return log.isInfoEnabled();
    }

    @Override
    public boolean isLoggingEnabled(int level) {
        return switch (level) {
            case TRACE_FATAL, TRACE_ERROR -> log.isErrorEnabled();
            case TRACE_WARN -> log.isWarnEnabled();
            // jain-sip asks for TRACE_MESSAGES (= TRACE_INFO, 16) before it hands a message to the server
            // logger: the documented switch (org.hotline.ivr.sip.messages at TRACE) must open that gate by
            // itself, whatever gov.nist's own level. Stack lines it lets through are still filtered by SLF4J.
            case TRACE_INFO -> log.isInfoEnabled() || messages.isTraceEnabled();
            case TRACE_DEBUG -> log.isDebugEnabled();
            case TRACE_TRACE -> log.isTraceEnabled();
            default -> false;
        };
    }

    @Override
    public void logError(String message, Exception e) {
        log.error(message, e);
    }

    @Override
    public void logWarning(String message) {
        log.warn(message);
    }

    @Override
    public void logInfo(String message) {
        log.info(message);
    }

    @Override
    public void disableLogging() {
    }

    @Override
    public void enableLogging() {
    }

    @Override
    public void setBuildTimeStamp(String buildTimeStamp) {
    }

    @Override
    public void setStackProperties(Properties properties) {
    }

    @Override
    public String getLoggerName() {
        return log.getName();
    }
}
