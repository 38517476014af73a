package org.hotline.sms;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import org.hotline.HotlineApplication;
import org.hotline.booking.BookingService;

/**
 * submit_sm per second to the local Perl SMSC with windows 1, 10 and 50: (1) the SMPP link alone
 * (jsmpp + our window, no database), (2) the whole dispatcher (claim from the outbox in MariaDB,
 * submit, record each part). Each with the SMSC answering at once and with 20 ms of SMSC latency,
 * where the window matters most. Run with {@code bin/bench-sms [seconds]} (docs/bench.md).
 */
public final class SmsBench {

    static final int SECONDS = Integer.getInteger("bench.seconds", 5);
    static final int[] WINDOWS = {1, 10, 50};
    static final int[] LATENCIES = {0, 20};

    public static void main(String[] args) throws Exception {
        PerlSmsc smsc = PerlSmsc.start(Map.of("SMSC_LOG", ""));
        try {
            SpringApplication app = new SpringApplication(HotlineApplication.class);
            app.setWebApplicationType(WebApplicationType.NONE);
            // arguments, not default properties: application.yml would win over those
            try (ConfigurableApplicationContext ctx = app.run(
                    "--hotline.db.embedded.data-dir=target/bench-db/" + UUID.randomUUID(),
                    "--hotline.db.embedded.base-dir=target/mariadb-base",
                    "--hotline.demo-data.enabled=false", "--hotline.sip.enabled=false",
                    "--hotline.sms.enabled=false",
                    "--logging.level.root=WARN",
                    "--logging.level.org.hotline=WARN",
                    "--spring.quartz.auto-startup=false")) {
                run(ctx, smsc);
            }
        } finally {
            smsc.kill();
        }
        System.exit(0);
    }

    static void run(ConfigurableApplicationContext ctx, PerlSmsc smsc) throws Exception {
        SmsProperties props = ctx.getBean(SmsProperties.class);
        SmsProperties.Smpp smpp = props.smpp().at("127.0.0.1", smsc.port());
        System.out.printf("Perl SMSC (Net::SMPP) on 127.0.0.1:%d, %d s per measurement, %d cores%n", smsc.port(),
                SECONDS, Runtime.getRuntime().availableProcessors());
        System.out.println();
        System.out.println("submit_sm/s       SMSC latency   window 1   window 10   window 50");
        for (int latency : LATENCIES) {
            smsc.control(Map.of("resp_delay_ms", latency, "dlr", 0));
            StringBuilder raw = new StringBuilder(String.format("link only         %4d ms     ", latency));
            for (int w : WINDOWS) {
                raw.append(String.format("%9.0f  ", linkOnly(smpp, w)));
            }
            System.out.println(raw);
        }
        JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
        for (int latency : LATENCIES) {
            smsc.control(Map.of("resp_delay_ms", latency, "dlr", 0));
            StringBuilder line = new StringBuilder(String.format("outbox → SMSC     %4d ms     ", latency));
            for (int w : WINDOWS) {
                line.append(String.format("%9.0f  ", dispatcher(ctx, jdbc, props, smpp, w)));
            }
            System.out.println(line);
        }
    }

    /** w threads, each submitting on the one bound session as fast as answers come back. */
    static double linkOnly(SmsProperties.Smpp smpp, int w) throws Exception {
        SmppLink link = new SmppLink(smpp, () -> InetSocketAddress.createUnresolved(smpp.host(), smpp.port()),
                new SmscInbound(null, null), "bench");
        link.start();
        link.awaitBound(10_000);
        Ucs2Message.Part part = Ucs2Message.parts("【健康热线】性能测试短信", 0).get(0);
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong n = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(w);
        for (int i = 0; i < w; i++) {
            pool.execute(() -> {
                while (!stop.get()) {
                    if (link.submit("13900000000", part) instanceof SmppLink.Submitted.Accepted && counting.get()) {
                        n.incrementAndGet();
                    }
                }
            });
        }
        Thread.sleep(1000);
        counting.set(true);
        long t0 = System.nanoTime();
        Thread.sleep(SECONDS * 1000L);
        counting.set(false);
        double rate = n.get() / ((System.nanoTime() - t0) / 1e9);
        stop.set(true);
        pool.shutdown();
        pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        link.stop();
        return rate;
    }

    /** The real path: rows in the outbox, claimed and sent by one dispatcher with window w. */
    static double dispatcher(ConfigurableApplicationContext ctx, JdbcTemplate jdbc, SmsProperties props,
            SmsProperties.Smpp smpp, int w) throws Exception {
        jdbc.update("UPDATE sms_message SET status = 'CANCELLED' WHERE status IN ('PENDING', 'SENDING')");
        int rows = (int) Math.min(200_000, Math.max(2_000, w * 600L * SECONDS));
        jdbc.batchUpdate("""
                INSERT INTO sms_message (kind, phone, phone_masked, body, parts, status, next_attempt_at, created_at)
                VALUES ('REPLY', '13900000000', '139****0000', ?, 1, 'PENDING', NOW(3) - INTERVAL 1 HOUR, NOW(3))""",
                java.util.stream.IntStream.range(0, rows).mapToObj(i -> new Object[] {"【健康热线】性能测试" + i}).toList());
        SmsDispatcher d = TestNodes.dispatcher("bench-" + w, smpp, TestNodes.dispatch(props.dispatch()).window(w)
                .batchSize(Math.max(50, w * 2)).build(), ctx.getBean(SmsStore.class), ctx.getBean(SmscInbound.class),
                ctx.getBean(DispatchSignal.class), ctx.getBean(BookingService.class));
        d.start();
        Thread.sleep(1000);
        long n0 = d.partsSubmitted();
        long t0 = System.nanoTime();
        Thread.sleep(SECONDS * 1000L);
        double rate = (d.partsSubmitted() - n0) / ((System.nanoTime() - t0) / 1e9);
        d.stop();
        if (d.partsSubmitted() >= rows) {
            System.out.println("  (window " + w + ": ran out of rows; the figure is a lower bound)");
        }
        return rate;
    }
}
