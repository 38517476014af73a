package org.hotline.release;

import java.time.LocalDateTime;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.booking.BookingService;

/**
 * The Quartz jobs. Each is a thin shell: it logs the run ({@link JobRuns}) with the node and the
 * scheduled time and calls the idempotent operation, so a second fire, a misfire catch-up or a run
 * on another node changes nothing that is already done. Spring builds each job with its beans.
 * {@code @DisallowConcurrentExecution} holds across the cluster: one run of a job at a time.
 */
public final class ReleaseJobs {

    private static final Logger log = LoggerFactory.getLogger(ReleaseJobs.class);

    private ReleaseJobs() {
    }

    abstract static class ReleaseJob implements Job {
        private final JobRuns runs;
        private final String name;

        ReleaseJob(JobRuns runs, String name) {
            this.runs = runs;
            this.name = name;
        }

        abstract int work(JobRuns.Run run);

        @Override
        public void execute(JobExecutionContext context) throws JobExecutionException {
            String node;
            try {
                node = context.getScheduler().getSchedulerInstanceId();
            } catch (SchedulerException e) {
                node = "?";
            }
            try {
                runs.run(name, node, context.getScheduledFireTime().toInstant(), this::work);
            } catch (RuntimeException e) {
                log.error("Release job {} failed; its next fire retries what is still due", name, e);
                throw new JobExecutionException(e, false);
            }
        }
    }

    /** Opens the pools whose opening is due. */
    @DisallowConcurrentExecution
    public static class OpenPools extends ReleaseJob {
        private final QuotaRelease release;

        public OpenPools(JobRuns runs, QuotaRelease release) {
            super(runs, "open");
            this.release = release;
        }

        @Override
        int work(JobRuns.Run run) {
            return release.openDue(run, ReleaseScope.ALL);
        }
    }

    /** Moves unused places whose move is due (COMMUNITY → PUBLIC, phone → ONSITE). */
    @DisallowConcurrentExecution
    public static class MoveQuota extends ReleaseJob {
        private final QuotaRelease release;

        public MoveQuota(JobRuns runs, QuotaRelease release) {
            super(runs, "move");
            this.release = release;
        }

        @Override
        int work(JobRuns.Run run) {
            return release.moveDue(run, ReleaseScope.ALL);
        }
    }

    /** The hold sweeper: gives back held places whose time is up (a hang-up already gave back its own). */
    @DisallowConcurrentExecution
    public static class ExpireHolds extends ReleaseJob {
        private final BookingService bookings;

        private final org.hotline.booking.Waitlist waitlist;

        public ExpireHolds(JobRuns runs, BookingService bookings, org.hotline.booking.Waitlist waitlist) {
            super(runs, "expire-holds");
            this.bookings = bookings;
            this.waitlist = waitlist;
        }

        @Override
        int work(JobRuns.Run run) {
            int total = 0;
            for (int n = bookings.expireHolds(); n > 0; n = bookings.expireHolds()) {
                total += n; // it sweeps at most 1000 a call
            }
            // places freed by expired holds and by moves to public go to the waitlist (issue 16)
            waitlist.sweep();
            return total;
        }
    }

    @DisallowConcurrentExecution
    public static class MarkNoShows extends ReleaseJob {
        private final NoShowRule rule;

        public MarkNoShows(JobRuns runs, NoShowRule rule) {
            super(runs, "no-shows");
            this.rule = rule;
        }

        @Override
        int work(JobRuns.Run run) {
            return rule.markNoShows(run, ReleaseScope.ALL);
        }
    }

    @DisallowConcurrentExecution
    public static class SendReminders extends ReleaseJob {
        private final Reminders reminders;

        public SendReminders(JobRuns runs, Reminders reminders) {
            super(runs, "reminders");
            this.reminders = reminders;
        }

        @Override
        int work(JobRuns.Run run) {
            return reminders.remindDue(run, ReleaseScope.ALL);
        }
    }

    /** Nightly: keeps the calendar generated {@code horizon-days} ahead, and trims the job-run log. */
    @DisallowConcurrentExecution
    public static class GenerateSchedule extends ReleaseJob {
        private final ScheduleGenerator generator;
        private final JobRuns runs;
        private final ReleaseProperties props;

        public GenerateSchedule(JobRuns runs, ScheduleGenerator generator, ReleaseProperties props) {
            super(runs, "schedule");
            this.generator = generator;
            this.runs = runs;
            this.props = props;
        }

        @Override
        int work(JobRuns.Run run) {
            LocalDateTime now = run.now();
            runs.prune(now.minus(props.runRetention()));
            return generator.generateAhead(now.toLocalDate(), ReleaseScope.ALL);
        }
    }
}
