package org.hotline.sms;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

import org.springframework.stereotype.Component;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingEvents;
import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Facility;
import org.hotline.booking.Refusal;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.Alternatives;

/**
 * The Chinese texts. Each starts with the signature carriers require (【健康热线】). A copy for
 * someone other than the patient shows the patient only by the masked resident ID.
 */
@Component
public class SmsTemplates {

    /** Where the visit is and what to bring: read from the catalogue, not carried by the booking. */
    public record Place(String address, String bring) {
    }

    private final Catalogue catalogue;
    private final String signature;
    private final String hotline;

    public SmsTemplates(Catalogue catalogue, SmsProperties props) {
        this.catalogue = catalogue;
        this.signature = "【" + props.signature() + "】";
        this.hotline = props.hotlineNumber();
    }

    public Place placeOf(Booking b) {
        String address = catalogue.facility(b.facilityId()).map(Facility::address).orElse(null);
        String bring = null;
        if (b.serviceKind() == ServiceKind.VACCINE) {
            bring = catalogue.service(b.serviceId()).map(BookableService::vaccine)
                    .map(v -> v.bringNote()).orElse(null);
        }
        if (bring == null || bring.isBlank()) {
            bring = b.serviceKind() == ServiceKind.VACCINE ? "身份证和预防接种证" : "身份证和医保卡";
        }
        return new Place(address == null || address.isBlank() ? null : address, bring);
    }

    public String confirmation(Booking b, Place p) {
        return signature + "预约成功：" + where(b, p) + "，" + what(b) + "，" + when(b) + "。预约码" + b.code()
                + "。请携带" + p.bring() + "，提前15分钟到达。" + nextDoseLine(b) + howToCancel(b);
    }

    public String familyCopy(Booking b, Place p) {
        return signature + "您为家人（身份证" + b.patientMasked() + "）预约成功：" + where(b, p) + "，" + what(b) + "，"
                + when(b) + "。预约码" + b.code() + "。请提醒携带" + p.bring() + "。" + howToCancel(b);
    }

    public String cancellation(Booking b, boolean family) {
        return signature + (family ? "您家人（身份证" + b.patientMasked() + "）" : "您") + "在" + b.facilityName()
                + when(b) + "的" + what(b) + "预约（预约码" + b.code() + "）已取消。如需重新预约请拨打" + hotline + "。";
    }

    /**
     * 停诊: the booking was cancelled by the hospital; the nearest free slice of the same department is offered
     * (reply "1" moves the booking there), or the hotline is named when there is none. The hospital's own reason
     * is not sent (it may name a doctor's illness).
     */
    public String hospitalCancellation(Booking b, Alternatives.Alternative alternative, boolean family) {
        return signature + "因医院停诊，" + (family ? "您家人（身份证" + b.patientMasked() + "）" : "您") + "在"
                + b.facilityName() + when(b) + "的" + what(b) + "预约（预约码" + b.code() + "）已取消，非常抱歉。"
                + (alternative == null ? "同科室近期暂无可约时段，请拨打" + hotline + "预约其他时间。"
                        : "最近可约" + where(alternative) + "，回复“1”即改约到该时段；其他时间请拨打" + hotline + "。");
    }

    /** The answer to "1" when the offered place was taken meanwhile: the next one is offered instead. */
    public String offerRenewed(Booking cancelled, Alternatives.Alternative next) {
        return signature + "您要改约的时段刚刚约满。现可改约到" + where(next) + "，回复“1”即改约；其他时间请拨打" + hotline + "。";
    }

    /** "同科室6月3日（星期三）下午14:00-14:30", or another facility's name and department when it is elsewhere. */
    private static String where(Alternatives.Alternative a) {
        return (a.sameFacility() ? "同科室" : a.facilityName() + a.serviceName()) + date(a.offer().date())
                + slice(a.offer().startsAt(), a.offer().endsAt());
    }

    /** The answer to "1" when nothing of that department is free any more. */
    public String offerNoneLeft() {
        return signature + "您要改约的时段已约满，同科室近期暂无可约时段，请拨打" + hotline + "预约其他时间。";
    }

    /** The answer to "1" when the booking rules refuse the move. */
    public String offerRefused(Refusal why) {
        return signature + "未能改约：" + why.text() + "。请拨打" + hotline + "。";
    }

    /** The answer to "1" from a phone with several open offers: the code tells which. */
    public String offerWhich() {
        return signature + "您有多个因停诊取消的预约可改约，请回复“1”加原预约码，例如“1 123456”。";
    }

    public String reminder(Booking b, Place p, boolean family) {
        return signature + "温馨提醒：" + (family ? "您家人（身份证" + b.patientMasked() + "）" : "您") + "明天" + when(b)
                + "在" + where(b, p) + "有" + what(b) + "预约，预约码" + b.code() + "。请携带" + p.bring() + "。"
                + "不能前来请回复“取消" + b.code() + "”。";
    }

    public String nextDose(Booking b, boolean family) {
        return signature + (family ? "您家人（身份证" + b.patientMasked() + "）的" : "您的") + b.serviceName() + "第"
                + (b.doseNumber() + 1) + "剂从" + date(b.nextDoseFrom()) + "起可以预约，请拨打" + hotline + "预约；已预约请忽略。";
    }

    /** A freed place offered to the first one waiting: the code is the offer's, not a booking's. */
    public String waitlistOffer(BookingEvents.WaitlistOffered o) {
        return signature + "候补到号：" + o.facilityName() + "，" + o.serviceName() + "，" + date(o.startsAt().toLocalDate())
                + slice(o.startsAt(), o.endsAt()) + "。已为您保留到" + o.expiresAt().getHour() + ":"
                + String.format("%02d", o.expiresAt().getMinute()) + "，要这个号请回复“确认" + o.code()
                + "”，过时将让给下一位。";
    }

    /** The answer to a waitlist confirmation that did not book. */
    public String waitlistRefused(String code, Refusal why) {
        return switch (why) {
            case HOLD_EXPIRED, NOT_ACTIVE -> signature + "候补" + code + "已过保留时间或已处理，号源已让给下一位。如需预约请拨打"
                    + hotline + "。";
            case NOT_FOUND, NOT_ALLOWED -> signature + "没有找到与本号码关联的候补" + code + "，请核对或拨打" + hotline + "。";
            default -> signature + "候补" + code + "未能预约：" + why.text() + "。请拨打" + hotline + "。";
        };
    }

    public String help() {
        return signature + "回复“取消+预约码”可取消预约，例如“取消123456”。其他问题请拨打" + hotline + "。";
    }

    /** The answer to a cancellation reply that was refused. NOT_FOUND and NOT_ALLOWED read alike, so a stranger learns nothing. */
    public String replyRefused(String code, Refusal why) {
        return switch (why) {
            case NOT_FOUND, NOT_ALLOWED -> signature + "没有找到与本号码关联的预约" + code + "，请核对预约码或拨打" + hotline + "。";
            case CANCEL_TOO_LATE -> signature + "预约" + code + "已过取消截止时间，无法短信取消，请拨打" + hotline + "。";
            case NOT_ACTIVE -> signature + "预约" + code + "已取消或已结束，无需再取消。";
            default -> signature + "预约" + code + "未能取消：" + why.text() + "。请拨打" + hotline + "。";
        };
    }

    public String agentNotice(String phoneMasked, SmsKind kind, String bookingCode, String reason) {
        return signature + "短信未送达" + phoneMasked + "（" + kindName(kind)
                + (bookingCode == null ? "" : "，预约码" + bookingCode) + "）：" + reason + "。请人工联系。";
    }

    static String kindName(SmsKind kind) {
        return switch (kind) {
            case CONFIRMATION -> "预约确认";
            case FAMILY_COPY -> "家属副本";
            case CANCELLATION -> "取消通知";
            case HOSPITAL_CANCELLATION -> "停诊通知";
            case REMINDER -> "就诊提醒";
            case NEXT_DOSE -> "下一剂提醒";
            case REPLY -> "短信回复";
            case AGENT_NOTICE -> "坐席通知";
            case WAITLIST_OFFER -> "候补到号";
        };
    }

    private String where(Booking b, Place p) {
        return b.facilityName() + (p.address() == null ? "" : "（" + p.address() + "）");
    }

    private static String what(Booking b) {
        return b.serviceName() + (b.doseNumber() != null ? "第" + b.doseNumber() + "剂" : "");
    }

    private static String when(Booking b) {
        return date(b.date()) + slice(b.startsAt(), b.endsAt());
    }

    private String howToCancel(Booking b) {
        return "取消请回复“取消" + b.code() + "”或拨打" + hotline + "。";
    }

    private static String nextDoseLine(Booking b) {
        return b.nextDoseFrom() == null ? "" : "第" + (b.doseNumber() + 1) + "剂最早" + date(b.nextDoseFrom()) + "可约。";
    }

    static String date(LocalDate d) {
        return d.getMonthValue() + "月" + d.getDayOfMonth() + "日（" + d.getDayOfWeek().getDisplayName(TextStyle.FULL,
                Locale.SIMPLIFIED_CHINESE) + "）";
    }

    static String slice(LocalDateTime start, LocalDateTime end) {
        int h = start.getHour();
        String period = h < 12 ? "上午" : h < 18 ? "下午" : "晚上";
        return period + hm(start) + (end == null ? "" : "-" + hm(end));
    }

    private static String hm(LocalDateTime t) {
        return String.format("%d:%02d", t.getHour(), t.getMinute());
    }
}
