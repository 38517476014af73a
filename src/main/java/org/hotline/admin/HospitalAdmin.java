package org.hotline.admin;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

import org.hotline.agent.Actor;
import org.hotline.agent.AuditTrail;
import org.hotline.agent.ConsoleRole;
import org.hotline.booking.BookableService;
import org.hotline.booking.Catalogue;
import org.hotline.booking.CatalogueAdmin;
import org.hotline.booking.Facility;
import org.hotline.booking.Period;
import org.hotline.booking.ServiceKind;
import org.hotline.booking.SessionCancellations;
import org.hotline.booking.SpokenNames;
import org.hotline.booking.Vaccine;
import org.hotline.booking.VaccineSchedule;
import org.hotline.release.BureauRules.Breach;
import org.hotline.release.Closures;
import org.hotline.release.ReleasePolicy;
import org.hotline.release.RosterAdmin;
import org.hotline.release.ScheduleGenerator.WeeklyTemplate;

/**
 * What an administrator may do to the catalogue, and for which facility: an {@link ConsoleRole#ADMIN} everything
 * (and may store a roster or policy against the bureau's rules with a reason); a
 * {@link ConsoleRole#HOSPITAL_ADMIN} their own facility's departments, vaccine services, rosters, closures,
 * policies and spoken names, and nothing else: another facility, or anything in it, is answered exactly as one that
 * does not exist ({@link NotFound}). Every change needs a reason and is written to the audit trail with who and why,
 * in the change's own transaction.
 */
@Service
public class HospitalAdmin {

    /** Not there, or not this administrator's: the same answer either way. */
    public static final class NotFound extends RuntimeException {
        public NotFound(String text) {
            super(text);
        }
    }

    /** This role may not do this at all (a hospital administrator adding a facility, overriding a rule). */
    public static final class Forbidden extends RuntimeException {
        public Forbidden(String text) {
            super(text);
        }
    }

    /** A change the bureau's rules refuse; an ADMIN may store it with {@code overrideReason}. */
    public static final class RulesBroken extends RuntimeException {
        private final List<Breach> breaches;
        private final boolean overrideAllowed;

        public RulesBroken(List<Breach> breaches, boolean overrideAllowed) {
            super(String.join("；", breaches.stream().map(Breach::text).toList()));
            this.breaches = breaches;
            this.overrideAllowed = overrideAllowed;
        }

        public List<Breach> breaches() {
            return breaches;
        }

        public boolean overrideAllowed() {
            return overrideAllowed;
        }
    }

    /** A closure that would cancel bookings: asked again with the bookings' cancellation ({@link #cancelAndClose}). */
    public static final class HasBookings extends RuntimeException {
        private final List<org.hotline.booking.QuotaPools.SessionTaken> sessions;

        public HasBookings(List<org.hotline.booking.QuotaPools.SessionTaken> sessions) {
            super("该日期或时段已有预约：停开须同时停诊（取消这些预约，短信通知患者和家属改约）");
            this.sessions = sessions;
        }

        public List<org.hotline.booking.QuotaPools.SessionTaken> sessions() {
            return sessions;
        }
    }

    /** A service as the administrator's screen shows it. */
    public record ServiceView(BookableService service, boolean speakable, Optional<SpokenNames.Stored> name,
            List<RosterAdmin.RosterLine> roster) {
    }

    public record FacilityView(Facility facility, boolean speakable, Optional<SpokenNames.Stored> name,
            List<ServiceView> services, ReleasePolicy policy, boolean policyStored, List<Closures.Closure> closures) {
    }

    private static final String NO_FACILITY = "没有这个机构";
    private static final String NO_SERVICE = "没有这个科室或疫苗服务";

    private final Catalogue catalogue;
    private final CatalogueAdmin entries;
    private final SpokenNames names;
    private final NameRecordings recordings;
    private final RosterAdmin rosters;
    private final Closures closures;
    private final SessionCancellations cancellations;
    private final VaccineSchedule schedules;
    private final AuditTrail audit;
    private final TransactionTemplate tx;
    private final java.time.Clock clock;

    public HospitalAdmin(Catalogue catalogue, CatalogueAdmin entries, SpokenNames names, NameRecordings recordings,
            RosterAdmin rosters, Closures closures, SessionCancellations cancellations, VaccineSchedule schedules,
            AuditTrail audit, TransactionTemplate tx, java.time.Clock clock) {
        this.cancellations = cancellations;
        this.schedules = schedules;
        this.catalogue = catalogue;
        this.entries = entries;
        this.names = names;
        this.recordings = recordings;
        this.rosters = rosters;
        this.closures = closures;
        this.audit = audit;
        this.tx = tx;
        this.clock = clock;
    }

    // ------------------------------------------------------------------ scope

    static boolean isAdmin(Actor a) {
        return a.role() == ConsoleRole.ADMIN;
    }

    /** The facility, when this administrator may administer it; else as if it did not exist. */
    public Facility facility(Actor a, long facilityId) {
        if (!(isAdmin(a) || (a.role() == ConsoleRole.HOSPITAL_ADMIN && a.facilityId() != null
                && a.facilityId() == facilityId))) {
            throw new NotFound(NO_FACILITY);
        }
        return catalogue.facility(facilityId).orElseThrow(() -> new NotFound(NO_FACILITY));
    }

    /** The facility's service, when this administrator may administer the facility. */
    public BookableService service(Actor a, long facilityId, long serviceId) {
        facility(a, facilityId);
        return catalogue.service(serviceId).filter(s -> s.facilityId() == facilityId)
                .orElseThrow(() -> new NotFound(NO_SERVICE));
    }

    public List<Facility> facilities(Actor a) {
        if (isAdmin(a)) {
            return entries.facilities();
        }
        if (a.role() == ConsoleRole.HOSPITAL_ADMIN && a.facilityId() != null) {
            return catalogue.facility(a.facilityId()).map(List::of).orElse(List.of());
        }
        return List.of();
    }

    public FacilityView view(Actor a, long facilityId) {
        Facility f = facility(a, facilityId);
        List<ServiceView> services = new ArrayList<>();
        for (ServiceKind k : ServiceKind.values()) {
            for (BookableService s : catalogue.services(facilityId, k)) {
                services.add(new ServiceView(s, entries.speakable(SpokenNames.Kind.SERVICE, s.id()),
                        names.stored(SpokenNames.Kind.SERVICE, s.id()), rosters.lines(s.id())));
            }
        }
        return new FacilityView(f, entries.speakable(SpokenNames.Kind.FACILITY, f.id()),
                names.stored(SpokenNames.Kind.FACILITY, f.id()), services, rosters.policy(facilityId, null),
                rosters.storedPolicy(facilityId), closures.list(facilityId, LocalDate.now(clock)));
    }

    // ------------------------------------------------------------------ catalogue

    public long addFacility(Actor a, CatalogueAdmin.NewFacility f, String reason) {
        if (!isAdmin(a)) {
            throw new Forbidden("只有管理员可以新建机构");
        }
        return audited(a, "CATALOGUE_FACILITY", reason, () -> entries.addFacility(f),
                id -> "新建机构 " + f.name() + "（" + f.code() + "，" + f.kind() + "）");
    }

    public long addDepartment(Actor a, long facilityId, String code, String name, String doctor, String reason) {
        facility(a, facilityId);
        return audited(a, "CATALOGUE_SERVICE", reason,
                () -> entries.addDepartment(new CatalogueAdmin.NewDepartment(facilityId, code, name, doctor)),
                id -> "新建科室 " + name + "（" + code + "）于机构 " + facilityId);
    }

    public void updateService(Actor a, long facilityId, long serviceId, String name, String doctor, String reason) {
        service(a, facilityId, serviceId);
        audited(a, "CATALOGUE_SERVICE", reason, () -> {
            entries.updateService(serviceId, name, doctor);
            return serviceId;
        }, id -> "修改科室 " + serviceId + " 为 " + name);
    }

    public long addVaccine(Actor a, CatalogueAdmin.NewVaccine v, String reason) {
        return addVaccine(a, v, new VaccineSchedule.Schedule(v.doses(), v.minIntervalDays(), v.minAgeYears(),
                v.maxAgeYears(), null, null, null, List.of()), reason);
    }

    /** A new vaccine type with its schedule (ADMIN: a vaccine is every clinic's). */
    public long addVaccine(Actor a, CatalogueAdmin.NewVaccine v, VaccineSchedule.Schedule schedule, String reason) {
        if (!isAdmin(a)) {
            throw new Forbidden("只有管理员可以新建疫苗品种");
        }
        return audited(a, "CATALOGUE_VACCINE", reason, () -> entries.addVaccine(v, schedule),
                id -> "新建疫苗 " + v.name() + "（" + v.code() + "）：" + describe(schedule));
    }

    /** A vaccine type renamed and its schedule changed (ADMIN); bookings already made keep their dose. */
    public void updateVaccine(Actor a, long vaccineId, String name, String bringNote, VaccineSchedule.Schedule schedule,
            String reason) {
        if (!isAdmin(a)) {
            throw new Forbidden("只有管理员可以修改疫苗品种");
        }
        vaccine(vaccineId);
        String before = describe(schedules.of(vaccineId));
        audited(a, "CATALOGUE_VACCINE", reason, () -> {
            entries.updateVaccine(vaccineId, name, bringNote, schedule);
            return vaccineId;
        }, id -> "修改疫苗 " + vaccineId + " " + name + "：" + before + " → " + describe(schedule));
    }

    public List<Vaccine> vaccines() {
        return catalogue.vaccines();
    }

    /** A vaccine type as its screen shows it: the schedule and whether the phone menu can say its name. */
    public record VaccineView(Vaccine vaccine, String seasonStart, String seasonEnd, Integer boosterAfterDays,
            List<VaccineSchedule.Dose> perDose, boolean speakable, Optional<SpokenNames.Stored> name) {
    }

    public List<VaccineView> vaccineViews(Actor a) {
        if (!(isAdmin(a) || a.role() == ConsoleRole.HOSPITAL_ADMIN)) {
            throw new Forbidden("无权查看");
        }
        List<VaccineView> out = new ArrayList<>();
        for (Vaccine v : catalogue.vaccines()) {
            VaccineSchedule.Schedule s = schedules.of(v.id());
            out.add(new VaccineView(v, monthDay(s.seasonStart()), monthDay(s.seasonEnd()), s.boosterAfterDays(),
                    s.perDose(), entries.speakable(SpokenNames.Kind.VACCINE, v.id()),
                    names.stored(SpokenNames.Kind.VACCINE, v.id())));
        }
        return out;
    }

    /** The vaccine's spoken name generated from {@code text} (its name when blank), ADMIN. */
    public String generateVaccineName(Actor a, long vaccineId, String text, String reason) {
        if (!isAdmin(a)) {
            throw new Forbidden("疫苗品种的名称录音由管理员维护");
        }
        Vaccine v = vaccine(vaccineId);
        String spoken = text == null || text.isBlank() ? v.name() : text.strip();
        if (spoken.length() > 100) {
            throw new CatalogueAdmin.Invalid("spokenText", "名称读法最多 100 个字");
        }
        byte[] wav = recordings.speak(spoken);
        return audited(a, "CATALOGUE_NAME", reason, () -> names.store(SpokenNames.Kind.VACCINE, vaccineId, wav, "TTS",
                a.username()), id -> "生成名称语音 VACCINE " + vaccineId + "：" + spoken);
    }

    /** The vaccine's spoken name from a recording (any common WAV, converted), ADMIN. */
    public String uploadVaccineName(Actor a, long vaccineId, byte[] wav, String reason) {
        if (!isAdmin(a)) {
            throw new Forbidden("疫苗品种的名称录音由管理员维护");
        }
        vaccine(vaccineId);
        byte[] converted = recordings.fromUpload(wav);
        return audited(a, "CATALOGUE_NAME", reason, () -> names.store(SpokenNames.Kind.VACCINE, vaccineId, converted,
                "UPLOAD", a.username()), id -> "上传名称录音 VACCINE " + vaccineId + "（" + converted.length + " 字节）");
    }

    private Vaccine vaccine(long vaccineId) {
        return catalogue.vaccines().stream().filter(v -> v.id() == vaccineId).findFirst()
                .orElseThrow(() -> new NotFound("没有这个疫苗"));
    }

    /**
     * A schedule from what a form or a CSV line says: season days as MM-DD (both or neither), per-dose rules as
     * given. Malformed: {@link CatalogueAdmin.Invalid} naming the field; then checked as a whole
     * ({@link CatalogueAdmin#checkSchedule}).
     */
    public static VaccineSchedule.Schedule schedule(int doses, int minIntervalDays, int minAgeYears, int maxAgeYears,
            String seasonStart, String seasonEnd, Integer boosterAfterDays, List<VaccineSchedule.Dose> perDose) {
        java.time.MonthDay from = parseMonthDay("seasonStart", seasonStart);
        java.time.MonthDay to = parseMonthDay("seasonEnd", seasonEnd);
        if ((from == null) != (to == null)) {
            throw new CatalogueAdmin.Invalid(from == null ? "seasonStart" : "seasonEnd", "接种季须同时填写开始和结束日期（MM-DD）");
        }
        VaccineSchedule.Schedule s = new VaccineSchedule.Schedule(doses, minIntervalDays, minAgeYears, maxAgeYears, from,
                to, boosterAfterDays, perDose);
        CatalogueAdmin.checkSchedule(s);
        return s;
    }

    static java.time.MonthDay parseMonthDay(String field, String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return java.time.MonthDay.parse("--" + text.strip());
        } catch (java.time.format.DateTimeParseException e) {
            throw new CatalogueAdmin.Invalid(field, "日期须为 MM-DD（如 09-01）");
        }
    }

    static String monthDay(java.time.MonthDay d) {
        return d == null ? null : String.format("%02d-%02d", d.getMonthValue(), d.getDayOfMonth());
    }

    /** A schedule in one line, for the audit trail. */
    static String describe(VaccineSchedule.Schedule s) {
        StringBuilder b = new StringBuilder(s.doses() + " 剂，间隔 " + s.minIntervalDays() + " 天，" + s.minAgeYears() + "–"
                + s.maxAgeYears() + " 岁");
        if (s.seasonStart() != null) {
            b.append("，接种季 ").append(monthDay(s.seasonStart())).append(" 至 ").append(monthDay(s.seasonEnd()));
        }
        if (s.boosterAfterDays() != null) {
            b.append("，加强 ").append(s.boosterAfterDays()).append(" 天后");
        }
        for (VaccineSchedule.Dose d : s.perDose()) {
            b.append("；第 ").append(d.number()).append(" 剂 间隔 ").append(d.minIntervalDays() == null ? "-" : d.minIntervalDays())
                    .append("–").append(d.maxIntervalDays() == null ? "-" : d.maxIntervalDays()).append(" 天 年龄 ")
                    .append(d.minAgeYears() == null ? "-" : d.minAgeYears()).append("–")
                    .append(d.maxAgeYears() == null ? "-" : d.maxAgeYears());
        }
        return b.toString();
    }

    public long addVaccineService(Actor a, long facilityId, long vaccineId, String code, String name, String reason) {
        facility(a, facilityId);
        return audited(a, "CATALOGUE_SERVICE", reason,
                () -> entries.addVaccineService(facilityId, vaccineId, code, name),
                id -> "新建疫苗服务 " + code + "（疫苗 " + vaccineId + "）于机构 " + facilityId);
    }

    // ------------------------------------------------------------------ spoken names

    /** Checks the entry is this administrator's; a vaccine's name (shared by every clinic) is an ADMIN's. */
    void nameScope(Actor a, long facilityId, SpokenNames.Kind kind, long entryId) {
        switch (kind) {
            case FACILITY -> {
                facility(a, facilityId);
                if (entryId != facilityId) {
                    throw new NotFound(NO_FACILITY);
                }
            }
            case SERVICE -> service(a, facilityId, entryId);
            case VACCINE -> {
                facility(a, facilityId);
                if (!isAdmin(a)) {
                    throw new Forbidden("疫苗品种的名称录音由管理员维护");
                }
                if (catalogue.vaccines().stream().noneMatch(v -> v.id() == entryId)) {
                    throw new NotFound("没有这个疫苗");
                }
            }
        }
    }

    public String uploadName(Actor a, long facilityId, SpokenNames.Kind kind, long entryId, byte[] wav, String reason) {
        nameScope(a, facilityId, kind, entryId);
        byte[] converted = recordings.fromUpload(wav);
        return audited(a, "CATALOGUE_NAME", reason,
                () -> names.store(kind, entryId, converted, "UPLOAD", a.username()),
                id -> "上传名称录音 " + kind + " " + entryId + "（" + converted.length + " 字节）");
    }

    public String generateName(Actor a, long facilityId, SpokenNames.Kind kind, long entryId, String reason) {
        nameScope(a, facilityId, kind, entryId);
        String text = switch (kind) {
            case FACILITY -> catalogue.facility(entryId).map(Facility::name).orElseThrow();
            case SERVICE -> catalogue.service(entryId).map(s -> s.doctorName() == null ? s.name()
                    : s.name() + "，" + s.doctorName() + "医生").orElseThrow();
            case VACCINE -> catalogue.vaccines().stream().filter(v -> v.id() == entryId).findFirst()
                    .map(Vaccine::name).orElseThrow();
        };
        byte[] wav = recordings.speak(text);
        return audited(a, "CATALOGUE_NAME", reason, () -> names.store(kind, entryId, wav, "TTS", a.username()),
                id -> "生成名称语音 " + kind + " " + entryId + "：" + text);
    }

    public Optional<byte[]> nameAudio(Actor a, long facilityId, SpokenNames.Kind kind, long entryId) {
        nameScope(a, facilityId, kind, entryId);
        return names.stored(kind, entryId).flatMap(s -> names.audio(s.sha1()));
    }

    // ------------------------------------------------------------------ rosters, policies, closures

    public record RosterInput(DayOfWeek day, String period, LocalTime starts, LocalTime ends, int slotMinutes,
            int onsite, int community, int pub) {
    }

    public RosterAdmin.Outcome saveRoster(Actor a, long facilityId, long serviceId, RosterInput in, String reason,
            String overrideReason) {
        service(a, facilityId, serviceId);
        requireReason(reason);
        WeeklyTemplate t = template(serviceId, in);
        boolean mayOverride = isAdmin(a);
        String what = "排班 服务 " + serviceId + " 周" + in.day().getValue() + " " + in.period() + " " + in.starts() + "–"
                + in.ends() + " 每 " + in.slotMinutes() + " 分钟 现场 " + in.onsite() + " 社区 " + in.community() + " 普通 "
                + in.pub();
        RosterAdmin.Outcome out = rosters.save(t, overrideReason, a.username(), mayOverride,
                o -> record(a, "ROSTER_SAVE", o.overridden() ? "OVERRIDE" : "OK", what + (o.overridden()
                        ? "；违反 " + rules(o.breaches()) + "，越权理由：" + overrideReason : "") + "；原因：" + reason));
        if (!out.stored()) {
            record(a, "ROSTER_SAVE", "POLICY_RULES", what + "；违反：" + rules(out.breaches()) + "；原因：" + reason);
            throw new RulesBroken(out.breaches(), mayOverride);
        }
        return out;
    }

    public RosterAdmin.Regenerated deleteRoster(Actor a, long facilityId, long serviceId, DayOfWeek day, String period,
            String reason) {
        service(a, facilityId, serviceId);
        requireReason(reason);
        return rosters.delete(serviceId, day, period, () -> record(a, "ROSTER_DELETE", "OK", "删除排班 服务 " + serviceId
                + " 周" + day.getValue() + " " + period + "；原因：" + reason));
    }

    public RosterAdmin.Outcome savePolicy(Actor a, long facilityId, Long serviceId, ReleasePolicy p, String reason,
            String overrideReason) {
        facility(a, facilityId);
        if (serviceId != null) {
            service(a, facilityId, serviceId);
        }
        requireReason(reason);
        boolean mayOverride = isAdmin(a);
        String what = "放号策略 机构 " + facilityId + (serviceId == null ? "" : " 服务 " + serviceId) + "：普通号提前 "
                + p.publicDaysAhead() + " 天 " + p.publicOpensAt() + "，社区号提前 " + p.communityDaysAhead() + " 天 "
                + p.communityOpensAt();
        RosterAdmin.Outcome out = rosters.savePolicy(facilityId, serviceId, p, overrideReason, a.username(), mayOverride,
                o -> record(a, "POLICY_SAVE", o.overridden() ? "OVERRIDE" : "OK", what + (o.overridden()
                        ? "；违反 " + rules(o.breaches()) + "，越权理由：" + overrideReason : "") + "；原因：" + reason));
        if (!out.stored()) {
            record(a, "POLICY_SAVE", "POLICY_RULES", what + "；违反：" + rules(out.breaches()) + "；原因：" + reason);
            throw new RulesBroken(out.breaches(), mayOverride);
        }
        return out;
    }

    public Closures.Outcome close(Actor a, long facilityId, Long serviceId, LocalDate date, String period,
            String reason) {
        facility(a, facilityId);
        if (serviceId != null) {
            service(a, facilityId, serviceId);
        }
        requireReason(reason);
        String what = "停开 机构 " + facilityId + (serviceId == null ? "" : " 服务 " + serviceId) + " " + date
                + (period == null ? " 全天" : " " + period);
        Closures.Outcome out = closures.close(facilityId, serviceId, date, period, reason, a.username(),
                o -> record(a, "CLOSURE", "OK", what + "（" + o.sessionsClosed() + " 个已生成的时段关闭）；原因：" + reason));
        if (!out.closed()) {
            record(a, "CLOSURE", out.duplicate() ? "DUPLICATE" : "HAS_BOOKINGS", what + "；原因：" + reason);
            if (out.duplicate()) {
                throw new CatalogueAdmin.Invalid("date", "该日期（时段）已停开");
            }
            throw new HasBookings(out.withBookings());
        }
        return out;
    }

    /**
     * What closing a day or session with bookings did: the 停诊 ({@link SessionCancellations#cancel}: every booking
     * cancelled with reason HOSPITAL, the places not resold, each patient and family phone told the nearest free
     * slice with "reply 1", the elders on the worklist), then the closure recorded so no later generation reopens it.
     *
     * @param cancelled the 停诊, or null when there was nothing left to cancel (already cancelled, no session)
     */
    public record Cancelled(SessionCancellations.Result.Done cancelled, Closures.Outcome closure) {
    }

    /**
     * Closes a day or one session that has bookings, from the closure screen itself: cancels its sessions through
     * the session-cancellation flow (停诊, as {@code /console/closures} does) and records the closure. Scoped as
     * every change here: another facility (or its service) is {@link NotFound}; audited as {@code SESSION_CANCEL}
     * and {@code CLOSURE} with who and why.
     */
    public Cancelled cancelAndClose(Actor a, long facilityId, Long serviceId, LocalDate date, String period,
            String reason) {
        facility(a, facilityId);
        if (serviceId != null) {
            service(a, facilityId, serviceId);
        }
        requireReason(reason);
        if (date == null) {
            throw new CatalogueAdmin.Invalid("date", "请选择日期");
        }
        Period p;
        try {
            p = period == null ? null : Period.valueOf(period);
        } catch (IllegalArgumentException e) {
            throw new CatalogueAdmin.Invalid("period", "时段须为 MORNING、AFTERNOON 或 EVENING");
        }
        String why = reason.strip();
        String what = "机构 " + facilityId + (serviceId == null ? " 全部科室" : " 科室 " + serviceId) + " " + date + " "
                + (p == null ? "全天" : p.name()) + "：" + why;
        SessionCancellations.Result r = cancellations.cancel(a.username(), facilityId, serviceId, date, p, why);
        SessionCancellations.Result.Done done = null;
        if (r instanceof SessionCancellations.Result.Done d) {
            done = d;
            record(a, "SESSION_CANCEL", "OK", "停诊 " + d.cancellationId() + " " + what + "；出诊 " + d.sessions() + "，时段 "
                    + d.slots() + "，取消预约 " + d.bookingsCancelled() + "（60岁以上 " + d.elders() + "，已提供改约 "
                    + d.offered() + "）（机构管理·停开）");
        } else {
            SessionCancellations.Problem problem = ((SessionCancellations.Result.Refused) r).problem();
            record(a, "SESSION_CANCEL", problem.name(), what + "：" + problem.text());
            if (problem != SessionCancellations.Problem.NOTHING_TO_CANCEL
                    && problem != SessionCancellations.Problem.ALREADY_CANCELLED) {
                throw new CatalogueAdmin.Invalid("date", problem.text());
            }
        }
        // the day itself: recorded as closed (the cancelled sessions have no place taken any more)
        String closed = "停开 机构 " + facilityId + (serviceId == null ? "" : " 服务 " + serviceId) + " " + date
                + (period == null ? " 全天" : " " + period);
        Closures.Outcome out = closures.close(facilityId, serviceId, date, period, why, a.username(),
                o -> record(a, "CLOSURE", "OK", closed + "（停诊后，" + o.sessionsClosed() + " 个已生成的时段关闭）；原因：" + why));
        if (!out.closed() && !out.duplicate()) {
            // a place taken between the cancellation and the closure (a desk booking on the ONSITE pool): say so
            record(a, "CLOSURE", "HAS_BOOKINGS", closed + "（停诊后仍有预约）；原因：" + why);
            throw new HasBookings(out.withBookings());
        }
        return new Cancelled(done, out);
    }

    public void reopen(Actor a, long facilityId, long closureId, String reason) {
        facility(a, facilityId);
        requireReason(reason);
        if (!closures.reopen(facilityId, closureId, () -> record(a, "CLOSURE_REOPEN", "OK", "恢复开放 机构 " + facilityId
                + " 记录 " + closureId + "；原因：" + reason))) {
            throw new NotFound("没有这个停开记录");
        }
        for (ServiceKind k : ServiceKind.values()) {
            for (BookableService s : catalogue.services(facilityId, k)) {
                rosters.regenerate(s.id());
            }
        }
    }

    public List<RosterAdmin.Override> overrides(Actor a) {
        return rosters.overrides(isAdmin(a) ? null : a.facilityId());
    }

    // ------------------------------------------------------------------ helpers

    static WeeklyTemplate template(long serviceId, RosterInput in) {
        if (in.day() == null || in.period() == null || in.starts() == null || in.ends() == null) {
            throw new CatalogueAdmin.Invalid("day", "请填写星期、时段与起止时间");
        }
        if (!List.of("MORNING", "AFTERNOON", "EVENING").contains(in.period())) {
            throw new CatalogueAdmin.Invalid("period", "时段须为 MORNING、AFTERNOON 或 EVENING");
        }
        if (!in.ends().isAfter(in.starts())) {
            throw new CatalogueAdmin.Invalid("ends", "结束时间须晚于开始时间");
        }
        if (in.slotMinutes() < 5 || in.slotMinutes() > 240) {
            throw new CatalogueAdmin.Invalid("slotMinutes", "每个时段 5 到 240 分钟");
        }
        if (in.onsite() < 0 || in.community() < 0 || in.pub() < 0 || in.onsite() > 500 || in.community() > 500
                || in.pub() > 500) {
            throw new CatalogueAdmin.Invalid("pub", "号源数须在 0 到 500 之间");
        }
        return new WeeklyTemplate(serviceId, in.day(), in.period(), in.starts(), in.ends(), in.slotMinutes(), in.onsite(),
                in.community(), in.pub());
    }

    static String rules(List<Breach> b) {
        return String.join(",", b.stream().map(x -> x.rule().name()).toList());
    }

    static void requireReason(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new CatalogueAdmin.Invalid("reason", "请填写修改原因");
        }
        if (reason.length() > 300) {
            throw new CatalogueAdmin.Invalid("reason", "修改原因最多 300 个字");
        }
    }

    void record(Actor a, String action, String outcome, String detail) {
        audit.record(a, AuditTrail.Entry.of(action, outcome).detail(detail));
    }

    private <T> T audited(Actor a, String action, String reason, Supplier<T> change,
            java.util.function.Function<T, String> detail) {
        requireReason(reason);
        return tx.execute(s -> {
            T id = change.get();
            record(a, action, "OK", detail.apply(id) + "；原因：" + reason.strip());
            return id;
        });
    }
}
