package org.hotline.ivr;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import org.hotline.booking.PhoneNumber;
import org.hotline.booking.Refusal;
import org.hotline.booking.ResidentId;
import org.hotline.handoff.TransferContext;
import org.hotline.handoff.TransferLog;
import org.hotline.handoff.TransferReason;

/**
 * Runs one call through the flows until it ends in a goodbye, a transfer or a hang-up. Everywhere 0 is a
 * person and * repeats; three timeouts or invalid keys in a row offer a person. A hang-up is caught here,
 * once, and any held place is given back at once. Every log line carries the call id (MDC {@code callId}).
 */
public class FlowEngine implements CallHandler {

    private static final Logger log = LoggerFactory.getLogger(FlowEngine.class);
    static final int PAGE = 8;

    private final FlowSet flows;
    private final FlowActions actions;
    private final SpokenValues values;
    private final TransferLog transfers;
    private final AgentQueue queue;
    private final IvrProperties props;
    private final Clock clock;
    private final org.hotline.booking.BookingService booking;
    private final org.hotline.booking.Catalogue catalogue;
    private final PromptCatalogue prompts;
    private final PhoneLookups lookups;
    private final BooleanSupplier databaseUp;
    private final org.hotline.booking.SpokenNames spokenNames;

    public FlowEngine(FlowSet flows, PromptCatalogue prompts, org.hotline.booking.BookingService booking,
            org.hotline.booking.Catalogue catalogue, TransferLog transfers, AgentQueue queue, IvrProperties props,
            Clock clock, PhoneLookups lookups) {
        this(flows, prompts, booking, catalogue, transfers, queue, props, clock, lookups, () -> true);
    }

    /**
     * @param databaseUp false while the database is away ({@code org.hotline.db.DatabaseWatch}): a caller
     *                   who reaches a step that needs it is handed to a person at once, and the hand-over
     *                   itself touches no table
     */
    public FlowEngine(FlowSet flows, PromptCatalogue prompts, org.hotline.booking.BookingService booking,
            org.hotline.booking.Catalogue catalogue, TransferLog transfers, AgentQueue queue, IvrProperties props,
            Clock clock, PhoneLookups lookups, BooleanSupplier databaseUp) {
        this(flows, prompts, booking, catalogue, transfers, queue, props, clock, lookups, databaseUp, null);
    }

    /**
     * @param spokenNames the names recorded in the console ({@code nm_<sha1>} prompts); null: the catalogue's only
     */
    public FlowEngine(FlowSet flows, PromptCatalogue prompts, org.hotline.booking.BookingService booking,
            org.hotline.booking.Catalogue catalogue, TransferLog transfers, AgentQueue queue, IvrProperties props,
            Clock clock, PhoneLookups lookups, BooleanSupplier databaseUp, org.hotline.booking.SpokenNames spokenNames) {
        this(flows, prompts, booking, catalogue, transfers, queue, props, clock, lookups, databaseUp, spokenNames, null,
                null);
    }

    /**
     * @param alternatives the nearest free places when nothing is (null: none offered)
     * @param waitlist     the 候补 waitlist (null: not offered)
     */
    public FlowEngine(FlowSet flows, PromptCatalogue prompts, org.hotline.booking.BookingService booking,
            org.hotline.booking.Catalogue catalogue, TransferLog transfers, AgentQueue queue, IvrProperties props,
            Clock clock, PhoneLookups lookups, BooleanSupplier databaseUp, org.hotline.booking.SpokenNames spokenNames,
            org.hotline.booking.Alternatives alternatives, org.hotline.booking.Waitlist waitlist) {
        this.spokenNames = spokenNames;
        this.alternatives = alternatives;
        this.waitlist = waitlist;
        this.lookups = lookups;
        this.databaseUp = databaseUp;
        this.flows = flows;
        this.prompts = prompts;
        this.booking = booking;
        this.catalogue = catalogue;
        this.transfers = transfers;
        this.queue = queue;
        this.props = props;
        this.clock = clock;
        NamePrompts names = new NamePrompts(prompts, spokenNames);
        this.values = new SpokenValues(names, catalogue, props);
        this.actions = new FlowActions(booking, catalogue, names, values, props, clock, lookups, alternatives,
                waitlist);
    }

    private final org.hotline.booking.Alternatives alternatives;
    private final org.hotline.booking.Waitlist waitlist;

    public FlowSet flows() {
        return flows;
    }

    @Override
    public void answer(CallChannel call) {
        run(call);
    }

    /**
     * Where an outbound call (one the gateway placed, answered by the person called) starts: a flow marked
     * {@code outbound: true}, the booking it is about (spoken as {@code $booking}, cancelled by {@code cancel})
     * and what the {@code opt_out} action does (the outbound module records that this number wants no more
     * calls).
     */
    public record OutboundStart(String flow, org.hotline.booking.Booking booking, Runnable optOut,
            org.hotline.booking.Alternatives.Alternative offer, java.util.function.Supplier<String> acceptOffer,
            Runnable declineOffer) {

        public OutboundStart(String flow, org.hotline.booking.Booking booking, Runnable optOut) {
            this(flow, booking, optOut, null, null, null);
        }

        /**
         * A call that offers a place (issue 18: a 停诊's move, a waiting list's place): {@code offer} is spoken as
         * {@code $alternative}; {@code accept_offer} runs {@code accept} (answers {@code taken} or {@code gone}),
         * {@code decline_offer} runs {@code decline}.
         */
        public static OutboundStart offering(String flow, org.hotline.booking.Booking booking, Runnable optOut,
                org.hotline.booking.Alternatives.Alternative offer, java.util.function.Supplier<String> accept,
                Runnable decline) {
            return new OutboundStart(flow, booking, optOut, offer, accept, decline);
        }
    }

    /** Runs the call and says how it ended. Never throws. */
    public CallResult run(CallChannel call) {
        return run(call, null);
    }

    /** Runs an outbound call from its flow's start (see {@link OutboundStart}). Never throws. */
    public CallResult runOutbound(CallChannel call, OutboundStart start) {
        return run(call, java.util.Objects.requireNonNull(start));
    }

    private CallResult run(CallChannel call, OutboundStart outbound) {
        String previous = MDC.get("callId");
        MDC.put("callId", call.callId());
        CallState s = null;
        try {
            s = new CallState(call);
            String at = flows.entry();
            if (outbound != null) {
                s.booking = outbound.booking();
                s.optOut = outbound.optOut();
                s.alternative = outbound.offer();
                s.acceptOffer = outbound.acceptOffer();
                s.declineOffer = outbound.declineOffer();
                at = outbound.flow() + "." + flows.startOf(outbound.flow());
                log.info("Outbound call to {} answered: flow {}", PhoneNumber.mask(s.caller), outbound.flow());
            } else {
                log.info("Call from {} answered{}", PhoneNumber.mask(s.caller),
                        s.unverifiedCaller == null ? "" : " (number " + PhoneNumber.mask(s.unverifiedCaller) + " unverified)");
            }
            while (at != null) {
                if (++s.steps > props.maxSteps()) {
                    log.warn("Call went through {} nodes without ending; handing it to a person", props.maxSteps());
                    transfer(s, TransferReason.NOT_IN_MENU);
                    break;
                }
                if (needsDatabase(flows.node(at)) && !databaseUp.getAsBoolean()) {
                    // nothing here can work without the database: a person, at once, rather than a silence
                    log.warn("Database away at {}: handing the call to a person", at);
                    s.at = at;
                    transfer(s, TransferReason.SYSTEM_FAULT);
                    break;
                }
                s.at = at;
                at = visit(s, flows.node(at));
            }
        } catch (CallerHungUp e) {
            if (s != null) {
                s.end = CallResult.End.HUNG_UP;
            }
        } catch (RuntimeException e) {
            log.error("Flow failed at {}: {}", s == null ? "-" : s.at, e.toString(), e);
            if (s != null) {
                s.error = e.toString();
                recover(s);
            }
        } finally {
            if (s != null) {
                releaseHoldQuietly(s);
            }
            log.info("Call ended: {} at {} after {} steps", s == null ? "FAILED" : s.end, s == null ? "-" : s.at,
                    s == null ? 0 : s.steps);
            if (previous == null) {
                MDC.remove("callId");
            } else {
                MDC.put("callId", previous);
            }
        }
        if (s == null) {
            return new CallResult(call.callId(), CallResult.End.FAILED, List.of(), List.of(), null, null, null, 0,
                    "no call state");
        }
        return new CallResult(call.callId(), s.end == null ? CallResult.End.FAILED : s.end, List.copyOf(s.booked),
                List.copyOf(s.holdsTaken), s.transferId, s.callbackId, s.at, s.steps, s.error);
    }

    /** Call threads inside a step that uses the database (see {@link #databaseAway()}). */
    private static final java.util.Set<Thread> IN_DATABASE_STEP = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * The database just went away: wakes the calls whose step waits for a pooled connection (the pool would let
     * them wait its whole connection timeout), so that their step fails now and they are handed to a person.
     * Only threads inside such a step are interrupted, and each clears the interrupt when the step ends.
     */
    public static void databaseAway() {
        // (called on the watcher's thread; the woken steps fail with "Interrupted during connection acquisition")
        for (Thread t : IN_DATABASE_STEP) {
            t.interrupt();
        }
    }

    /** Runs a step that reads or writes the database, where {@link #databaseAway()} can wake it. */
    private static <T> T databaseStep(java.util.function.Supplier<T> step) {
        Thread me = Thread.currentThread();
        IN_DATABASE_STEP.add(me);
        try {
            return step.get();
        } finally {
            IN_DATABASE_STEP.remove(me);
            Thread.interrupted(); // a wake-up that came as the step ended must not reach the call's next wait
        }
    }

    /** Actions and lists that work on what the call already holds, without the database. */
    private static final java.util.Set<String> IN_MEMORY = java.util.Set.of("has_next_dose", "caller_mobile", "bookings",
            "record_complaint");

    private static boolean needsDatabase(FlowNode node) {
        if (node instanceof FlowNode.Action a) {
            return !IN_MEMORY.contains(a.action());
        }
        return node instanceof FlowNode.Choice c && !IN_MEMORY.contains(c.list());
    }

    /**
     * After an internal error: a person. If even the hand-over fails (the line refuses commands), the call
     * is left open, never hung up: the adapter hands a call the engine did not end to a person (FastAGI:
     * {@code HOTLINE_NEXT=AGENT}, or Asterisk's dialplan when it cannot be set; SIP: a REFER).
     */
    private void recover(CallState s) {
        if (s.end != null) {
            return;
        }
        try {
            transfer(s, TransferReason.SYSTEM_FAULT);
        } catch (CallerHungUp e) {
            s.end = CallResult.End.HUNG_UP;
        } catch (RuntimeException e) {
            log.error("Could not hand the call to a person here: {}; the adapter's fallback does", e.toString());
            s.end = CallResult.End.FAILED;
        }
    }

    // ------------------------------------------------------------ nodes

    /** Visits a node; returns the next node's id, or null when the call has ended. */
    private String visit(CallState s, FlowNode node) {
        log.debug("At {}", node.id());
        if (node instanceof FlowNode.Say n) {
            return say(s, n);
        } else if (node instanceof FlowNode.Menu n) {
            return menu(s, n);
        } else if (node instanceof FlowNode.Choice n) {
            return choice(s, n);
        } else if (node instanceof FlowNode.Collect n) {
            return collect(s, n);
        } else if (node instanceof FlowNode.Confirm n) {
            return confirm(s, n);
        } else if (node instanceof FlowNode.Action n) {
            return action(s, n);
        } else if (node instanceof FlowNode.Transfer n) {
            if (!n.prompt().isEmpty()) {
                s.call.play(values.render(n.prompt(), s));
            }
            return transfer(s, n.reason());
        } else if (node instanceof FlowNode.Goodbye n) {
            s.call.play(values.render(n.prompt(), s));
            s.call.hangUp();
            s.end = CallResult.End.GOODBYE;
            return null;
        }
        throw new IllegalStateException("unknown node " + node);
    }

    private String say(CallState s, FlowNode.Say n) {
        while (true) {
            char k = s.call.play(values.render(n.prompt(), s));
            if (k == '0') {
                return transfer(s, TransferReason.ASKED_FOR_PERSON);
            }
            if (k != '*' || ++s.steps > props.maxSteps()) {
                return n.next();
            }
        }
    }

    private String menu(CallState s, FlowNode.Menu n) {
        List<String> lead = List.of();
        while (true) {
            String k = s.call.collect(concat(lead, values.render(n.prompt(), s)), 1, props.menuTimeout());
            lead = List.of();
            if (k.equals("0")) {
                return transfer(s, TransferReason.ASKED_FOR_PERSON);
            }
            if (k.equals("*") && repeatAllowed(s)) {
                continue;
            }
            if (k.isEmpty() && n.timeout() != null) {
                s.failures = 0;
                return n.timeout();
            }
            String t = n.options().get(k);
            if (t != null) {
                s.failures = 0;
                return t;
            }
            lead = failed(s, k.isEmpty() ? "no_input" : "invalid_key");
            if (lead == null) {
                return null;
            }
        }
    }

    private String choice(CallState s, FlowNode.Choice n) {
        // choosing again: a place held for an earlier choice goes back at once
        List<FlowActions.Item> items = databaseStep(() -> {
            if (!n.list().equals("known_patients")) {
                // (choosing whom to book for is after the place is held, and keeps it)
                actions.releaseHold(s);
            }
            return actions.list(n.list(), s);
        });
        if (items.isEmpty()) {
            return n.empty();
        }
        if (n.other() != null) {
            // one more entry after the list's own; choosing it goes to n.other()
            items = new ArrayList<>(items);
            items.add(new FlowActions.Item(List.of(n.otherPrompt()), null));
        }
        int pages = (items.size() + PAGE - 1) / PAGE;
        int page = 0;
        List<String> lead = List.of();
        while (true) {
            List<String> p = new ArrayList<>(lead);
            p.addAll(values.render(n.prompt(), s));
            if (page == 0) {
                // how many there are, before the first: 共三项
                p.add("list_count");
                p.addAll(MandarinSpeech.number(items.size()));
                p.add("ordinal_item");
            }
            int from = page * PAGE;
            int count = Math.min(PAGE, items.size() - from);
            for (int i = 0; i < count; i++) {
                p.addAll(items.get(from + i).spoken());
                p.add("press_key");
                p.addAll(MandarinSpeech.key(i + 1));
            }
            if (pages > 1) {
                p.add("more_options");
            }
            lead = List.of();
            String k = s.call.collect(p, 1, props.menuTimeout());
            if (k.equals("0")) {
                return transfer(s, TransferReason.ASKED_FOR_PERSON);
            }
            if (k.equals("*") && repeatAllowed(s)) {
                continue;
            }
            if (k.equals("9") && pages > 1) {
                page = (page + 1) % pages;
                s.failures = 0;
                if (++s.steps > props.maxSteps()) {
                    return transfer(s, TransferReason.NOT_IN_MENU);
                }
                continue;
            }
            if (k.length() == 1 && k.charAt(0) >= '1' && k.charAt(0) <= '0' + count) {
                FlowActions.Item chosen = items.get(from + k.charAt(0) - '1');
                s.failures = 0;
                if (chosen.choose() == null) {
                    return n.other();
                }
                chosen.choose().accept(s);
                return n.next();
            }
            lead = failed(s, k.isEmpty() ? "no_input" : "invalid_key");
            if (lead == null) {
                return null;
            }
        }
    }

    private String collect(CallState s, FlowNode.Collect n) {
        List<String> lead = List.of();
        while (true) {
            String in = s.call.collect(concat(lead, values.render(n.prompt(), s)), n.max(), props.digitsTimeout());
            lead = List.of();
            if (in.isEmpty() && n.empty() != null) {
                s.failures = 0;
                return n.empty();
            }
            if (in.equals("0")) {
                return transfer(s, TransferReason.ASKED_FOR_PERSON);
            }
            if (in.startsWith("*") && repeatAllowed(s)) {
                continue;
            }
            String problem = in.isEmpty() ? "no_input" : problem(n, in);
            if (problem == null) {
                store(s, n.store(), in);
                s.failures = 0;
                return n.next();
            }
            lead = failed(s, problem);
            if (lead == null) {
                return null;
            }
        }
    }

    /** What is wrong with keyed digits, as the prompt that says so; null when they are fine. */
    private static String problem(FlowNode.Collect n, String in) {
        int star = in.indexOf('*');
        if (star >= 0 && !(n.starAsX() && star == in.length() - 1 && in.length() == n.max())) {
            return "invalid_entry";
        }
        if (in.length() < n.min() || in.length() > n.max()) {
            return "invalid_entry";
        }
        switch (n.check()) {
            case "resident_id": {
                ResidentId.Parsed p = ResidentId.parse(in);
                return p.valid() ? null : refusalPrompt(p.refusal());
            }
            case "mobile":
                return PhoneNumber.isMobile(in) ? null : refusalPrompt(Refusal.PHONE_NOT_MOBILE);
            case "booking_code":
                return in.matches("[1-9]\\d{5}") ? null : "invalid_entry";
            default:
                return null;
        }
    }

    private static void store(CallState s, String store, String in) {
        switch (store) {
            case "resident_id" -> {
                s.residentId = in.replace('*', 'X');
                s.patient = null;
                s.elderPhone = null;
                s.patientAge = null;
            }
            case "sms_phone" -> s.smsPhone = PhoneNumber.normalise(in);
            case "elder_phone" -> s.elderPhone = PhoneNumber.normalise(in);
            case "booking_code" -> s.bookingCode = in;
            default -> throw new IllegalStateException("no store " + store);
        }
    }

    private String confirm(CallState s, FlowNode.Confirm n) {
        List<String> lead = List.of();
        while (true) {
            String k = s.call.collect(concat(lead, values.render(n.prompt(), s)), 1, props.menuTimeout());
            lead = List.of();
            switch (k) {
                case "0":
                    return transfer(s, TransferReason.ASKED_FOR_PERSON);
                case "1":
                    s.failures = 0;
                    return n.confirmed();
                case "2":
                    s.failures = 0;
                    actions.releaseHold(s);
                    return n.again();
                case "*":
                    if (repeatAllowed(s)) {
                        continue;
                    }
                    // fall through: too many repeats count as a failure
                default:
                    if (n.options().containsKey(k)) {
                        s.failures = 0;
                        return n.options().get(k);
                    }
                    lead = failed(s, k.isEmpty() ? "no_input" : "invalid_key");
                    if (lead == null) {
                        return null;
                    }
            }
        }
    }

    private volatile org.hotline.handoff.Complaints complaints;

    /** Where complaints are kept (issue 16); without, a caller who wants to complain is handed to a person. */
    public FlowEngine complaints(org.hotline.handoff.Complaints c) {
        this.complaints = c;
        return this;
    }

    /** Longest complaint recording. */
    static final Duration COMPLAINT_MAX = Duration.ofMinutes(3);

    /**
     * The caller's complaint in their own voice: recorded by the adapter (FastAGI: Asterisk's RECORD FILE; direct
     * SIP: the caller's RTP, {@code hotline.complaints.recordings-dir}), then
     * kept in {@code complaint}. Not recorded (the adapter cannot, nothing was said, or it cannot be stored):
     * "not_recorded", and the flow hands the caller to a person (reason COMPLAINT). A caller who hangs up while
     * recording has their words kept all the same.
     */
    private String recordComplaint(CallState s) {
        org.hotline.handoff.Complaints c = complaints;
        if (c == null) {
            return "not_recorded";
        }
        CallChannel.Recording r;
        try {
            r = s.call.record("complaint-" + s.call.callId().replaceAll("[^A-Za-z0-9._-]", "_"), COMPLAINT_MAX);
        } catch (CallerHungUp e) {
            CallChannel.Recording kept = s.call.lastRecording();
            if (kept != null) {
                storeComplaint(c, s, kept);
            }
            throw e;
        }
        if (r == null) {
            return "not_recorded";
        }
        return storeComplaint(c, s, r) ? "recorded" : "not_recorded";
    }

    private boolean storeComplaint(org.hotline.handoff.Complaints c, CallState s, CallChannel.Recording r) {
        try {
            databaseStep(() -> c.recorded(s.call.callId(), s.caller, PhoneNumber.mask(s.caller), r.location(),
                    (int) Math.max(1, r.length().toSeconds())));
            return true;
        } catch (RuntimeException e) {
            log.error("Complaint recording {} could not be stored ({}): a person takes it", r.location(), e.toString());
            return false;
        }
    }

    private String action(CallState s, FlowNode.Action n) {
        if (n.action().equals("record_complaint")) {
            return n.outcomes().get(recordComplaint(s));
        }
        FlowActions.Outcome out = databaseStep(() -> actions.run(n.action(), s));
        tellPriorityWhenKnown(s);
        if (out.refusal() == null) {
            return n.outcomes().get(out.name());
        }
        log.info("Refused at {}: {}", n.id(), out.refusal());
        List<String> p = new ArrayList<>(List.of(refusalPrompt(out.refusal())));
        if (out.earliest() != null) {
            p.add("earliest_date");
            p.addAll(MandarinSpeech.date(out.earliest()));
        }
        if (s.call.play(p) == '0') {
            return transfer(s, TransferReason.ASKED_FOR_PERSON);
        }
        String t = n.outcomes().get(out.refusal().name());
        return t != null ? t : n.outcomes().get(FlowVocabulary.REFUSED);
    }

    public static String refusalPrompt(Refusal r) {
        return "refusal_" + r.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A * repeats, but not forever: past the step budget it counts as a failure. */
    private boolean repeatAllowed(CallState s) {
        return ++s.steps <= props.maxSteps();
    }

    /**
     * A timeout or an invalid key. Returns the prompt to play before asking again, or null when the call
     * was handed to a person (the third failure in a row offers one: * to try again, anything else transfers).
     */
    private List<String> failed(CallState s, String why) {
        s.failures++;
        if (s.failures < props.maxFailures()) {
            return List.of(why);
        }
        String k = s.call.collect(List.of(why, "offer_person"), 1, props.menuTimeout());
        if (k.equals("*") && repeatAllowed(s)) {
            s.failures = 0;
            return List.of();
        }
        transfer(s, TransferReason.REPEATED_FAILURE);
        return null;
    }

    // ------------------------------------------------------------ a person

    /**
     * Issue 16: as soon as an action made the caller's age known (their earlier bookings, or the ID keyed for
     * themselves), the adapter gets the queue priority and the transfer id this call will use, so that a node
     * dying mid-call leaves an 81-year-old at priority 10, not at the dialplan's fallback. Uses only what the
     * call already read: no database work of its own.
     */
    private void tellPriorityWhenKnown(CallState s) {
        Integer age = s.profile != null && s.profile.age() != null ? s.profile.age() : s.patientAge;
        if (age == null) {
            return;
        }
        int priority = priorityFor(age);
        if (s.toldPriority != null && s.toldPriority == priority) {
            return;
        }
        if (s.reservedTransferId == null) {
            s.reservedTransferId = newTransferId();
        }
        s.toldPriority = priority;
        s.call.priorityKnown(priority, s.reservedTransferId);
    }

    private int priorityFor(Integer age) {
        return age == null ? props.priorityNormal() : age >= props.priorityAge() ? props.priorityVeryOld()
                : age >= props.elderAge() ? props.priorityElder() : props.priorityNormal();
    }

    private static String newTransferId() {
        return "T" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Hands the call to a person (or records a call-back when none can answer soon). Always ends the call. */
    private String transfer(CallState s, TransferReason reason) {
        releaseHoldQuietly(s);
        Integer age = callerAge(s);
        int priority = priorityFor(age);
        LocalDateTime now = LocalDateTime.now(clock);
        TransferContext ctx = new TransferContext(s.reservedTransferId != null ? s.reservedTransferId : newTransferId(),
                s.call.callId(), s.caller.isEmpty() ? null : s.caller, PhoneNumber.mask(s.caller), s.patientMasked(),
                age, reason, FlowSet.flowOf(s.at), FlowSet.nodeOf(s.at), s.choices(), priority, now);
        if (!agentsAnswerAt(now.toLocalTime())) {
            List<String> hours = new ArrayList<>(List.of("agent_hours_intro"));
            hours.addAll(values.value("agent_hours", s));
            return offerCallback(s, ctx, hours, "callback_offer_outside", "OUTSIDE_HOURS", false);
        }
        Duration wait = expectedWait();
        if (wait != null && wait.compareTo(props.callbackOfferWait()) >= 0 && !s.caller.isEmpty()) {
            String r = offerCallback(s, ctx, List.of(), "callback_long_wait", "LONG_WAIT", true);
            if (s.end != null) {
                return r;
            }
        }
        s.transferId = ctx.transferId();
        log.info("Transferring to a person: {} reason {} at {} priority {}", ctx.transferId(), reason, s.at, priority);
        try {
            s.call.play(List.of("transfer_now"));
        } catch (CallerHungUp e) {
            throw e;
        } catch (RuntimeException e) {
            // the line refused the prompt: the caller still goes to a person
            log.warn("Transfer prompt not played ({}); handing over anyway", e.toString());
        }
        // the hand-over first, the record after: neither the database nor its pool may keep a caller from a person
        s.call.transferToAgent(ctx.transferId(), priority);
        s.end = CallResult.End.TRANSFERRED;
        transfers.recordAfterTransfer(ctx);
        if (reason == TransferReason.COMPLAINT && complaints != null && databaseUp.getAsBoolean()) {
            try {
                databaseStep(() -> complaints.takenByPerson(s.call.callId(), s.caller, PhoneNumber.mask(s.caller),
                        ctx.transferId()));
            } catch (RuntimeException e) {
                log.warn("Complaint for transfer {} not listed ({}); the transfer record has it", ctx.transferId(),
                        e.toString());
            }
        }
        return null;
    }

    /** Gives a held place back; when the database cannot, the hold expires by itself (hold-ttl, the sweeper). */
    private void releaseHoldQuietly(CallState s) {
        if (s.hold == null) {
            return;
        }
        if (!databaseUp.getAsBoolean()) {
            log.warn("Database away: hold {} is left to expire", s.hold.holdId());
            s.hold = null;
            return;
        }
        try {
            databaseStep(() -> {
                actions.releaseHold(s);
                return null;
            });
        } catch (RuntimeException e) {
            log.error("Could not release hold {} (the sweeper will): {}", s.hold.holdId(), e.toString());
            s.hold = null;
        }
    }

    /** The caller's age for the queue priority: from earlier bookings when the database answers, else what was keyed. */
    private Integer callerAge(CallState s) {
        if (s.profile == null && !databaseUp.getAsBoolean()) {
            return s.patientAge;
        }
        try {
            Integer known = databaseStep(() -> actions.profile(s)).age();
            return known != null ? known : s.patientAge;
        } catch (RuntimeException e) {
            log.warn("Caller's earlier bookings not readable ({}); normal priority unless an ID was keyed",
                    e.toString());
            return s.patientAge;
        }
    }

    /** How long the agents' queue is now; unknown (null: no call-back offer) when it cannot be read. */
    private Duration expectedWait() {
        if (!databaseUp.getAsBoolean()) {
            return null;
        }
        try {
            return databaseStep(queue::expectedWait);
        } catch (RuntimeException e) {
            log.warn("Queue wait not readable ({}); straight to the queue", e.toString());
            return null;
        }
    }

    private boolean agentsAnswerAt(LocalTime t) {
        LocalTime open = props.agentHoursOpen();
        LocalTime close = props.agentHoursClose();
        return open.isBefore(close) ? !t.isBefore(open) && t.isBefore(close) : !t.isBefore(open) || t.isBefore(close);
    }

    /**
     * "Press 1 and we will call you back". With {@code orWait}, anything else goes on to the queue (returns
     * with no end set); without, anything else says goodbye.
     */
    private String offerCallback(CallState s, TransferContext ctx, List<String> intro, String offer, String why,
            boolean orWait) {
        if (s.caller.isEmpty()) {
            s.call.play(concat(intro, List.of("callback_unavailable")));
            if (orWait) {
                return null;
            }
            return goodbye(s);
        }
        String k = s.call.collect(concat(intro, List.of(offer)), 1, props.menuTimeout());
        if (k.equals("1")) {
            s.transferId = ctx.transferId();
            s.callbackId = transfers.requestCallbackOrDefer(ctx, why);
            log.info("Call-back requested: {} ({}) reason {}", s.callbackId, why, ctx.reason());
            s.call.play(List.of("callback_recorded", "goodbye"));
            s.call.hangUp();
            s.end = CallResult.End.CALLBACK;
            return null;
        }
        if (orWait) {
            return null;
        }
        return goodbye(s);
    }

    private String goodbye(CallState s) {
        s.call.play(List.of("goodbye"));
        s.call.hangUp();
        s.end = CallResult.End.GOODBYE;
        return null;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        if (a.isEmpty()) {
            return b;
        }
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
