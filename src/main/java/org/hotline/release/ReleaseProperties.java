package org.hotline.release;

import java.time.Duration;
import java.time.LocalTime;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Release settings ({@code hotline.release.*}), documented in docs/configuration.md.
 *
 * @param horizonDays  how many days ahead the nightly job keeps sessions generated (COMMUNITY opens 14 days ahead)
 * @param policyFile   optional CSV of release policies imported at start-up (empty: none)
 * @param defaults     the policy of a facility that has no row in {@code release_policy}
 * @param cron         when each job fires (Quartz cron, zone of the injected clock)
 * @param noShow       the no-show rule
 * @param reminderAt   the day-before reminder becomes due at this time on the day before the slot
 * @param runRetention how long the job-run log is kept (the audit is kept for ever)
 */
@ConfigurationProperties("hotline.release")
public record ReleaseProperties(Integer horizonDays, String policyFile, Defaults defaults, Cron cron, NoShow noShow,
        LocalTime reminderAt, Duration runRetention) {

    public ReleaseProperties {
        horizonDays = horizonDays == null ? 21 : horizonDays;
        defaults = defaults == null ? new Defaults(null, null, null, null, null, null, null, null) : defaults;
        cron = cron == null ? new Cron(null, null, null, null, null, null) : cron;
        noShow = noShow == null ? new NoShow(null, null, null, null, null) : noShow;
        reminderAt = reminderAt == null ? LocalTime.of(18, 0) : reminderAt;
        if (cron.reminders() == null) { // fires when the reminder falls due, unless set apart
            cron = new Cron(cron.open(), cron.move(), cron.expireHolds(), cron.noShows(),
                    "%d %d %d * * ?".formatted(reminderAt.getSecond(), reminderAt.getMinute(), reminderAt.getHour()),
                    cron.schedule());
        }
        runRetention = runRetention == null ? Duration.ofDays(14) : runRetention;
    }

    /**
     * @param closeBefore booking closes this long before the slot (null: {@code hotline.booking.cancel-cutoff})
     */
    public record Defaults(Integer publicDaysAhead, LocalTime publicOpensAt, Integer communityDaysAhead,
            LocalTime communityOpensAt, Integer communityToPublicDaysBefore, LocalTime communityToPublicAt,
            Duration closeBefore, LocalTime phoneToOnsiteAt) {
        public Defaults {
            publicDaysAhead = publicDaysAhead == null ? 7 : publicDaysAhead;
            publicOpensAt = publicOpensAt == null ? LocalTime.of(8, 0) : publicOpensAt;
            communityDaysAhead = communityDaysAhead == null ? 14 : communityDaysAhead;
            communityOpensAt = communityOpensAt == null ? LocalTime.of(8, 0) : communityOpensAt;
            communityToPublicDaysBefore = communityToPublicDaysBefore == null ? 1 : communityToPublicDaysBefore;
            communityToPublicAt = communityToPublicAt == null ? LocalTime.of(12, 0) : communityToPublicAt;
        }
    }

    public record Cron(String open, String move, String expireHolds, String noShows, String reminders,
            String schedule) {
        public Cron {
            open = open == null ? "0 * * * * ?" : open;
            move = move == null ? "0 * * * * ?" : move;
            expireHolds = expireHolds == null ? "30 * * * * ?" : expireHolds;
            noShows = noShows == null ? "15 */15 * * * ?" : noShows;
            schedule = schedule == null ? "0 30 1 * * ?" : schedule;
        }
    }

    /**
     * @param enabled   mark ACTIVE bookings as NO_SHOW once their slot ended (needs a check-in feed marking ATTENDED)
     * @param grace     how long after the slot's end a booking still counts as possibly attended
     * @param threshold this many no-shows within {@code window} block phone booking
     * @param window    how far back no-shows count
     * @param blockFor  how long phone booking stays blocked
     */
    public record NoShow(Boolean enabled, Duration grace, Integer threshold, Duration window, Duration blockFor) {
        public NoShow {
            enabled = enabled == null ? Boolean.FALSE : enabled;
            grace = grace == null ? Duration.ofHours(2) : grace;
            threshold = threshold == null ? 3 : threshold;
            window = window == null ? Duration.ofDays(90) : window;
            blockFor = blockFor == null ? Duration.ofDays(90) : blockFor;
        }
    }
}
