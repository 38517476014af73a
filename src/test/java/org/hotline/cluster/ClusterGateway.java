package org.hotline.cluster;

import java.util.Map;

import org.slf4j.MDC;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

import org.hotline.HotlineApplication;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.Channel;
import org.hotline.booking.HoldOutcome;

/**
 * A gateway process for the cluster tests: the real application (profile and database from the
 * environment) plus one test-only route, {@code POST /cluster-test/call}, that books as a phone call
 * does: hold, the caller keys the ID for a while, confirm (a refusal or an error releases the hold).
 * Registered functionally, not as a {@code @Component}, so no other test context scans it in.
 */
public final class ClusterGateway {

    private ClusterGateway() {
    }

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.addInitializers(ctx -> {
            var g = (org.springframework.context.support.GenericApplicationContext) ctx;
            g.registerBean("clusterTestCalls", RouterFunction.class, () -> calls(ctx.getBean(BookingService.class)));
            // the test route stands for a phone call, not a console user: no login, no CSRF (the console's
            // own filter chain still guards everything else)
            g.registerBean("clusterTestSecurity", SecurityFilterChain.class,
                    () -> openTestRoute(ctx.getBean(HttpSecurity.class)));
        });
        var ctx = app.run(args);
        if (!releaseModuleInstalled()) {
            // until the release module (Quartz ExpireHolds job) is on this branch, sweep as it would, every 3 s
            BookingService booking = ctx.getBean(BookingService.class);
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "cluster-test-sweeper");
                t.setDaemon(true);
                return t;
            }).scheduleWithFixedDelay(() -> {
                try {
                    booking.expireHolds();
                } catch (RuntimeException e) {
                    // database away: next round
                }
            }, 3, 3, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    static SecurityFilterChain openTestRoute(HttpSecurity http) {
        try {
            SecurityFilterChain chain = http.securityMatcher("/cluster-test/**")
                    .authorizeHttpRequests(a -> a.anyRequest().permitAll()).csrf(c -> c.disable()).build();
            return new FirstChain(chain);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ordered first, so the test route's chain is asked before the console's catch-all one. */
    record FirstChain(SecurityFilterChain chain) implements SecurityFilterChain, Ordered {
        @Override
        public boolean matches(jakarta.servlet.http.HttpServletRequest request) {
            return chain.matches(request);
        }

        @Override
        public java.util.List<jakarta.servlet.Filter> getFilters() {
            return chain.getFilters();
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }

    static boolean releaseModuleInstalled() {
        try {
            Class.forName("org.hotline.release.ReleaseJobs");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    static RouterFunction<ServerResponse> calls(BookingService booking) {
        return RouterFunctions.route().POST("/cluster-test/call", req -> call(booking, req)).build();
    }

    /** One call: {@code slot}, {@code id}, {@code phone}, {@code call}, {@code pauseMs}. Answers {@code booked CODE}, {@code refused REASON} or 500. */
    private static ServerResponse call(BookingService booking, ServerRequest req) throws Exception {
        Map<String, String> p = req.params().toSingleValueMap();
        String callId = p.get("call");
        MDC.put("callId", callId);
        Long holdId = null;
        try {
            HoldOutcome held = booking.hold(Long.parseLong(p.get("slot")), Channel.PHONE_MENU);
            if (held instanceof HoldOutcome.Refused r) {
                return ServerResponse.ok().body("refused " + r.reason());
            }
            holdId = ((HoldOutcome.Held) held).holdId();
            Thread.sleep(Long.parseLong(p.getOrDefault("pauseMs", "0")));
            BookingOutcome out = booking.confirm(BookingRequest.phone(holdId, p.get("id"), p.get("phone"),
                    p.get("phone"), callId));
            if (out instanceof BookingOutcome.Booked b) {
                holdId = null;
                return ServerResponse.ok().body("booked " + b.booking().code());
            }
            return ServerResponse.ok().body("refused " + ((BookingOutcome.Refused) out).reason());
        } finally {
            if (holdId != null) {
                try {
                    booking.release(holdId); // as a hang-up does; the sweeper catches what this misses
                } catch (RuntimeException e) {
                    // the database is away: the hold expires and the sweeper gives it back
                }
            }
            MDC.remove("callId");
        }
    }
}
