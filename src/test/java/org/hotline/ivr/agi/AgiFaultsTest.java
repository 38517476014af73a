package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;

import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/**
 * A person is reachable whatever the line brings: caller ids of any length or content, and an Asterisk that
 * refuses commands. Over the application's FastAGI port, with the real flow engine and database.
 */
@IntegrationTest
class AgiFaultsTest {

    @Autowired FastAgiListener agi;
    @Autowired TransferLog transfers;
    @Autowired TestClock clock;

    AsteriskCall.Builder asterisk(String callerId) {
        // within agent hours: a person answers (outside them the menu offers a call-back)
        clock.set(java.time.LocalDateTime.of(2044, 3, 7, 10, 0));
        return AsteriskCall.to(agi.port()).callerId(callerId).repositoryPrompts();
    }

    /** At the main menu the caller presses 0 for a person. */
    static String zeroAtTheMainMenu(AsteriskCall.Question q) {
        return q.number() > 3 ? AsteriskCall.HANG_UP : "0";
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "123456789012345678901234567890123456789012345678901234567890", // 60 digits
            "+861380013800013800138000138000138000138000138000138000138000",
            "<sip:anonymous@anonymous.invalid>", "anonymous", "Restricted", "13800138000;ext=12",
            "１３８００１３８０００", "' OR 1=1 --", "+86 138-0013-8000 x 99999999999999999999999"})
    void anOddCallerIdIsTakenAsWithheldAndTheCallerReachesAPersonWithTheTransferRecorded(String callerId) {
        AsteriskCall.Transcript t = asterisk(callerId).answers(AgiFaultsTest::zeroAtTheMainMenu).run();
        try {
            assertThat(t.variable("HOTLINE_NEXT")).as(t.toString()).isEqualTo("AGENT");
            assertThat(t.serverHungUp).as("no hang-up from the gateway").isFalse();
            String transferId = t.variable("HOTLINE_TRANSFER_ID");
            Optional<TransferContext> record = transfers.find(transferId);
            assertThat(record).as("transfer " + transferId + " recorded").isPresent();
            assertThat(record.get().callerNumber()).as("a number that is no phone number is not kept").isNull();
        } finally {
            clock.reset();
        }
    }

    @Test
    void aCallerIdWithSpacesAndDashesIsNormalisedNotRefused() {
        AsteriskCall.Transcript t = asterisk("+86 138-0013-8000").answers(AgiFaultsTest::zeroAtTheMainMenu).run();
        try {
            assertThat(t.variable("HOTLINE_NEXT")).as(t.toString()).isEqualTo("AGENT");
            assertThat(transfers.find(t.variable("HOTLINE_TRANSFER_ID")).orElseThrow().callerNumber())
                    .isEqualTo("13800138000");
        } finally {
            clock.reset();
        }
    }

    @Test
    void anAsteriskRefusingEveryCommandButSetVariableHasTheCallerQueuedForAPersonNeverHungUp() {
        AsteriskCall.Transcript t = asterisk("13800138000").refusing(cmd -> !cmd.equals("set variable"))
                .answers(q -> "1").run();
        try {
            assertThat(t.refusedReplies).as(t.toString()).isPositive();
            assertThat(t.variable("HOTLINE_NEXT")).as(t.toString()).isEqualTo("AGENT");
            assertThat(t.variable("QUEUE_PRIO")).isNotBlank();
            assertThat(t.commands).as(t.toString()).noneMatch(c -> c.startsWith("HANGUP"))
                    .noneMatch(c -> c.contains("HOTLINE_NEXT HANGUP") || c.contains("HOTLINE_NEXT \"HANGUP\""));
            assertThat(t.serverClosed).isTrue();
        } finally {
            clock.reset();
        }
    }

    @Test
    void anAsteriskRefusingEveryCommandGetsNoHangUpSoItsDialplanQueuesTheCaller() {
        AsteriskCall.Transcript t = asterisk("13800138000").refusing(cmd -> true).answers(q -> "1").run();
        try {
            assertThat(t.refusedReplies).as(t.toString()).isPositive();
            // nothing could be set: HOTLINE_NEXT stays empty and extensions.conf goes on to the next node, then
            // to the queue (Set(HOTLINE_NEXT=AGENT) with HOTLINE_FALLBACK_PRIO); the gateway never asked to hang up
            assertThat(t.commands).as(t.toString()).noneMatch(c -> c.startsWith("HANGUP"))
                    .noneMatch(c -> c.contains("HOTLINE_NEXT HANGUP") || c.contains("HOTLINE_NEXT \"HANGUP\""))
                    .anyMatch(c -> c.contains("HOTLINE_NEXT") && c.contains("AGENT"));
            assertThat(t.serverClosed).isTrue();
            assertThat(t.error).isNull();
        } finally {
            clock.reset();
        }
    }

    @Test
    void commandsOfTheRefusingAsteriskAreFewNotARetryStorm() {
        AsteriskCall.Transcript t = asterisk("13800138000").refusing(cmd -> true).answers(q -> "1").run();
        try {
            assertThat(t.commands.size()).as(t.toString()).isLessThan(12);
            assertThat(List.copyOf(t.commands)).isNotEmpty();
        } finally {
            clock.reset();
        }
    }
}
