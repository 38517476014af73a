package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** Every log line of a call carries its call id; IDs and phone numbers appear only masked. */
@IntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class CallLogTest {

    @Autowired FlowEngine engine;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;

    @AfterEach
    void reset() {
        clock.reset();
    }

    @Test
    void everyLineOfACallCarriesItsIdAndNoWholeIdOrNumber(CapturedOutput out) {
        IvrWorld world = IvrWorld.open(fx, clock);
        String mobile = Fixtures.mobile();
        String id = world.idAged(70);
        String bad = id.substring(0, 17) + (id.charAt(17) == '1' ? '2' : '1');
        // a booking, then a second call that is refused, then goes to a person
        ScriptedCaller first = ScriptedCaller.pressingOne(mobile, id, 40);
        List<org.hotline.booking.Booking> booked = engine.run(first).bookings();
        assertThat(booked).hasSize(1);
        String code = booked.get(0).code();
        ScriptedCaller second = ScriptedCaller.script(mobile, "2", "1", "1", "1", "1", "1", "1", bad, id, "0");
        CallResult r = engine.run(second);
        assertThat(r.end()).isEqualTo(CallResult.End.TRANSFERRED);

        // every line our code logged from the first call's answer to the second call's end
        String all = out.getAll();
        String during = all.substring(all.indexOf("Call from"), all.lastIndexOf("Call ended"));
        List<String> lines = during.lines().filter(l -> l.contains(" org.hotline.")).toList();
        assertThat(lines).anyMatch(l -> l.contains("Booked")).anyMatch(l -> l.contains("Transferring"))
                .anyMatch(l -> l.contains("Refused"));
        for (String l : lines) {
            assertThat(l).as(l).containsAnyOf("[callId=" + first.callId() + "]", "[callId=" + second.callId() + "]");
            assertThat(l).doesNotContain(id, bad, mobile, id.substring(6, 14), code);
        }
        // a third call from the same phone finds the booking by its code and cancels it: the log names the
        // booking by id and masked code only
        ScriptedCaller third = ScriptedCaller.script(mobile, "2", "3", "3", code + "#", "1", "2", "1", "0");
        engine.run(third);
        assertThat(third.heard()).contains("cancelled");
        List<String> thirdLines = out.getAll().lines().filter(l -> l.contains("[callId=" + third.callId() + "]")).toList();
        assertThat(thirdLines).anyMatch(l -> l.contains("Cancelled " + booked.get(0).id()));
        assertThat(thirdLines).allSatisfy(l -> assertThat(l).doesNotContain(code, mobile, id));
    }
}
