package org.hotline.booking;

/**
 * Every reason the booking core can say no, as a value a voice flow can speak and a console can
 * show. The text is the plain-Chinese explanation used in writing (console, SMS).
 */
public enum Refusal {
    FULL("该时段已约满"),
    POOL_CLOSED("该时段现在不在放号时间内"),
    POOL_NOT_FOR_CHANNEL("该号源不能通过此渠道预约"),
    SLOT_PAST("该时段已经过去"),
    NOT_FOUND("没有找到该时段或预约"),
    HOLD_EXPIRED("保留的号源已超时，请重新选择"),
    ID_INVALID("身份证号格式不正确"),
    ID_CHECK_DIGIT("身份证号校验位不正确"),
    PHONE_NOT_MOBILE("短信号码必须是手机号"),
    DUPLICATE_SAME_DAY("同一天同一科室或疫苗已有预约"),
    TOO_MANY_FOR_PATIENT("该身份证已有太多未就诊的预约"),
    TOO_MANY_FOR_CALLER("该电话今天预约次数已达上限"),
    AGE_OUT_OF_RANGE("年龄不在该疫苗接种范围内"),
    DOSE_TOO_SOON("距上一剂接种时间不足"),
    ALL_DOSES_DONE("该疫苗的所有剂次都已预约或接种"),
    DOSE_TOO_LATE("已超过与上一剂的最长间隔，请咨询接种门诊"),
    OUT_OF_SEASON("该疫苗现在不在接种季节"),
    SEASON_DOSE_DONE("本接种季已预约或接种过该疫苗"),
    BOOSTER_TOO_SOON("距上次接种未满加强接种间隔"),
    PATIENT_BLOCKED("多次爽约，暂停电话预约"),
    REFERRAL_REQUIRED("社区号源只能由社区医生转诊预约"),
    CANCEL_TOO_LATE("已过取消截止时间"),
    NOT_ACTIVE("该预约已取消或已结束"),
    NOT_ALLOWED("无权操作该预约"),
    /** A patient booked by reference whose age on the day the earlier bookings cannot tell for this vaccine. */
    ID_NEEDED("需要核对身份证号");

    private final String text;

    Refusal(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }
}
