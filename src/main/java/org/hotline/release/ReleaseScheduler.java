package org.hotline.release;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TimeZone;

import org.quartz.CronScheduleBuilder;
import org.quartz.CronTrigger;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * Puts the release jobs and their cron triggers into the clustered Quartz store, before the scheduler
 * starts. A trigger that is already stored with the same schedule is left alone: replacing it would
 * forget a fire missed while every node was down, which Quartz then fires on start-up
 * (fire-once-now). A changed cron replaces the trigger. Several nodes starting at once is fine.
 */
@Component
public class ReleaseScheduler implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(ReleaseScheduler.class);
    public static final String GROUP = "release";

    private final Scheduler scheduler;
    private final ReleaseProperties props;
    private final TimeZone zone;

    public ReleaseScheduler(Scheduler scheduler, ReleaseProperties props, Clock clock) {
        this.scheduler = scheduler;
        this.props = props;
        this.zone = TimeZone.getTimeZone(clock.getZone());
    }

    /** Job name → (job class, cron). */
    Map<String, Map.Entry<Class<? extends Job>, String>> jobs() {
        ReleaseProperties.Cron c = props.cron();
        Map<String, Map.Entry<Class<? extends Job>, String>> m = new LinkedHashMap<>();
        m.put("open", Map.entry(ReleaseJobs.OpenPools.class, c.open()));
        m.put("move", Map.entry(ReleaseJobs.MoveQuota.class, c.move()));
        m.put("expire-holds", Map.entry(ReleaseJobs.ExpireHolds.class, c.expireHolds()));
        m.put("no-shows", Map.entry(ReleaseJobs.MarkNoShows.class, c.noShows()));
        m.put("reminders", Map.entry(ReleaseJobs.SendReminders.class, c.reminders()));
        m.put("schedule", Map.entry(ReleaseJobs.GenerateSchedule.class, c.schedule()));
        return m;
    }

    @Override
    public void afterSingletonsInstantiated() {
        try {
            for (var e : jobs().entrySet()) {
                register(e.getKey(), e.getValue().getKey(), e.getValue().getValue());
            }
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot register the release jobs with Quartz: " + e.getMessage(), e);
        }
    }

    private void register(String name, Class<? extends Job> type, String cron) throws SchedulerException {
        JobDetail job = JobBuilder.newJob(type).withIdentity(name, GROUP).storeDurably()
                .withDescription("hotline release: " + name).build();
        scheduler.addJob(job, true);
        CronTrigger trigger = TriggerBuilder.newTrigger().withIdentity(name, GROUP).forJob(job)
                .withSchedule(CronScheduleBuilder.cronSchedule(cron).inTimeZone(zone)
                        .withMisfireHandlingInstructionFireAndProceed())
                .build();
        Trigger stored = scheduler.getTrigger(trigger.getKey());
        if (stored == null) {
            try {
                scheduler.scheduleJob(trigger);
            } catch (ObjectAlreadyExistsException raced) {
                // another node stored it a moment ago
            }
        } else if (!(stored instanceof CronTrigger s) || !s.getCronExpression().equals(cron)
                || !s.getTimeZone().getID().equals(zone.getID())
                || s.getMisfireInstruction() != trigger.getMisfireInstruction()) {
            log.info("Release job {}: schedule changed to '{}'", name, cron);
            scheduler.rescheduleJob(trigger.getKey(), trigger);
        }
    }
}
