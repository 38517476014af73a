package org.hotline.ivr.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code sip-config/} and the service agree: the dialplan calls the port and script the service
 * listens on (application.yml defaults), reads the variables the adapter sets, queues into a queue
 * that exists, with members that are endpoints, and the trunk lands in the hotline's context.
 */
class AsteriskConfigTest {

    static final Path DIR = Path.of("sip-config");

    /** An Asterisk .conf file: [section] (with (!) templates and (template) inheritance), key = value. */
    record Section(String name, boolean template, List<String> inherits, List<String[]> lines) {
        String get(String key) {
            for (String[] kv : lines) {
                if (kv[0].equalsIgnoreCase(key)) {
                    return kv[1];
                }
            }
            return null;
        }

        List<String> all(String key) {
            List<String> out = new ArrayList<>();
            for (String[] kv : lines) {
                if (kv[0].equalsIgnoreCase(key)) {
                    out.add(kv[1]);
                }
            }
            return out;
        }
    }

    static List<Section> parse(String file) throws IOException {
        List<Section> sections = new ArrayList<>();
        Section cur = null;
        Pattern header = Pattern.compile("^\\[([^\\]]+)\\](?:\\(([^)]*)\\))?\\s*$");
        for (String raw : Files.readAllLines(DIR.resolve(file))) {
            String line = raw.replaceAll("(^|[^\\\\]);.*$", "$1").trim();
            if (line.isEmpty()) {
                continue;
            }
            Matcher h = header.matcher(line);
            if (h.matches()) {
                String opts = h.group(2) == null ? "" : h.group(2);
                List<String> inherits = new ArrayList<>();
                for (String o : opts.split(",")) {
                    if (!o.isBlank() && !o.equals("!")) {
                        inherits.add(o.trim());
                    }
                }
                cur = new Section(h.group(1), opts.contains("!"), inherits, new ArrayList<>());
                sections.add(cur);
                continue;
            }
            int eq = line.indexOf('=');
            if (cur != null && eq > 0) {
                String key = line.substring(0, eq).trim();
                String value = line.substring(eq + 1).replaceFirst("^>", "").trim();
                cur.lines().add(new String[] {key, value});
            }
        }
        return sections;
    }

    static Map<String, Object> yamlDefaults() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.yml"))) {
            // the first document: the defaults, before any profile
            @SuppressWarnings("unchecked")
            Map<String, Object> doc = (Map<String, Object>) new Yaml().loadAll(in).iterator().next();
            return doc;
        }
    }

    @SuppressWarnings("unchecked")
    static Object at(Map<String, Object> yaml, String... path) {
        Object o = yaml;
        for (String p : path) {
            o = ((Map<String, Object>) o).get(p);
        }
        return o;
    }

    static String resolve(String s, Map<String, String> globals) {
        Matcher m = Pattern.compile("\\$\\{([A-Z0-9_]+)\\}").matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(globals.getOrDefault(m.group(1), m.group())));
        }
        return m.appendTail(b).toString();
    }

    @Test
    void theDialplanCallsThePortAndScriptTheServiceListensOnOnTwoNodes() throws IOException {
        Map<String, Object> yml = yamlDefaults();
        int port = ((Number) at(yml, "hotline", "agi", "port")).intValue();
        String script = (String) at(yml, "hotline", "agi", "script");
        assertThat(AgiSettings.defaults().build().port()).isEqualTo(port);

        List<Section> ext = parse("extensions.conf");
        Map<String, String> globals = new LinkedHashMap<>();
        ext.stream().filter(s -> s.name().equals("globals")).flatMap(s -> s.lines().stream())
                .forEach(kv -> globals.put(kv[0], kv[1]));
        List<URI> agis = new ArrayList<>();
        Pattern agi = Pattern.compile("\\bAGI\\(([^)]*)\\)");
        for (Section s : ext) {
            for (String e : allDialplan(s)) {
                Matcher m = agi.matcher(e);
                while (m.find()) {
                    agis.add(URI.create(resolve(m.group(1).split(",")[0], globals)));
                }
            }
        }
        assertThat(agis).as("AGI() calls in extensions.conf").hasSizeGreaterThanOrEqualTo(2);
        assertThat(agis).allSatisfy(u -> {
            assertThat(u.getScheme()).isEqualTo("agi");
            assertThat(u.getPort()).as("port of %s", u).isEqualTo(port);
            assertThat(u.getPath()).as("script of %s", u).isEqualTo("/" + script);
        });
        assertThat(agis.stream().map(URI::getHost).distinct()).as("a second gateway node").hasSizeGreaterThan(1);
    }

    static List<String> allDialplan(Section s) {
        List<String> out = new ArrayList<>();
        for (String[] kv : s.lines()) {
            if (kv[0].equals("exten") || kv[0].equals("same")) {
                out.add(kv[1]);
            }
        }
        return out;
    }

    @Test
    void theDialplanReadsTheVariablesTheAdapterSetsAndQueuesIntoAQueueOfRealEndpoints() throws IOException {
        List<Section> ext = parse("extensions.conf");
        String dialplan = String.join("\n", ext.stream().flatMap(s -> allDialplan(s).stream()).toList());
        assertThat(dialplan).contains("${" + AgiCall.NEXT + "}\" = \"AGENT\"")
                .contains("${" + AgiCall.TRANSFER_ID + "}").contains("Set(" + AgiCall.QUEUE_PRIORITY + "=");

        Matcher q = Pattern.compile("\\bQueue\\(([^,)]+)").matcher(dialplan);
        assertThat(q.find()).as("a Queue() in the dialplan").isTrue();
        String queue = q.group(1);
        List<Section> queues = parse("queues.conf");
        Section agents = queues.stream().filter(s -> s.name().equals(queue)).findFirst().orElseThrow(
                () -> new AssertionError("queues.conf has no [" + queue + "]"));
        List<String> members = agents.all("member");
        assertThat(members).isNotEmpty();

        List<Section> pjsip = parse("pjsip.conf");
        for (String member : members) {
            String endpoint = member.replaceFirst("^PJSIP/", "").split(",")[0];
            assertThat(pjsip).as("pjsip endpoint %s", endpoint)
                    .anySatisfy(s -> {
                        assertThat(s.name()).isEqualTo(endpoint);
                        assertThat(typeOf(s, pjsip)).isEqualTo("endpoint");
                    });
        }
    }

    /**
     * Issue 18: the transfer id reaches the agent's phone as a SIP header and the agent's console as a channel
     * variable. The caller's [hotline] agent step makes HOTLINE_TRANSFER_ID inheritable (__) before Queue(), whose
     * b() option runs the pre-dial handler on each agent's channel (app_queue.c ring_entry inherits the __
     * variables into it): the handler adds the header the gateway's own SIP side uses for the same id (the REFER of
     * the direct SIP adapter, docs/sip.md), only when there is an id, and returns. manager.conf lists the variable
     * in channelvars, so AgentConnect carries it (ChanVariable), which is what the screen-pop reads
     * (QueueCalls.TRANSFER_VARIABLE), and the gateway's manager user's eventfilter lets AgentConnect through.
     */
    @Test
    void theTransferIdTravelsAsAHeaderToThePhoneAndAsAChannelVariableToTheScreenPop() throws Exception {
        List<Section> ext = parse("extensions.conf");
        Section hotline = ext.stream().filter(s -> s.name().equals("hotline")).findFirst().orElseThrow();
        List<String> steps = allDialplan(hotline);
        int agentStart = -1;
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).startsWith("agent,1,")) {
                agentStart = i;
            }
        }
        assertThat(agentStart).as("[hotline] exten agent").isNotNegative();
        int inherit = -1;
        int queue = -1;
        for (int i = agentStart; i < steps.size() && (i == agentStart || steps.get(i).matches("^n[,(].*")); i++) {
            if (steps.get(i).contains("Set(__" + AgiCall.TRANSFER_ID + "=${" + AgiCall.TRANSFER_ID + "})")) {
                inherit = i;
            }
            if (steps.get(i).contains("Queue(")) {
                queue = i;
            }
        }
        assertThat(inherit).as("Set(__HOTLINE_TRANSFER_ID=...) in [hotline] agent").isNotNegative();
        assertThat(queue).as("Queue() after it").isGreaterThan(inherit);
        Matcher b = Pattern.compile("Queue\\([^,]+,[^,]*b\\(([^^)]+)\\^([^^)]+)\\^(\\d+)\\)").matcher(steps.get(queue));
        assertThat(b.find()).as("Queue() option b(context^exten^priority): %s", steps.get(queue)).isTrue();
        String context = b.group(1);
        String exten = b.group(2);
        Section predial = ext.stream().filter(s -> s.name().equals(context)).findFirst().orElseThrow(
                () -> new AssertionError("no pre-dial context [" + context + "]"));
        List<String> handler = allDialplan(predial);
        assertThat(handler.get(0)).as("the handler starts at %s,%s", exten, b.group(3))
                .startsWith(exten + "," + b.group(3) + ",");
        Field header = Class.forName("org.hotline.ivr.sip.InDialogRequests").getDeclaredField("TRANSFER_ID_HEADER");
        header.setAccessible(true);
        String name = (String) header.get(null);
        assertThat(String.join("\n", handler))
                .as("only with an id").contains("GotoIf($[\"${" + AgiCall.TRANSFER_ID + "}\" = \"\"]?")
                .contains("Set(PJSIP_HEADER(add," + name + ")=${" + AgiCall.TRANSFER_ID + "})")
                .contains("Return()");
        assertThat(AgiCall.TRANSFER_ID).isEqualTo(org.hotline.outbound.QueueCalls.TRANSFER_VARIABLE);

        // an answered call-back that asks for a person goes the same way
        Section outbound = ext.stream().filter(s -> s.name().equals("hotline-outbound")).findFirst().orElseThrow();
        assertThat(String.join("\n", allDialplan(outbound))).contains("?hotline,agent,1)");

        List<Section> manager = parse("manager.conf");
        Section general = manager.stream().filter(s -> s.name().equals("general")).findFirst().orElseThrow();
        assertThat(List.of(general.get("channelvars").split(",")))
                .as("manager.conf channelvars").contains(AgiCall.TRANSFER_ID);
        Section user = manager.stream().filter(s -> s.name().equals("hotline-gateway")).findFirst().orElseThrow();
        assertThat(user.all("eventfilter")).anyMatch(f -> Pattern.compile(f).matcher("Event: AgentConnect\r\n").find());
        assertThat(Files.readString(Path.of("docs/asterisk.md"))).contains(name + ": <transfer id>");
    }

    @Test
    void theTrunkLandsInTheContextThatAnswersTheHotline() throws IOException {
        List<Section> pjsip = parse("pjsip.conf");
        List<Section> ext = parse("extensions.conf");
        List<String> contexts = pjsip.stream().filter(s -> !s.template() && "endpoint".equals(typeOf(s, pjsip)))
                .map(s -> valueOf(s, "context", pjsip)).distinct().toList();
        assertThat(contexts).contains("from-trunk", "agents");
        for (String c : contexts) {
            assertThat(ext).as("extensions.conf context [%s]", c).anyMatch(s -> s.name().equals(c));
        }
        Section fromTrunk = ext.stream().filter(s -> s.name().equals("from-trunk")).findFirst().orElseThrow();
        assertThat(String.join("\n", allDialplan(fromTrunk))).contains("Goto(hotline,start,1)");
    }

    @Test
    void promptsAreInstalledWhereTheSoundPrefixPoints() throws IOException {
        String prefix = (String) at(yamlDefaults(), "hotline", "agi", "sound-prefix");
        assertThat(Files.readString(DIR.resolve("extensions.conf")))
                .contains("/var/lib/asterisk/sounds/" + prefix + "<prompt id>.wav");
        assertThat(Files.readString(Path.of("docs/asterisk.md"))).contains("/var/lib/asterisk/sounds/" + prefix);
    }

    static String typeOf(Section s, List<Section> all) {
        return valueOf(s, "type", all);
    }

    /** A value from the section itself or the templates it inherits. */
    static String valueOf(Section s, String key, List<Section> all) {
        String v = s.get(key);
        if (v != null) {
            return v;
        }
        for (String parent : s.inherits()) {
            for (Section p : all) {
                if (p.name().equals(parent) && p.template()) {
                    String pv = valueOf(p, key, all);
                    if (pv != null) {
                        return pv;
                    }
                }
            }
        }
        return null;
    }
}
