package org.hotline.ivr;

import java.util.ArrayList;
import java.util.List;

import org.hotline.booking.BookableService;
import org.hotline.booking.Booking;
import org.hotline.booking.Catalogue;
import org.hotline.booking.Facility;

/**
 * Turns a prompt list from a flow ({@code [readback_intro, $hospital, $date]}) into catalogue ids, speaking
 * each {@code $value} from what the caller chose. A value the call does not have yet is left out.
 */
final class SpokenValues {

    private final NamePrompts names;
    private final Catalogue catalogue;
    private final IvrProperties props;

    SpokenValues(NamePrompts names, Catalogue catalogue, IvrProperties props) {
        this.names = names;
        this.catalogue = catalogue;
        this.props = props;
    }

    List<String> render(List<String> parts, CallState s) {
        List<String> out = new ArrayList<>();
        for (String p : parts) {
            if (p.startsWith("$")) {
                out.addAll(value(p.substring(1), s));
            } else {
                out.add(p);
            }
        }
        return out;
    }

    List<String> value(String name, CallState s) {
        switch (name) {
            case "hospital", "facility", "clinic":
                return s.facility == null ? List.of() : facility(s.facility);
            case "department", "service":
                return s.service == null ? List.of() : service(s.service, s.facility);
            case "vaccine":
                if (s.vaccine != null) {
                    return names.vaccine(s.vaccine).orElse(List.of("name_vaccine"));
                }
                return s.service == null ? List.of() : service(s.service, s.facility);
            case "date":
                return s.date == null ? List.of() : MandarinSpeech.date(s.date);
            case "time":
                return s.slot == null ? List.of() : MandarinSpeech.time(s.slot.startsAt().toLocalTime());
            case "code":
                return s.booking == null ? List.of() : MandarinSpeech.digits(s.booking.code());
            case "sms_tail":
                return tail(s.smsPhone);
            case "sms_targets": {
                if (s.elderPhone == null && s.smsPhone != null && s.smsPhone.equals(s.caller)) {
                    return List.of("sms_this_phone"); // 本机: the phone the caller is holding
                }
                List<String> out = new ArrayList<>();
                if (s.elderPhone != null) {
                    out.add("tail_word");
                    out.addAll(tail(s.elderPhone));
                }
                if (s.smsPhone != null && !s.smsPhone.equals(s.elderPhone)) {
                    out.add(out.isEmpty() ? "tail_word" : "readback_and");
                    out.addAll(tail(s.smsPhone));
                }
                return out;
            }
            case "caller_tail":
                return tail(s.caller);
            case "id_tail":
                return s.residentId == null && s.patient != null ? MandarinSpeech.digits(s.patient.lastFour())
                        : tail(s.residentId);
            case "next_dose_date":
                return s.booking == null || s.booking.nextDoseFrom() == null ? List.of()
                        : MandarinSpeech.date(s.booking.nextDoseFrom());
            case "earliest_date":
                return s.earliestDate == null ? List.of() : MandarinSpeech.date(s.earliestDate);
            case "alternative": {
                var a = s.alternative;
                if (a == null) {
                    return List.of();
                }
                List<String> out = new ArrayList<>(MandarinSpeech.date(a.offer().date()));
                out.addAll(MandarinSpeech.time(a.offer().startsAt().toLocalTime()));
                Facility f = catalogue.facility(a.facilityId()).orElse(null);
                out.addAll(f == null ? List.of("name_facility") : facility(f));
                BookableService svc = catalogue.service(a.offer().serviceId()).orElse(null);
                out.addAll(svc == null ? List.of("name_service") : service(svc, f));
                return out;
            }
            case "ahead":
                return s.waitingAhead == null ? List.of() : MandarinSpeech.number(s.waitingAhead);
            case "booking":
                return s.booking == null ? List.of() : booking(s.booking);
            case "agent_hours": {
                List<String> out = new ArrayList<>(MandarinSpeech.time(props.agentHoursOpen()));
                out.add("hours_to");
                out.addAll(MandarinSpeech.time(props.agentHoursClose()));
                return out;
            }
            default:
                throw new IllegalArgumentException("no spoken value $" + name);
        }
    }

    List<String> facility(Facility f) {
        return names.facility(f).orElse(List.of("name_facility"));
    }

    List<String> service(BookableService svc, Facility f) {
        return names.service(svc, f).orElse(List.of("name_service"));
    }

    /** 十一月二十五日 星期三 上午九点 内科. */
    List<String> bookingWithoutFacility(Booking b) {
        List<String> out = new ArrayList<>(MandarinSpeech.date(b.date()));
        out.addAll(MandarinSpeech.time(b.startsAt().toLocalTime()));
        Facility f = catalogue.facility(b.facilityId()).orElse(null);
        BookableService svc = catalogue.service(b.serviceId()).orElse(null);
        out.addAll(svc == null ? List.of("name_service") : service(svc, f));
        return out;
    }

    /** 十一月二十五日 星期三 上午九点 朝阳区第一人民医院 内科. */
    List<String> booking(Booking b) {
        List<String> out = new ArrayList<>(MandarinSpeech.date(b.date()));
        out.addAll(MandarinSpeech.time(b.startsAt().toLocalTime()));
        Facility f = catalogue.facility(b.facilityId()).orElse(null);
        out.addAll(f == null ? List.of("name_facility") : facility(f));
        BookableService svc = catalogue.service(b.serviceId()).orElse(null);
        out.addAll(svc == null ? List.of("name_service") : service(svc, f));
        return out;
    }

    private static List<String> tail(String digits) {
        if (digits == null || digits.length() < 4) {
            return List.of();
        }
        return MandarinSpeech.digits(digits.substring(digits.length() - 4).replace('*', 'X'));
    }
}
