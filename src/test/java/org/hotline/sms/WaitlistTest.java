package org.hotline.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hotline.sms.SmsTestSupport.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.Waitlist;
import org.hotline.testsupport.Fixtures;

/**
 * The waitlist (候补, issue 16) end to end at the Perl SMSC: a cancellation frees the only place, the first one
 * waiting gets an SMS with a code, their reply (deliver_sm, through SmsReplies) books it, and nobody else gets
 * that place although many threads try to book it all the while; the second one waiting is not offered it.
 */
@PerlSmscContext
class WaitlistTest {

    @Autowired BookingService booking;
    @Autowired Waitlist waitlist;
    @Autowired Fixtures fx;
    @Autowired JdbcTemplate jdbc;

    PerlSmsc smsc = PerlSmscContext.Shared.smsc();
    long dept;

    static final Pattern OFFER_CODE = Pattern.compile("回复“确认(\\d{6})”");

    @BeforeEach
    void setUp() {
        smsc.control(Map.of());
        dept = fx.outpatientService(fx.facility("DISTRICT_HOSPITAL"));
    }

    @Test
    void aCancellationReachesTheFirstWaitingBySmsTheirReplyBooksItAndNobodyElseGetsThePlace() throws Exception {
        long slot = SmsTestSupport.slot(fx, dept, 1, 2);
        String holder = Fixtures.mobile();
        Booking taken = SmsTestSupport.book(booking, slot, holder, List.of());
        String first = Fixtures.mobile();
        String second = Fixtures.mobile();
        var joined1 = waitlist.join(dept, Fixtures.residentIdAged(81), null, first, first);
        var joined2 = waitlist.join(dept, Fixtures.residentIdAged(66), null, second, second);
        assertThat(joined1).isInstanceOf(Waitlist.JoinOutcome.Joined.class);
        assertThat(((Waitlist.JoinOutcome.Joined) joined2).ahead()).isEqualTo(1);
        long entry1 = ((Waitlist.JoinOutcome.Joined) joined1).entryId();
        long entry2 = ((Waitlist.JoinOutcome.Joined) joined2).entryId();
        assertThat(waitlist.status(entry1)).contains("WAITING");

        // eight callers keep trying to book the slot from before the cancellation until the reply is in
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Booking> stolen = new ConcurrentLinkedQueue<>();
        ExecutorService racers = Executors.newFixedThreadPool(8);
        CountDownLatch started = new CountDownLatch(8);
        for (int t = 0; t < 8; t++) {
            racers.submit(() -> {
                started.countDown();
                while (!stop.get()) {
                    BookingOutcome out = booking.book(slot, null, new BookingRequest(0, Fixtures.residentIdAged(40),
                            Fixtures.mobile(), List.of(), null, Channel.PHONE_MENU, "racer", null));
                    if (out instanceof BookingOutcome.Booked b) {
                        stolen.add(b.booking());
                    }
                    Thread.sleep(5);
                }
                return null;
            });
        }
        started.await();

        // the holder cancels by SMS reply: after its commit the place goes to the first one waiting, held
        smsc.mo("86" + holder, "取消 " + taken.code());
        await("offer texted to the first one waiting", Duration.ofSeconds(30),
                () -> smsc.textsTo(first).stream().anyMatch(t -> OFFER_CODE.matcher(t).find()));
        assertThat(waitlist.status(entry1)).contains("OFFERED");
        String offer = smsc.textsTo(first).stream().filter(t -> OFFER_CODE.matcher(t).find()).findFirst().orElseThrow();
        Matcher m = OFFER_CODE.matcher(offer);
        assertThat(m.find()).isTrue();
        String code = m.group(1);
        assertThat(offer).contains("候补到号", "保留到");

        // someone else replying with that code gets nothing
        smsc.mo("86" + second, "确认" + code);
        smsc.mo("86" + first, "确认 " + code);
        await("the first one waiting is booked", Duration.ofSeconds(30),
                () -> waitlist.status(entry1).orElse("").equals("BOOKED"));
        Thread.sleep(300); // the racers keep trying a little longer
        stop.set(true);
        racers.shutdown();
        assertThat(racers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        List<Booking> onSlot = jdbc.queryForList("SELECT id FROM booking WHERE slot_id = ? AND status = 'ACTIVE'",
                Long.class, slot).stream().map(id -> booking.findById(id).orElseThrow()).toList();
        assertThat(onSlot).hasSize(1);
        assertThat(onSlot.get(0).smsPhone()).isEqualTo(first);
        assertThat(stolen).as("nobody else got the place").isEmpty();
        assertThat(fx.counts(slot, "PUBLIC")).containsExactly(1, 0, 1);
        assertThat(waitlist.status(entry2)).contains("WAITING");
        // the booking's own confirmation is the answer to the reply; the second one got no offer, only a refusal
        await("confirmation texted", Duration.ofSeconds(30),
                () -> smsc.textsTo(first).stream().anyMatch(t -> t.contains("预约成功") && t.contains(onSlot.get(0).code())));
        assertThat(smsc.textsTo(second)).noneMatch(t -> t.contains("候补到号"));
        // a second reply with the same code books nothing more
        assertThat(waitlist.confirmByReply(first, code)).isInstanceOf(BookingOutcome.Refused.class);
    }
}
