package org.hotline.ops.report;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Supervision reports ({@code hotline.ops.report.*}).
 *
 * @param releaseGrace      a release done this long after its planned time still counts as on time
 * @param maxDays           the longest range one report or CSV may cover (keeps a page's queries bounded)
 * @param communityShareMin the bureau's minimum community share of bookable quota at district hospitals
 * @param communityDaysAhead how many days ahead community quota must open
 */
@ConfigurationProperties("hotline.ops.report")
public record ReportProperties(Duration releaseGrace, Integer maxDays, Double communityShareMin,
        Integer communityDaysAhead) {

    public ReportProperties {
        releaseGrace = releaseGrace == null ? Duration.ofMinutes(1) : releaseGrace;
        maxDays = maxDays == null ? 93 : maxDays;
        communityShareMin = communityShareMin == null ? 0.40 : communityShareMin;
        communityDaysAhead = communityDaysAhead == null ? 14 : communityDaysAhead;
    }
}
