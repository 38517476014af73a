package org.hotline.agent;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

import org.hotline.booking.Booking;
import org.hotline.booking.BookingEvents;
import org.hotline.booking.BookingOutcome;
import org.hotline.booking.BookingRequest;
import org.hotline.booking.BookingService;
import org.hotline.booking.CancelOutcome;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Channel;
import org.hotline.booking.CheckInOutcome;
import org.hotline.booking.MoveRequest;
import org.hotline.booking.PhoneNumber;
import org.hotline.booking.Pool;
import org.hotline.booking.Refusal;
import org.hotline.booking.ResidentId;
import org.hotline.booking.SlotOffer;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;

/**
 * Booking for a caller from the console, always through {@link BookingService} and its rules: agents
 * book on channel AGENT (PUBLIC pool only), community doctors on COMMUNITY_DOCTOR with their centre as
 * the referring facility. Every action leaves an audit row; a successful booking or cancellation writes
 * it inside the booking's own transaction (from the booking event), a refusal right after.
 */
@Service
public class AgentDesk {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

    /**
     * The console action a booking call is made for: handed to {@link BookingService} with the request and
     * carried back on its events, so the audit row is written inside the booking's own transaction.
     */
    private record ConsoleAction(Actor actor, String action, String transferId, String note)
            implements BookingEvents.Context {
    }

    private final BookingService booking;
    private final Catalogue catalogue;
    private final TransferLog transfers;
    private final ConsoleUsers users;
    private final AuditTrail audit;

    public AgentDesk(BookingService booking, Catalogue catalogue, TransferLog transfers, ConsoleUsers users,
            AuditTrail audit) {
        this.booking = booking;
        this.catalogue = catalogue;
        this.transfers = transfers;
        this.users = users;
        this.audit = audit;
    }

    /**
     * What the console asks for when it books.
     *
     * @param pool       a pool asked for explicitly, or null for the channel's first pool with room
     * @param transferId the transferred call this booking is made for, or null
     */
    public record BookRequest(long slotId, Pool pool, String residentId, String smsPhone, List<String> familyPhones,
            String callingNumber, String transferId) {
    }

    /** The answer to a move: the new booking (the old one cancelled), or why not and whether the old one stands. */
    public sealed interface MoveOutcome {
        record Moved(Booking from, Booking to) implements MoveOutcome {
        }

        /** {@code standing}: the booking the caller has now (the old one, or its restored copy), or null. */
        record Refused(Refusal reason, LocalDate earliestDate, Booking standing) implements MoveOutcome {
        }
    }

    public List<SlotOffer> slots(Actor actor, long serviceId, LocalDate date) {
        Channel channel = actor.role().channel();
        return channel == null ? List.of() : catalogue.slots(serviceId, date, channel);
    }

    public List<LocalDate> dates(Actor actor, long serviceId) {
        Channel channel = actor.role().channel();
        return channel == null ? List.of() : catalogue.dates(serviceId, channel);
    }

    public BookingOutcome book(Actor actor, BookRequest req) {
        Channel channel = actor.role().channel();
        ConsoleInput.positive("slotId", req.slotId());
        ConsoleInput.residentId("residentId", req.residentId());
        ConsoleInput.phone("smsPhone", req.smsPhone());
        ConsoleInput.phone("callingNumber", req.callingNumber());
        if (req.familyPhones() != null) {
            if (req.familyPhones().size() > ConsoleInput.MAX_FAMILY_PHONES) {
                throw new ConsoleInput.BadInput("familyPhones", "家属电话最多 " + ConsoleInput.MAX_FAMILY_PHONES + " 个");
            }
            req.familyPhones().forEach(p -> ConsoleInput.phone("familyPhones", p));
        }
        String transferId = knownTransfer(req.transferId());
        if (channel == null) {
            return refused(actor, "BOOK", transferId, new BookingOutcome.Refused(Refusal.NOT_ALLOWED),
                    "时段 " + req.slotId());
        }
        // what the rules would refuse at confirmation anyway is refused before a place is held
        Refusal early = early(req);
        if (early != null) {
            return refused(actor, "BOOK", transferId, new BookingOutcome.Refused(early), "时段 " + req.slotId()
                    + "，患者 " + ResidentId.mask(req.residentId()));
        }
        String calling = callingNumber(req.callingNumber(), transferId);
        BookingRequest request = new BookingRequest(0, req.residentId(), blankToNull(req.smsPhone()),
                cleanPhones(req.familyPhones()), calling, channel, actor.username(), referringFacility(actor),
                new ConsoleAction(actor, "BOOK", transferId, null));
        BookingOutcome out = booking.book(req.slotId(), req.pool(), request);
        if (out instanceof BookingOutcome.Refused r) {
            return refused(actor, "BOOK", transferId, r, "时段 " + req.slotId() + (req.pool() == null ? ""
                    : " 号源 " + req.pool()) + "，患者 " + ResidentId.mask(req.residentId()));
        }
        return out;
    }

    public CancelOutcome cancel(Actor actor, long bookingId, String transferIdInput) {
        String transferId = knownTransfer(transferIdInput);
        Optional<Booking> b = booking.findById(bookingId);
        // a booking outside the user's reach is answered as one that does not exist (as reading it is: 404)
        Refusal why = b.isEmpty() || !mayActOn(actor, b.get()) ? Refusal.NOT_FOUND
                : actor.role().channel() != null ? null : Refusal.NOT_ALLOWED;
        if (why == null) {
            CancelOutcome out = booking.cancel(bookingId, actor.role().channel(), null, actor.username(),
                    new ConsoleAction(actor, "CANCEL", transferId, null));
            if (out instanceof CancelOutcome.Refused r) {
                why = r.reason();
            } else {
                return out;
            }
        }
        audit.record(actor, AuditTrail.Entry.of("CANCEL", why.name()).transfer(transferId)
                .booking(bookingId, b.map(Booking::code).orElse(null)).detail(why.text()));
        return new CancelOutcome.Refused(why);
    }

    /**
     * The front desk checks a patient in by the booking code they show or say: today's booking at the desk's
     * own facility becomes ATTENDED, and is audited either way.
     */
    public CheckInOutcome checkIn(Actor actor, String code) {
        ConsoleInput.maxLength("code", code, ConsoleInput.MAX_CODE);
        CheckInOutcome out = actor.role() == ConsoleRole.FRONT_DESK && actor.facilityId() != null
                ? booking.checkIn(code, actor.facilityId(), actor.username())
                : new CheckInOutcome.Refused(CheckInOutcome.Reason.OTHER_FACILITY, null);
        AuditTrail.Entry entry;
        Booking b;
        if (out instanceof CheckInOutcome.CheckedIn c) {
            b = c.booking();
            entry = AuditTrail.Entry.of("CHECK_IN", "OK").detail(b.patientMasked() + " " + b.startsAt().toLocalTime());
        } else {
            CheckInOutcome.Refused r = (CheckInOutcome.Refused) out;
            b = r.booking();
            entry = AuditTrail.Entry.of("CHECK_IN", r.reason().name()).detail(r.reason().text());
        }
        audit.record(actor, b == null ? entry : entry.booking(b.id(), b.code()));
        if (out instanceof CheckInOutcome.Refused r && b != null && !Objects.equals(b.facilityId(), actor.facilityId())) {
            // another facility's booking: the desk learns only that it is not here, nothing of it
            return new CheckInOutcome.Refused(r.reason(), null);
        }
        return out;
    }

    /**
     * Moves a booking to another slot in one transaction of the booking core ({@link BookingService#move}):
     * the old booking is cancelled and the new one made together, or nothing changes and the patient keeps
     * the old one. The caller must give the patient's resident ID.
     */
    public MoveOutcome move(Actor actor, long bookingId, long newSlotId, Pool pool, String residentId,
            String transferIdInput) {
        ConsoleInput.positive("slotId", newSlotId);
        ConsoleInput.residentId("residentId", residentId);
        String transferId = knownTransfer(transferIdInput);
        Channel channel = actor.role().channel();
        // a booking outside the user's reach is answered as one that does not exist, and shown in no refusal
        Optional<Booking> found = booking.findById(bookingId).filter(b -> mayActOn(actor, b));
        Refusal why = null;
        if (found.isEmpty()) {
            why = Refusal.NOT_FOUND;
        } else if (channel == null) {
            why = Refusal.NOT_ALLOWED;
        } else if (found.get().status() != Booking.BookingStatus.ACTIVE) {
            why = Refusal.NOT_ACTIVE;
        } else if (!channel.mayBook(found.get().pool())) {
            why = Refusal.POOL_NOT_FOR_CHANNEL;
        }
        if (why != null) {
            return moveRefused(actor, transferId, bookingId, new BookingOutcome.Refused(why),
                    found.filter(x -> x.status() == Booking.BookingStatus.ACTIVE).orElse(null));
        }
        Booking old = found.get();
        // the booking core checks the resident ID is this booking's patient (NOT_ALLOWED otherwise)
        org.hotline.booking.MoveOutcome out = booking.move(new MoveRequest(bookingId, newSlotId, pool, residentId,
                channel, actor.username(), referringFacility(actor), null,
                new ConsoleAction(actor, "MOVE", transferId, "改约：原预约 " + old.code())));
        if (out instanceof org.hotline.booking.MoveOutcome.Moved m) {
            return new MoveOutcome.Moved(m.from(), m.to());
        }
        org.hotline.booking.MoveOutcome.Refused r = (org.hotline.booking.MoveOutcome.Refused) out;
        return moveRefused(actor, transferId, bookingId, new BookingOutcome.Refused(r.reason(), r.earliestDate()),
                r.standing());
    }

    /** Bookings found by code, phone or resident ID (first given wins); doctors see only their centre's referrals. */
    public List<Booking> find(Actor actor, String code, String phone, String residentId) {
        ConsoleInput.maxLength("code", code, ConsoleInput.MAX_CODE);
        ConsoleInput.maxLength("phone", phone, ConsoleInput.MAX_PHONE);
        ConsoleInput.maxLength("residentId", residentId, ConsoleInput.MAX_RESIDENT_ID);
        List<Booking> list;
        String what;
        if (code != null && !code.isBlank()) {
            list = booking.findActiveByCode(code).map(List::of).orElse(List.of());
            what = "预约码 " + code.trim();
        } else if (phone != null && !phone.isBlank()) {
            list = booking.findByPhone(phone);
            what = "电话 " + PhoneNumber.mask(phone);
        } else if (residentId != null && !residentId.isBlank()) {
            list = booking.findByResidentId(residentId);
            what = "身份证 " + ResidentId.mask(residentId);
        } else {
            return List.of();
        }
        List<Booking> visible = list.stream().filter(b -> mayActOn(actor, b)).toList();
        audit.record(actor, AuditTrail.Entry.of("FIND", "OK").detail("查询" + what + "，" + visible.size() + " 条"));
        return visible;
    }

    public Optional<Booking> booking(Actor actor, long bookingId) {
        return booking.findById(bookingId).filter(b -> mayActOn(actor, b));
    }

    /** Agents serve every caller; a doctor only the referrals made from their own centre. */
    public boolean mayActOn(Actor actor, Booking b) {
        return switch (actor.role()) {
            case AGENT, SUPERVISOR -> true;
            case COMMUNITY_DOCTOR -> b.channel() == Channel.COMMUNITY_DOCTOR && b.actor() != null
                    && users.find(b.actor()).map(u -> actor.facilityId().equals(u.facilityId())).orElse(false);
            case ADMIN, FRONT_DESK, HOSPITAL_ADMIN -> false;
        };
    }

    // ---------------------------------------------------------------- audit of booking events

    @EventListener
    void onConfirmed(BookingEvents.BookingConfirmed e) {
        if (e.context() instanceof ConsoleAction a) {
            Booking b = e.booking();
            audit.record(a.actor(), AuditTrail.Entry.of(a.action(), "OK").transfer(a.transferId())
                    .booking(b.id(), b.code()).detail(prefix(a) + "预约 " + describe(b)));
        }
    }

    @EventListener
    void onCancelled(BookingEvents.BookingCancelled e) {
        if (e.context() instanceof ConsoleAction a) {
            Booking b = e.booking();
            audit.record(a.actor(), AuditTrail.Entry.of(a.action(), "OK").transfer(a.transferId())
                    .booking(b.id(), b.code()).detail(prefix(a) + "取消 " + describe(b)));
        }
    }

    private static String prefix(ConsoleAction a) {
        return a.note() == null ? "" : a.note() + "；";
    }

    private static String describe(Booking b) {
        return b.code() + " " + b.facilityName() + " " + b.serviceName() + " " + WHEN.format(b.startsAt()) + " "
                + b.pool() + "，患者 " + b.patientMasked() + "，短信 " + PhoneNumber.mask(b.smsPhone())
                + (b.familyPhones().isEmpty() ? "" : "，家属 " + b.familyPhones().size() + " 个");
    }

    // ---------------------------------------------------------------- helpers

    private BookingOutcome refused(Actor actor, String action, String transferId, BookingOutcome.Refused r,
            String what) {
        audit.record(actor, AuditTrail.Entry.of(action, r.reason().name()).transfer(transferId)
                .detail(what + "：" + r.reason().text()));
        return r;
    }

    private MoveOutcome moveRefused(Actor actor, String transferId, long bookingId, BookingOutcome.Refused r,
            Booking standing) {
        audit.record(actor, AuditTrail.Entry.of("MOVE", r.reason().name()).transfer(transferId)
                .booking(bookingId, null).detail("改约未成功：" + r.reason().text()
                        + (standing == null ? "，原预约已不存在" : "，现有预约 " + standing.code())));
        return new MoveOutcome.Refused(r.reason(), r.earliestDate(), standing);
    }

    private static Long referringFacility(Actor actor) {
        return actor.role() == ConsoleRole.COMMUNITY_DOCTOR ? actor.facilityId() : null;
    }

    /** What the booking rules would refuse about the patient and phones whatever the slot: checked before a hold. */
    private static Refusal early(BookRequest req) {
        ResidentId.Parsed id = ResidentId.parse(req.residentId());
        if (!id.valid()) {
            return id.refusal();
        }
        if (req.smsPhone() != null && !req.smsPhone().isBlank() && !PhoneNumber.isMobile(req.smsPhone())) {
            return Refusal.PHONE_NOT_MOBILE;
        }
        if (req.familyPhones() != null && req.familyPhones().stream()
                .anyMatch(p -> p != null && !p.isBlank() && !PhoneNumber.isMobile(p))) {
            return Refusal.PHONE_NOT_MOBILE;
        }
        return null;
    }

    /** A transfer id must name a recorded transfer: the audit says which call an action was for. */
    private String knownTransfer(String transferId) {
        if (transferId == null || transferId.isBlank()) {
            return null;
        }
        ConsoleInput.maxLength("transferId", transferId, ConsoleInput.MAX_TRANSFER_ID);
        if (transfers.find(transferId.trim()).isEmpty()) {
            throw new UnknownTransferException(transferId);
        }
        return transferId.trim();
    }

    private String callingNumber(String given, String transferId) {
        if (given != null && !given.isBlank()) {
            return given.trim();
        }
        return transferId == null ? null : transfers.find(transferId).map(TransferContext::callerNumber)
                .filter(n -> n != null && !n.isBlank()).orElse(null);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static List<String> cleanPhones(List<String> phones) {
        return phones == null ? List.of() : phones.stream().filter(p -> p != null && !p.isBlank()).map(String::trim)
                .distinct().toList();
    }

    /** The console named a transfer that was never recorded. */
    public static class UnknownTransferException extends RuntimeException {
        public UnknownTransferException(String transferId) {
            super("未知的来电转接编号", null, false, false);
        }
    }
}
