package org.hotline.booking;

/** The three shares of every slot's quota. */
public enum Pool {
    /** 现场号: the walk-in reserve, never bookable by phone or console. */
    ONSITE,
    /** 下沉号源: reserved for community centres' referrals, released earlier. */
    COMMUNITY,
    /** 普通号源: the general bookable share. */
    PUBLIC
}
