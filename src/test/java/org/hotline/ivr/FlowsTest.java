package org.hotline.ivr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingService;
import org.hotline.testsupport.Fixtures;
import org.hotline.testsupport.IntegrationTest;
import org.hotline.testsupport.TestClock;

/** Every flow driven in-process by a scripted caller, booking for real on the embedded MariaDB. */
@IntegrationTest
class FlowsTest {

    @Autowired FlowEngine engine;
    @Autowired BookingService booking;
    @Autowired TransferLog transfers;
    @Autowired Fixtures fx;
    @Autowired TestClock clock;
    @Autowired JdbcTemplate jdbc;

    IvrWorld world;

    @BeforeEach
    void setUp() {
        world = IvrWorld.open(fx, clock);
    }

    @AfterEach
    void reset() {
        clock.reset();
    }

    int activeHolds() {
        return jdbc.queryForObject("SELECT COALESCE(SUM(q.held), 0) FROM quota_pool q JOIN slot s ON s.id = q.slot_id"
                + " WHERE s.service_id IN (?, ?, ?, ?)", Integer.class, world.dept, world.dept2, world.oneDoseService,
                world.twoDoseService);
    }

    @Test
    void pressingOneAtEveryQuestionAndKeyingAnIdBooksTheFirstSlotWithAnSmsToThisPhone() {
        String mobile = Fixtures.mobile();
        String id = world.idAged(45);
        ScriptedCaller caller = ScriptedCaller.pressingOne(mobile, id, 40);

        CallResult r = engine.run(caller);

        assertThat(r.end()).isEqualTo(CallResult.End.GOODBYE);
        assertThat(r.bookings()).hasSize(1);
        Booking b = booking.findById(r.bookings().get(0).id()).orElseThrow();
        assertThat(b.slotId()).isEqualTo(world.firstSlot);
        assertThat(b.serviceId()).isEqualTo(world.dept);
        assertThat(b.smsPhone()).isEqualTo(mobile);
        assertThat(b.callingNumber()).isEqualTo(mobile);
        assertThat(b.patientMasked()).isEqualTo(org.hotline.booking.ResidentId.mask(id));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM booking_phone WHERE booking_id = ? AND phone = ?",
                Integer.class, b.id(), mobile)).isEqualTo(1);
        // the code is read out digit by digit, and the caller heard the SMS line and goodbye
        assertThat(caller.heard()).containsSubsequence(List.of("booked", "booking_code_is"));
        assertThat(caller.heard()).containsSubsequence(MandarinSpeech.digits(b.code()));
        assertThat(caller.heard()).containsSubsequence("booked_sms", "goodbye");
        assertThat(caller.hungUpByUs).isTrue();
        assertThat(activeHolds()).isZero();
    }
}
