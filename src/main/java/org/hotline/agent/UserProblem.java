package org.hotline.agent;

/** Why a user could not be created or changed, in words the admin screen shows. */
public enum UserProblem {
    USERNAME_INVALID("用户名只能包含字母、数字、点、横线和下划线，3 到 64 个字符"),
    USERNAME_TAKEN("该用户名已存在"),
    PASSWORD_TOO_SHORT("密码太短"),
    PASSWORD_TOO_LONG("密码太长（最多 72 个字节）"),
    PASSWORD_TOO_COMMON("密码太常见或太有规律（如 1234567890、aaaaaaaaaa、password123），请换一个"),
    PASSWORD_LIKE_USERNAME("密码不能与用户名相同或相近"),
    DISPLAY_NAME_TOO_LONG("显示名最多 64 个字符"),
    DOCTOR_NEEDS_CENTRE("社区医生必须属于一个社区卫生服务中心"),
    ONLY_DOCTORS_HAVE_CENTRE("只有社区医生、导诊台和医院管理员可以关联机构"),
    DESK_NEEDS_FACILITY("导诊台必须属于一家医院或接种点"),
    HOSPITAL_ADMIN_NEEDS_FACILITY("医院管理员必须属于一家机构"),
    NOT_FOUND("没有找到该用户"),
    LAST_ADMIN("不能停用最后一个管理员");

    private final String text;

    UserProblem(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }
}
