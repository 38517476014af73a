package org.hotline.release;

import java.util.ArrayList;
import java.util.List;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import org.hotline.booking.FacilityKind;

/**
 * The bureau's rules for quota (PRODUCT.md: 现场号源, 号源下沉), enforced where a roster or a release policy is set.
 * The limits are the ones the bureau's policy check reads ({@code hotline.ops.report.community-share-min},
 * {@code community-days-ahead}), so what the console lets through is what {@code /ops/policy} calls compliant.
 */
@Component
public class BureauRules {

    /** One rule, named in a refusal and in the override list. */
    public enum Rule {
        /** Every session keeps an on-site reserve for walk-ins (现场号源). */
        ONSITE_QUOTA("每个时段须保留现场号源"),
        /** At a district hospital COMMUNITY is at least the minimum share of the phone-bookable quota (下沉 ≥ 40 %). */
        COMMUNITY_SHARE("区级医院社区号源须不低于可预约号源（社区 + 普通）的 %s"),
        /** At a district hospital COMMUNITY opens at least this many days ahead (提前 14 天). */
        COMMUNITY_DAYS_AHEAD("区级医院社区号源须提前至少 %s 天放号"),
        /** The general pool opens after the community pool (the reserve is offered first). */
        PUBLIC_AFTER_COMMUNITY("区级医院普通号源须晚于社区号源放号");

        private final String text;

        Rule(String text) {
            this.text = text;
        }

        public String template() {
            return text;
        }
    }

    /** A rule broken, with the sentence naming it for the screen. */
    public record Breach(Rule rule, String text) {
    }

    private final double communityShareMin;
    private final int communityDaysAhead;

    public BureauRules(@Value("${hotline.ops.report.community-share-min:0.40}") double communityShareMin,
            @Value("${hotline.ops.report.community-days-ahead:14}") int communityDaysAhead) {
        this.communityShareMin = communityShareMin;
        this.communityDaysAhead = communityDaysAhead;
    }

    public double communityShareMin() {
        return communityShareMin;
    }

    public int communityDaysAhead() {
        return communityDaysAhead;
    }

    /** The rules a roster line (places per slot) breaks at a facility of this kind. */
    public List<Breach> roster(FacilityKind kind, int onsite, int community, int pub) {
        List<Breach> out = new ArrayList<>();
        if (onsite <= 0) {
            out.add(new Breach(Rule.ONSITE_QUOTA, Rule.ONSITE_QUOTA.template()));
        }
        if (kind == FacilityKind.DISTRICT_HOSPITAL && community + pub > 0
                && community < communityShareMin * (community + pub) - 1e-9) {
            out.add(new Breach(Rule.COMMUNITY_SHARE, Rule.COMMUNITY_SHARE.template().formatted(percent())
                    + "（本排班 " + Math.round(100.0 * community / (community + pub)) + " %）"));
        }
        return out;
    }

    /** The rules a release policy breaks at a facility of this kind. */
    public List<Breach> policy(FacilityKind kind, ReleasePolicy p) {
        List<Breach> out = new ArrayList<>();
        if (kind == FacilityKind.DISTRICT_HOSPITAL) {
            if (p.communityDaysAhead() < communityDaysAhead) {
                out.add(new Breach(Rule.COMMUNITY_DAYS_AHEAD, Rule.COMMUNITY_DAYS_AHEAD.template()
                        .formatted(communityDaysAhead) + "（本策略 " + p.communityDaysAhead() + " 天）"));
            }
            if (p.publicDaysAhead() > p.communityDaysAhead()) {
                out.add(new Breach(Rule.PUBLIC_AFTER_COMMUNITY, Rule.PUBLIC_AFTER_COMMUNITY.template()));
            }
        }
        return out;
    }

    private String percent() {
        return Math.round(communityShareMin * 100) + " %";
    }
}
