package org.hotline.ivr;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The words a flow file may use: actions and their outcomes, live lists, spoken values, checks and
 * stores. The loader validates against it; the engine implements exactly these (a test holds them together).
 */
public final class FlowVocabulary {

    private FlowVocabulary() {
    }

    /** An action's plain outcomes (each must be mapped) and whether it may answer with a typed refusal. */
    public record ActionSpec(List<String> outcomes, boolean refuses) {
    }

    public static final Map<String, ActionSpec> ACTIONS;

    static {
        Map<String, ActionSpec> a = new LinkedHashMap<>();
        a.put("caller_is_elder", new ActionSpec(List.of("elder", "other"), false));
        a.put("previous_outpatient", new ActionSpec(List.of("found", "none"), false));
        a.put("hold_slot", new ActionSpec(List.of("held"), true));
        a.put("check_patient", new ActionSpec(List.of("ok"), true));
        a.put("caller_mobile", new ActionSpec(List.of("mobile", "not_mobile"), false));
        a.put("book", new ActionSpec(List.of("booked"), true));
        a.put("has_next_dose", new ActionSpec(List.of("next_dose", "none"), false));
        a.put("find_by_caller", new ActionSpec(List.of("found", "none"), false));
        a.put("caller_verified", new ActionSpec(List.of("verified", "unverified"), false));
        a.put("may_look_up", new ActionSpec(List.of("allowed", "limited"), false));
        a.put("find_by_id", new ActionSpec(List.of("found", "none", "too_many", "limited"), false));
        a.put("find_by_code", new ActionSpec(List.of("found", "none", "too_many", "limited"), false));
        a.put("cancel", new ActionSpec(List.of("cancelled"), true));
        // outbound calls only: this number wants no more calls from the hotline (none: a call that came in)
        a.put("opt_out", new ActionSpec(List.of("done", "none"), false));
        // outbound calls that offer a place (a 停诊's move, a waiting list's place): taken, or gone meanwhile
        a.put("accept_offer", new ActionSpec(List.of("taken", "gone"), false));
        a.put("decline_offer", new ActionSpec(List.of("done"), false));
        a.put("known_patients", new ActionSpec(List.of("some", "none"), false));
        a.put("same_again", new ActionSpec(List.of("held", "none"), false));
        a.put("dead_end", new ActionSpec(List.of("again", "person"), false));
        a.put("alternative", new ActionSpec(List.of("found", "none"), false));
        a.put("take_alternative", new ActionSpec(List.of("held"), true));
        a.put("wait", new ActionSpec(List.of("ok", "unavailable"), false));
        // nothing free anywhere: is there anything to wait for (phone places in the waitlist's window)?
        a.put("can_wait_outpatient", new ActionSpec(List.of("some", "none"), false));
        a.put("can_wait_vaccine", new ActionSpec(List.of("some", "none"), false));
        a.put("waitlisting", new ActionSpec(List.of("waiting", "booking"), false));
        a.put("join_waitlist", new ActionSpec(List.of("joined"), true));
        a.put("change_start", new ActionSpec(List.of("ok", "none"), false));
        a.put("move", new ActionSpec(List.of("moved"), true));
        a.put("record_complaint", new ActionSpec(List.of("recorded", "not_recorded"), false));
        ACTIONS = Map.copyOf(a);
    }

    /** Outcome key that catches every refusal an action node does not map by name. */
    public static final String REFUSED = "refused";

    public static final Set<String> LISTS = Set.of("hospitals", "departments", "vaccines", "vaccine_clinics", "dates",
            "slots", "bookings", "known_patients", "wait_hospitals", "wait_departments", "wait_vaccines", "wait_clinics");

    public static final Set<String> VALUES = Set.of("hospital", "department", "facility", "service", "vaccine",
            "clinic", "date", "time", "code", "sms_tail", "sms_targets", "caller_tail", "id_tail", "next_dose_date",
            "earliest_date", "booking", "agent_hours", "alternative", "ahead");

    /** Checks a digit entry may name, with the key counts each requires (min, max). */
    public static final Map<String, int[]> CHECKS = Map.of("resident_id", new int[] {18, 18}, "mobile",
            new int[] {11, 11}, "booking_code", new int[] {6, 6}, "none", new int[] {1, 20});

    public static final Set<String> STORES = Set.of("resident_id", "sms_phone", "elder_phone", "booking_code");

    /** Prompts the engine itself plays (menus' "press", paging, help, transfer, call-back). */
    public static final Set<String> ENGINE_PROMPTS = Set.of("press_key", "more_options", "invalid_key", "no_input",
            "invalid_entry", "offer_person", "transfer_now", "agent_hours_intro", "hours_to", "callback_offer_outside",
            "callback_long_wait", "callback_recorded", "callback_unavailable", "goodbye", "earliest_date",
            "ordinal_di", "ordinal_item", "readback_and", "booking_code_is", "list_count", "sms_this_phone", "tail_word", "for_tail", "for_person_end");
}
