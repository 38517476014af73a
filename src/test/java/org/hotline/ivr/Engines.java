package org.hotline.ivr;

import java.time.Clock;

import org.springframework.context.ApplicationContext;

import org.hotline.booking.BookingService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.SpokenNames;
import org.hotline.db.DatabaseWatch;
import org.hotline.handoff.TransferLog;

/** Flow engines for tests: the application's own, built again with another view of the agents' queue. */
public final class Engines {

    private Engines() {
    }

    /** The engine IvrConfig builds, but with this queue (a long wait, the console's own queue). */
    public static FlowEngine withAgentQueue(ApplicationContext ctx, AgentQueue queue) {
        DatabaseWatch watch = ctx.getBeanProvider(DatabaseWatch.class).getIfAvailable();
        return new FlowEngine(ctx.getBean(FlowSet.class), ctx.getBean(PromptCatalogue.class),
                ctx.getBean(BookingService.class), ctx.getBean(Catalogue.class), ctx.getBean(TransferLog.class), queue,
                ctx.getBean(IvrProperties.class), ctx.getBean(Clock.class), ctx.getBean(PhoneLookups.class),
                watch == null ? () -> true : watch::reachable,
                ctx.getBeanProvider(SpokenNames.class).getIfAvailable(),
                ctx.getBeanProvider(org.hotline.booking.Alternatives.class).getIfAvailable(),
                ctx.getBeanProvider(org.hotline.booking.Waitlist.class).getIfAvailable())
                .complaints(ctx.getBeanProvider(org.hotline.handoff.Complaints.class).getIfAvailable());
    }
}
