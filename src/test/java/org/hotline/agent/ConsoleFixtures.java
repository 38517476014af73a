package org.hotline.agent;

import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.stereotype.Component;

import org.hotline.booking.PhoneNumber;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;
import org.hotline.testsupport.TestClock;

/** Console users and transferred calls of a test's own (until the flow engine lands, transfers are made here). */
public class ConsoleFixtures {

    public static final String PASSWORD = "test-password-123";
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final ConsoleUsers users;
    private final TransferLog transfers;
    private final TestClock clock;

    public ConsoleFixtures(ConsoleUsers users, TransferLog transfers, TestClock clock) {
        this.users = users;
        this.transfers = transfers;
        this.clock = clock;
    }

    public String user(ConsoleRole role, Long facilityId) {
        String name = role.name().toLowerCase().replace('_', '-') + "-" + SEQ.incrementAndGet() + "-"
                + UUID.randomUUID().toString().substring(0, 6);
        users.create(null, name, PASSWORD, "测试" + role.label(), role, facilityId).ifPresent(p -> {
            throw new IllegalStateException(p.toString());
        });
        return name;
    }

    public TransferContext transfer(String callerNumber, Map<String, String> choices) {
        String id = "tr-" + UUID.randomUUID();
        TransferContext t = new TransferContext(id, "call-" + SEQ.incrementAndGet(), callerNumber,
                PhoneNumber.mask(callerNumber), "**************123X", 82, TransferReason.ASKED_FOR_PERSON,
                "outpatient", "choose_slot", new LinkedHashMap<>(choices), 9, clock.now());
        transfers.record(t);
        return t;
    }

    public LocalDateTime now() {
        return clock.now();
    }
}
