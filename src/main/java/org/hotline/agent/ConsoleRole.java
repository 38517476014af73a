package org.hotline.agent;

import org.hotline.booking.Channel;

/** What a console user may do. Each role books (if at all) through one booking channel. */
public enum ConsoleRole {
    /** Call-centre agent: transferred calls, call-backs, bookings from the PUBLIC pool for callers. */
    AGENT("坐席", Channel.AGENT),
    /** Community doctor: referral bookings from the COMMUNITY pool (then PUBLIC) for their centre's patients. */
    COMMUNITY_DOCTOR("社区医生", Channel.COMMUNITY_DOCTOR),
    /** Front desk (导诊台) of one hospital or vaccination clinic: checks in today's patients by booking code. */
    FRONT_DESK("导诊台", null),
    /** Supervisor: reads transfers, call-backs and the audit trail; reports (ops module). */
    SUPERVISOR("班长", null),
    /** Administrator: users; every facility's catalogue, rosters, closures and release policies (may override). */
    ADMIN("管理员", null),
    /** Hospital administrator (医院管理员): their own facility's departments, rosters, closures and policies. */
    HOSPITAL_ADMIN("医院管理员", null);

    private final String label;
    private final Channel channel;

    ConsoleRole(String label, Channel channel) {
        this.label = label;
        this.channel = channel;
    }

    public String label() {
        return label;
    }

    /** The booking channel this role books through, or null when the role does not book. */
    public Channel channel() {
        return channel;
    }
}
