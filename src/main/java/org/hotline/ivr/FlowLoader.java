package org.hotline.ivr;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import org.hotline.handoff.TransferReason;

/**
 * Reads {@code ivr-flows/*.yaml} and validates them as a whole: every target exists, every node is
 * reachable from the entry flow, every prompt is in the catalogue, digit specs make sense, every action
 * outcome has a way on. Any problem → {@link FlowDefinitionException} naming the file and node.
 */
public final class FlowLoader {

    private static final Set<String> KINDS = Set.of("say", "menu", "choice", "collect", "confirm", "action",
            "transfer", "goodbye");
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "say", Set.of("prompt", "next"),
            "menu", Set.of("prompt", "options", "timeout"),
            "choice", Set.of("prompt", "list", "next", "empty", "other", "other_prompt"),
            "collect", Set.of("prompt", "min", "max", "star", "check", "store", "next", "empty"),
            "confirm", Set.of("prompt", "confirmed", "again", "options"),
            "action", Set.of("action", "outcomes"),
            "transfer", Set.of("prompt", "reason"),
            "goodbye", Set.of("prompt"));

    private final PromptCatalogue prompts;
    private final List<String> problems = new ArrayList<>();

    private FlowLoader(PromptCatalogue prompts) {
        this.prompts = prompts;
    }

    /** Loads every file matching the pattern (e.g. {@code file:ivr-flows/*.yaml}). */
    public static FlowSet load(String pattern, String entryFlow, PromptCatalogue prompts) {
        Resource[] files;
        try {
            files = new PathMatchingResourcePatternResolver().getResources(pattern);
        } catch (IOException e) {
            throw new FlowDefinitionException(List.of(pattern + ": cannot list flow files: " + e.getMessage()));
        }
        Map<String, String> texts = new TreeMap<>();
        for (Resource r : files) {
            try (InputStream in = r.getInputStream()) {
                texts.put(r.getFilename(), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (texts.isEmpty()) {
            throw new FlowDefinitionException(List.of(pattern + ": no flow files found"));
        }
        return parse(texts, entryFlow, prompts);
    }

    /** Validates flows given as file name → YAML text. */
    public static FlowSet parse(Map<String, String> files, String entryFlow, PromptCatalogue prompts) {
        return new FlowLoader(prompts).run(files, entryFlow);
    }

    /** {@code outbound: true}: the flow is where an outbound call (the gateway dialled) starts, an entry of its own. */
    private record RawFlow(String file, String name, String start, Map<String, Map<String, Object>> nodes,
            boolean outbound) {
    }

    private FlowSet run(Map<String, String> files, String entryFlow) {
        Map<String, RawFlow> flows = new LinkedHashMap<>();
        Map<String, String> fileOfFlow = new LinkedHashMap<>();
        for (var e : files.entrySet()) {
            RawFlow f = read(e.getKey(), e.getValue());
            if (f == null) {
                continue;
            }
            if (flows.containsKey(f.name())) {
                problems.add(e.getKey() + ": flow '" + f.name() + "' is also defined in " + fileOfFlow.get(f.name()));
                continue;
            }
            flows.put(f.name(), f);
            fileOfFlow.put(f.name(), f.file());
        }
        Map<String, FlowNode> nodes = new LinkedHashMap<>();
        for (RawFlow f : flows.values()) {
            for (var n : f.nodes().entrySet()) {
                FlowNode node = build(f, n.getKey(), n.getValue(), flows);
                if (node != null) {
                    nodes.put(node.id(), node);
                }
            }
        }
        for (String id : enginePrompts()) {
            if (!prompts.has(id)) {
                problems.add("engine: missing prompt '" + id + "' (not in " + prompts.dir().resolve("catalogue.tsv") + ")");
            }
        }
        if (!flows.containsKey(entryFlow)) {
            problems.add("entry flow '" + entryFlow + "' is not defined in any file");
        } else if (problems.isEmpty()) {
            String entry = entryFlow + "." + flows.get(entryFlow).start();
            Set<String> seen = reachable(entry, nodes);
            for (RawFlow f : flows.values()) {
                if (f.outbound()) {
                    seen.addAll(reachable(f.name() + "." + f.start(), nodes));
                }
            }
            for (FlowNode n : nodes.values()) {
                if (!seen.contains(n.id())) {
                    problems.add(where(fileOfFlow.get(FlowSet.flowOf(n.id())), n.id())
                            + "unreachable: no path leads here from " + entry);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new FlowDefinitionException(problems);
        }
        Map<String, String> outbound = new LinkedHashMap<>();
        flows.values().stream().filter(RawFlow::outbound).forEach(f -> outbound.put(f.name(), f.start()));
        return new FlowSet(entryFlow + "." + flows.get(entryFlow).start(), Map.copyOf(nodes), Map.copyOf(fileOfFlow),
                Map.copyOf(outbound));
    }

    @SuppressWarnings("unchecked")
    private RawFlow read(String file, String text) {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (RuntimeException e) {
            problems.add(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            return null;
        }
        if (!(doc instanceof Map<?, ?> m)) {
            problems.add(file + ": expected a mapping with flow, start and nodes");
            return null;
        }
        String base = file.replaceFirst("\\.ya?ml$", "");
        String name = m.get("flow") == null ? base : String.valueOf(m.get("flow"));
        if (!PromptCatalogue.ID.matcher(name).matches()) {
            problems.add(file + ": flow name '" + name + "' must match [a-z0-9_]+");
            return null;
        }
        for (Object k : m.keySet()) {
            if (!Set.of("flow", "start", "nodes", "outbound").contains(String.valueOf(k))) {
                problems.add(file + ": unknown field '" + k + "' (expected flow, start, nodes, outbound)");
            }
        }
        if (!(m.get("nodes") instanceof Map<?, ?> rawNodes) || rawNodes.isEmpty()) {
            problems.add(file + ": no nodes");
            return null;
        }
        Map<String, Map<String, Object>> nodes = new LinkedHashMap<>();
        for (var n : rawNodes.entrySet()) {
            String id = String.valueOf(n.getKey());
            if (!PromptCatalogue.ID.matcher(id).matches()) {
                problems.add(file + ": node '" + id + "': name must match [a-z0-9_]+");
                continue;
            }
            if (!(n.getValue() instanceof Map<?, ?> body)) {
                problems.add(file + ": node '" + id + "': expected a mapping with kind and its fields");
                continue;
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            body.forEach((k, v) -> fields.put(String.valueOf(k), v));
            nodes.put(id, fields);
        }
        Object start = m.get("start");
        if (start == null) {
            problems.add(file + ": no start node");
            return null;
        }
        if (!nodes.containsKey(String.valueOf(start))) {
            problems.add(file + ": start node '" + start + "' is an unknown node");
            return null;
        }
        return new RawFlow(file, name, String.valueOf(start), nodes, Boolean.TRUE.equals(m.get("outbound")));
    }

    private static String where(String file, String qualified) {
        return file + ": node '" + FlowSet.nodeOf(qualified) + "' (" + qualified + "): ";
    }

    private FlowNode build(RawFlow f, String name, Map<String, Object> fields, Map<String, RawFlow> flows) {
        String id = f.name() + "." + name;
        String at = where(f.file(), id);
        Object kindValue = fields.get("kind");
        String kind = kindValue == null ? null : String.valueOf(kindValue);
        if (kind == null || !KINDS.contains(kind)) {
            problems.add(at + "kind must be one of " + sorted(KINDS) + ", got " + kind);
            return null;
        }
        for (String k : fields.keySet()) {
            if (!k.equals("kind") && !FIELDS.get(kind).contains(k)) {
                problems.add(at + "unknown field '" + k + "' for kind " + kind
                        + (k.equals("true") || k.equals("false") ? " (YAML reads yes/no/on/off as true/false: quote it)" : ""));
            }
        }
        Ctx c = new Ctx(f, at, fields, flows);
        return switch (kind) {
            case "say" -> new FlowNode.Say(id, c.prompt(true), c.target("next", true));
            case "menu" -> new FlowNode.Menu(id, c.prompt(true), c.options(),
                    fields.containsKey("timeout") ? c.target("timeout", false) : null);
            case "choice" -> {
                String list = c.string("list", true);
                if (list != null && !FlowVocabulary.LISTS.contains(list)) {
                    problems.add(at + "unknown list '" + list + "' (known: " + sorted(FlowVocabulary.LISTS) + ")");
                }
                String otherPrompt = c.string("other_prompt", fields.containsKey("other"));
                if (otherPrompt != null && !prompts.has(otherPrompt)) {
                    problems.add(at + "missing prompt '" + otherPrompt + "' (not in " + prompts.dir().resolve("catalogue.tsv") + ")");
                }
                yield new FlowNode.Choice(id, c.prompt(true), list, c.target("next", true), c.target("empty", true),
                        otherPrompt, fields.containsKey("other") ? c.target("other", true) : null);
            }
            case "collect" -> c.collect(id);
            case "confirm" -> {
                Map<String, String> more = fields.containsKey("options") ? c.options() : Map.of();
                if (more.containsKey("1") || more.containsKey("2")) {
                    problems.add(at + "option keys 1 and 2 of a confirm are 'confirmed' and 'again'");
                }
                yield new FlowNode.Confirm(id, c.prompt(true), c.target("confirmed", true), c.target("again", true), more);
            }
            case "action" -> c.action(id);
            case "transfer" -> {
                String reason = c.string("reason", true);
                TransferReason r = null;
                try {
                    r = reason == null ? null : TransferReason.valueOf(reason);
                } catch (IllegalArgumentException e) {
                    problems.add(at + "unknown transfer reason '" + reason + "'");
                }
                yield new FlowNode.Transfer(id, c.prompt(false), r);
            }
            case "goodbye" -> new FlowNode.Goodbye(id, fields.containsKey("prompt") ? c.prompt(true) : List.of("goodbye"));
            default -> throw new IllegalStateException(kind);
        };
    }

    private static String sorted(Set<String> s) {
        return new java.util.TreeSet<>(s).toString();
    }

    /** Reading one node's fields, reporting each problem with its file and node. */
    private final class Ctx {
        final RawFlow flow;
        final String at;
        final Map<String, Object> fields;
        final Map<String, RawFlow> flows;

        Ctx(RawFlow flow, String at, Map<String, Object> fields, Map<String, RawFlow> flows) {
            this.flow = flow;
            this.at = at;
            this.fields = fields;
            this.flows = flows;
        }

        String string(String key, boolean required) {
            Object v = fields.get(key);
            if (v == null) {
                if (required) {
                    problems.add(at + "missing '" + key + "'");
                }
                return null;
            }
            return String.valueOf(v);
        }

        /** {@code node} (this flow), {@code flow} (its start) or {@code flow.node}. */
        String target(String key, boolean required) {
            String t = string(key, required);
            return t == null ? null : resolve(key, t);
        }

        String resolve(String key, String t) {
            int dot = t.indexOf('.');
            if (dot < 0) {
                if (flow.nodes().containsKey(t)) {
                    return flow.name() + "." + t;
                }
                if (flows.containsKey(t)) {
                    return t + "." + flows.get(t).start();
                }
                problems.add(at + key + " → unknown node '" + t + "'");
                return null;
            }
            RawFlow other = flows.get(t.substring(0, dot));
            if (other == null || !other.nodes().containsKey(t.substring(dot + 1))) {
                problems.add(at + key + " → unknown node '" + t + "'");
                return null;
            }
            return t;
        }

        List<String> prompt(boolean required) {
            Object v = fields.get("prompt");
            if (v == null) {
                if (required) {
                    problems.add(at + "missing 'prompt'");
                }
                return List.of();
            }
            List<?> parts = v instanceof List<?> l ? l : List.of(v);
            List<String> out = new ArrayList<>();
            for (Object p : parts) {
                String s = String.valueOf(p);
                if (s.startsWith("$")) {
                    if (!FlowVocabulary.VALUES.contains(s.substring(1))) {
                        problems.add(at + "unknown spoken value '" + s + "'");
                    }
                } else if (!prompts.has(s)) {
                    problems.add(at + "missing prompt '" + s + "' (not in " + prompts.dir().resolve("catalogue.tsv") + ")");
                }
                out.add(s);
            }
            if (out.isEmpty() && required) {
                problems.add(at + "empty 'prompt'");
            }
            return List.copyOf(out);
        }

        Map<String, String> options() {
            Map<String, String> out = new LinkedHashMap<>();
            if (!(fields.get("options") instanceof Map<?, ?> m) || m.isEmpty()) {
                problems.add(at + "missing 'options' (key → node)");
                return out;
            }
            for (var e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (!key.matches("[1-9]")) {
                    problems.add(at + "option key '" + key + "' must be one of 1-9 (0 is a person and * repeats, everywhere)");
                    continue;
                }
                String t = resolve("option " + key, String.valueOf(e.getValue()));
                if (t != null) {
                    out.put(key, t);
                }
            }
            return out;
        }

        Integer integer(String key) {
            Object v = fields.get(key);
            if (v instanceof Integer i) {
                return i;
            }
            problems.add(at + "bad digit spec: '" + key + "' must be a whole number, got " + v);
            return null;
        }

        FlowNode collect(String id) {
            Integer min = integer("min");
            Integer max = integer("max");
            String star = fields.containsKey("star") ? String.valueOf(fields.get("star")) : "none";
            String check = fields.containsKey("check") ? String.valueOf(fields.get("check")) : "none";
            String store = string("store", true);
            if (min != null && max != null) {
                if (min < 1 || max < min || max > 20) {
                    problems.add(at + "bad digit spec: need 1 <= min <= max <= 20, got min " + min + ", max " + max);
                }
                int[] range = FlowVocabulary.CHECKS.get(check);
                if (range != null && !check.equals("none") && (min != range[0] || max != range[1])) {
                    problems.add(at + "bad digit spec: check " + check + " needs min " + range[0] + " and max "
                            + range[1] + ", got " + min + " and " + max);
                }
            }
            if (!FlowVocabulary.CHECKS.containsKey(check)) {
                problems.add(at + "bad digit spec: unknown check '" + check + "' (known: resident_id, mobile, booking_code, none)");
            }
            if (!star.equals("none") && !star.equals("x")) {
                problems.add(at + "bad digit spec: star must be x (a final * keys the X of an ID) or none, got '" + star + "'");
            }
            if (star.equals("x") && !check.equals("resident_id")) {
                problems.add(at + "bad digit spec: star: x only makes sense with check: resident_id");
            }
            if (store != null && !FlowVocabulary.STORES.contains(store)) {
                problems.add(at + "unknown store '" + store + "' (known: " + sorted(FlowVocabulary.STORES) + ")");
            }
            return new FlowNode.Collect(id, prompt(true), min == null ? 1 : min, max == null ? 1 : max,
                    star.equals("x"), check, store, target("next", true),
                    fields.containsKey("empty") ? target("empty", false) : null);
        }

        FlowNode action(String id) {
            String action = string("action", true);
            FlowVocabulary.ActionSpec spec = action == null ? null : FlowVocabulary.ACTIONS.get(action);
            if (action != null && spec == null) {
                problems.add(at + "unknown action '" + action + "' (known: " + sorted(FlowVocabulary.ACTIONS.keySet()) + ")");
            }
            Map<String, String> on = new LinkedHashMap<>();
            if (!(fields.get("outcomes") instanceof Map<?, ?> m)) {
                problems.add(at + "missing 'outcomes' (outcome → node)");
                return new FlowNode.Action(id, action, on);
            }
            for (var e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                String t = resolve("outcome " + key, String.valueOf(e.getValue()));
                if (t != null) {
                    on.put(key, t);
                }
            }
            if (spec != null) {
                for (String o : spec.outcomes()) {
                    if (!m.containsKey(o)) {
                        problems.add(at + "action " + action + " outcome '" + o + "' has no node");
                    }
                }
                if (spec.refuses() && !m.containsKey(FlowVocabulary.REFUSED)) {
                    problems.add(at + "action " + action + " can be refused: map 'refused' (and any refusal by name) to a way on");
                }
                for (Object k : m.keySet()) {
                    String key = String.valueOf(k);
                    boolean known = spec.outcomes().contains(key)
                            || spec.refuses() && (key.equals(FlowVocabulary.REFUSED) || isRefusal(key));
                    if (!known) {
                        problems.add(at + "action " + action + " has no outcome '" + key + "'");
                    }
                }
            }
            return new FlowNode.Action(id, action, on);
        }
    }

    /** Prompts the engine plays by itself, whatever the flows say. */
    public static Set<String> enginePrompts() {
        Set<String> all = new java.util.TreeSet<>(FlowVocabulary.ENGINE_PROMPTS);
        all.addAll(MandarinSpeech.PROMPTS);
        all.addAll(NamePrompts.FALLBACKS);
        for (var r : org.hotline.booking.Refusal.values()) {
            all.add(FlowEngine.refusalPrompt(r));
        }
        return all;
    }

    private static boolean isRefusal(String s) {
        for (var r : org.hotline.booking.Refusal.values()) {
            if (r.name().equals(s)) {
                return true;
            }
        }
        return false;
    }

    /** Every node a call can reach from the entry, following every target. */
    static Set<String> reachable(String entry, Map<String, FlowNode> nodes) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(entry));
        while (!todo.isEmpty()) {
            String id = todo.pop();
            if (id == null || !seen.add(id) || !nodes.containsKey(id)) {
                continue;
            }
            todo.addAll(targets(nodes.get(id)));
        }
        return seen;
    }

    static List<String> targets(FlowNode n) {
        List<String> out = new ArrayList<>();
        if (n instanceof FlowNode.Say s) {
            out.add(s.next());
        } else if (n instanceof FlowNode.Menu m) {
            out.addAll(m.options().values());
            out.add(m.timeout());
        } else if (n instanceof FlowNode.Choice c) {
            out.add(c.next());
            out.add(c.empty());
            out.add(c.other());
        } else if (n instanceof FlowNode.Collect c) {
            out.add(c.next());
            out.add(c.empty());
        } else if (n instanceof FlowNode.Confirm c) {
            out.add(c.confirmed());
            out.add(c.again());
            out.addAll(c.options().values());
        } else if (n instanceof FlowNode.Action a) {
            out.addAll(a.outcomes().values());
        }
        out.removeIf(java.util.Objects::isNull);
        return out;
    }
}
