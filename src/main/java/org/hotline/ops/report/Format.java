package org.hotline.ops.report;

import java.util.Locale;

import org.hotline.booking.Channel;
import org.hotline.booking.Pool;

/** How the reports write channels, pools and shares in Chinese. */
public final class Format {

    /** For templates: SpEL calls the static methods through an instance. */
    public static final Format INSTANCE = new Format();

    private Format() {
    }

    public static String channel(Channel c) {
        return switch (c) {
            case PHONE_MENU -> "语音菜单";
            case AGENT -> "人工坐席";
            case COMMUNITY_DOCTOR -> "社区医生";
            case SMS_REPLY -> "短信回复";
            case HOSPITAL -> "医院系统";
        };
    }

    public static String channel(String name) {
        try {
            return channel(Channel.valueOf(name));
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    public static String pool(Pool p) {
        return switch (p) {
            case ONSITE -> "现场号";
            case COMMUNITY -> "社区号";
            case PUBLIC -> "普通号";
        };
    }

    public static String transferReason(String reason) {
        return switch (reason) {
            case "ASKED_FOR_PERSON" -> "来电人按零";
            case "REPEATED_FAILURE" -> "多次按键失败";
            case "REFUSAL" -> "预约被拒";
            case "NOT_IN_MENU" -> "菜单无法办理";
            case "UNVERIFIED_CALLER" -> "来电号码无法确认";
            case "LOOKUP_LIMIT" -> "查询预约次数过多";
            case "SYSTEM_FAULT" -> "系统故障";
            default -> reason;
        };
    }

    public static String callbackReason(String reason) {
        return switch (reason) {
            case "OUTSIDE_HOURS" -> "非人工服务时间";
            case "LONG_WAIT" -> "排队过久";
            default -> reason;
        };
    }

    public static String releaseAction(String action) {
        return switch (action) {
            case "OPEN" -> "放号";
            case "MOVE_TO_PUBLIC" -> "未用社区号转普通号";
            case "MOVE_TO_ONSITE" -> "未用号转现场号";
            default -> action;
        };
    }

    public static String pool(String name) {
        try {
            return pool(Pool.valueOf(name));
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    public static String ageBand(AgeBand b) {
        return b.label();
    }

    public static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }
}
