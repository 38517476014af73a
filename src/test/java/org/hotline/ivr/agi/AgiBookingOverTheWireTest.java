package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.BookingService;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;

/**
 * Bookings made by keypad over Asterisk's FastAGI wire, on the real database: a caller books, a
 * caller who hangs up mid-flow gives the place back at once, and fifty callers racing for ten places
 * over AGI get exactly ten.
 */
@IntegrationTest
class AgiBookingOverTheWireTest {

    @Autowired BookingService booking;
    @Autowired Fixtures fx;
    @Autowired JdbcTemplate jdbc;
    @Autowired FastAgiListener applicationListener;

    final AtomicLong slot = new AtomicLong();
    KeypadBookingFlow flow;
    FastAgiListener agi;

    @BeforeEach
    void start() {
        long hospital = fx.facility("DISTRICT_HOSPITAL");
        long dept = fx.outpatientService(hospital);
        slot.set(fx.slot(dept, LocalDateTime.now().plusDays(3).withHour(9).withMinute(0).withSecond(0).withNano(0),
                1, 0, 10));
        flow = new KeypadBookingFlow(booking, slot::get, Duration.ofSeconds(8));
        agi = new FastAgiListener(AgiSettings.defaults().port(0).build(), flow);
        agi.start();
    }

    @AfterEach
    void stop() {
        agi.stop();
    }

    @Test
    void theApplicationServesFastAgiOnAFreePortInTests() {
        assertThat(applicationListener.isRunning()).isTrue();
        assertThat(applicationListener.port()).isPositive().isNotEqualTo(4573);
    }

    @Test
    void aCallerBooksByKeypadAndHearsGoodbye() {
        String id = Fixtures.residentIdAged(72).replace('X', '*');
        var t = AsteriskCall.to(agi.port()).callerId(Fixtures.mobile()).keys("1").keys(id).keys("1").run();
        String outcome = flow.outcomes.values().iterator().next();
        assertThat(outcome).startsWith("booked ");
        assertThat(fx.counts(slot.get(), "PUBLIC")).containsExactly(10, 0, 1);
        assertThat(t.sounds).contains("hotline/zh-CN/booked");
        assertThat(t.serverHungUp).isTrue();
        assertThat(t.deadReplies).isZero();
    }

    @Test
    void aCallerWhoHangsUpAtTheIdQuestionGivesThePlaceBackAtOnce() throws Exception {
        var t = AsteriskCall.to(agi.port()).keys("1").hangUp().run();
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);
        assertThat(t.callerHungUp).isTrue();
        assertThat(flow.outcomes.values()).containsExactly("hung up");
        assertThat(fx.counts(slot.get(), "PUBLIC")).containsExactly(10, 0, 0);
        assertThat(jdbc.queryForList("SELECT status FROM hold WHERE slot_id = ?", String.class, slot.get()))
                .containsExactly("RELEASED");
    }

    @Test
    void fiftyCallersRacingForTenPlacesOverAgiGetExactlyTen() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(50);
        try {
            List<Future<AsteriskCall.Transcript>> calls = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String id = Fixtures.residentIdAged(30 + i).replace('X', '*');
                String phone = Fixtures.mobile();
                calls.add(callers.submit(() -> AsteriskCall.to(agi.port()).callerId(phone).keys("1").keys(id)
                        .keys("1").run()));
            }
            for (Future<AsteriskCall.Transcript> c : calls) {
                assertThat(c.get(60, TimeUnit.SECONDS).serverClosed).isTrue();
            }
        } finally {
            callers.shutdownNow();
        }
        FastAgiWireTest.waitFor(() -> agi.activeCalls() == 0);
        assertThat(flow.outcomes).hasSize(50);
        assertThat(flow.outcomes.values().stream().filter(o -> o.startsWith("booked"))).hasSize(10);
        assertThat(flow.outcomes.values().stream().filter(o -> o.equals("refused FULL"))).hasSize(40);
        assertThat(fx.counts(slot.get(), "PUBLIC")).containsExactly(10, 0, 10);
    }
}
