package org.hotline.ivr;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.hotline.booking.BookableService;
import org.hotline.booking.Facility;
import org.hotline.booking.SpokenNames;
import org.hotline.booking.Vaccine;

/**
 * The recorded name of a facility, department or vaccine: catalogue ids {@code fac_<facility code>},
 * {@code svc_<facility code>_<service code>} (or {@code svc_<service code>} when the name is the same
 * everywhere) and {@code vac_<vaccine code>}. A name with no recording is said by its place in the list
 * ("第三项") and logged once, so that an operator adds it to the catalogue.
 *
 * <p>A name recorded or generated in the console ({@link SpokenNames}, prompt {@code nm_<sha1>}) comes first: it
 * is how a hospital names an entry it added itself, or replaces a committed recording. The catalogue never offers
 * the phone menu an entry added in the console without one.
 */
final class NamePrompts {

    static final Set<String> FALLBACKS = Set.of("name_facility", "name_service", "name_vaccine");

    private static final Logger log = LoggerFactory.getLogger(NamePrompts.class);

    private final PromptCatalogue prompts;
    private final SpokenNames stored;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    NamePrompts(PromptCatalogue prompts, SpokenNames stored) {
        this.prompts = prompts;
        this.stored = stored;
    }

    private Optional<List<String>> stored(SpokenNames.Kind kind, long id) {
        return stored == null ? Optional.empty() : stored.promptId(kind, id).map(List::of);
    }

    static String idPart(String code) {
        return code.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    }

    Optional<List<String>> facility(Facility f) {
        Optional<List<String>> own = stored(SpokenNames.Kind.FACILITY, f.id());
        if (own.isPresent()) {
            return own;
        }
        return find("fac_" + idPart(f.code()), f.name());
    }

    Optional<List<String>> service(BookableService s, Facility f) {
        Optional<List<String>> own = stored(SpokenNames.Kind.SERVICE, s.id());
        if (own.isPresent()) {
            return own;
        }
        if (f != null && prompts.has("svc_" + idPart(f.code()) + "_" + idPart(s.code()))) {
            return Optional.of(List.of("svc_" + idPart(f.code()) + "_" + idPart(s.code())));
        }
        return find("svc_" + idPart(s.code()), s.name());
    }

    Optional<List<String>> vaccine(Vaccine v) {
        Optional<List<String>> own = stored(SpokenNames.Kind.VACCINE, v.id());
        if (own.isPresent()) {
            return own;
        }
        return find("vac_" + idPart(v.code()), v.name());
    }

    private Optional<List<String>> find(String id, String name) {
        if (prompts.has(id)) {
            return Optional.of(List.of(id));
        }
        if (warned.add(id)) {
            log.warn("No recorded name '{}' for {}: add it to the prompt catalogue", id, name);
        }
        return Optional.empty();
    }
}
