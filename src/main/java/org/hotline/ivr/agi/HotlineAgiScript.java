package org.hotline.ivr.agi;

import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiScript;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import org.hotline.booking.PhoneNumber;
import org.hotline.ivr.CallHandler;
import org.hotline.ivr.CallerHungUp;

/**
 * The {@code hotline} script: one call, start to end, on the call's own thread. Shared by all calls,
 * so it keeps nothing between them.
 */
final class HotlineAgiScript implements AgiScript {

    private static final Logger log = LoggerFactory.getLogger(HotlineAgiScript.class);
    /** Queue priority of a caller the flow left undecided (the dialplan's HOTLINE_FALLBACK_PRIO). */
    static final int FALLBACK_PRIORITY = 5;
    /** agi_arg_1 of a call the gateway placed; agi_arg_2 is its token. */
    static final String OUTBOUND = "outbound";

    private final CallHandler handler;
    private final org.hotline.ivr.OutboundAnswer outbound;
    private final String soundPrefix;
    private final AgiConnections connections;
    private final CallStats stats;
    private final BooleanSupplier admitting;
    private final java.util.function.Supplier<String> mediaUrl;

    HotlineAgiScript(CallHandler handler, String soundPrefix, AgiConnections connections, CallStats stats,
            BooleanSupplier admitting) {
        this(handler, soundPrefix, connections, stats, admitting, () -> null);
    }

    HotlineAgiScript(CallHandler handler, String soundPrefix, AgiConnections connections, CallStats stats,
            BooleanSupplier admitting, java.util.function.Supplier<String> mediaUrl) {
        this(handler, (call, token) -> call.hangUp(), soundPrefix, connections, stats, admitting, mediaUrl);
    }

    HotlineAgiScript(CallHandler handler, org.hotline.ivr.OutboundAnswer outbound, String soundPrefix,
            AgiConnections connections, CallStats stats, BooleanSupplier admitting,
            java.util.function.Supplier<String> mediaUrl) {
        this.mediaUrl = mediaUrl;
        this.handler = handler;
        this.outbound = outbound;
        this.soundPrefix = soundPrefix;
        this.connections = connections;
        this.stats = stats;
        this.admitting = admitting;
    }

    @Override
    public void service(AgiRequest request, AgiChannel channel) {
        String callId = request.getUniqueId() == null || request.getUniqueId().isBlank()
                ? "agi-" + UUID.randomUUID() : request.getUniqueId();
        if (callId.length() > 64) {
            callId = callId.substring(0, 64);
        }
        String caller = request.getCallerIdNumber() == null ? "" : request.getCallerIdNumber();
        MDC.put("callId", callId);
        stats.started();
        if (!admitting.getAsBoolean()) {
            // not one command: HOTLINE_NEXT stays empty, so Asterisk's dialplan goes on to the next node
            log.warn("call not taken: this node is not ready (starting up, or its database is away); the dialplan"
                    + " tries the next node");
            stats.ended(AgiCall.End.NOT_TAKEN);
            MDC.remove("callId");
            return;
        }
        AgiCall call = new AgiCall(callId, caller, channel,
                connections.find(request.getRemoteAddress(), request.getRemotePort()), soundPrefix, mediaUrl, stats);
        String[] args = request.getArguments();
        boolean placed = args != null && args.length >= 2 && OUTBOUND.equals(args[0]);
        try {
            if (placed) {
                // sip-config/extensions.conf [hotline-outbound]: AGI(<node>,outbound,<token>) once the callee answered
                log.info("outbound call answered on {}", shortened(request.getChannel()));
                outbound.answer(call, args[1]);
            } else {
                log.info("call from {} on {}", PhoneNumber.mask(caller), shortened(request.getChannel()));
                handler.answer(call);
            }
        } catch (CallerHungUp e) {
            // the engine lets this through only if it had nothing to release; nothing to do here either
        } catch (RuntimeException e) {
            log.error("the flow failed; sending the caller to a person", e);
        } finally {
            // whatever the flow did not decide goes to a person, never to a hang-up
            call.finish(FALLBACK_PRIORITY);
            stats.ended(call.end());
            log.info("call ended: {}", call.end());
            MDC.remove("callId");
        }
    }

    /** A value from Asterisk as a log shows it: printable, at most 80 characters. */
    static String shortened(String v) {
        if (v == null) {
            return null;
        }
        String p = v.length() > 80 ? v.substring(0, 80) + "..." : v;
        return p.replaceAll("[^\\x20-\\x7e\\u4e00-\\u9fff]", "?");
    }
}
