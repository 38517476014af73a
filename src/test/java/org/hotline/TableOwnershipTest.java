package org.hotline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * One owner per table (docs/architecture.md): a module names in SQL only the tables it owns; {@code ops}
 * (reports, monitoring) may also read every table, never write one. The import rules of {@link ModularityTest}
 * cannot see SQL, so this test reads it: every string literal and text block in src/main/java, every table
 * the migrations create.
 */
class TableOwnershipTest {

    static final Path MAIN = Path.of("src/main/java/org/hotline");
    static final Path MIGRATIONS = Path.of("src/main/resources/db/migration");

    /** Which module owns each table: the same list as docs/architecture.md. */
    static final Map<String, String> OWNER = owners(
            "booking", "facility vaccine service clinic_session slot quota_pool patient caller_day hold booking "
                    + "booking_phone name_audio booking_reminder session_cancellation cancellation_notice cancellation_call "
                    + "vaccine_dose waitlist_entry",
            "release", "release_policy schedule_template release_step release_job_run release_audit "
                    + "closure policy_override "
                    + "qrtz_job_details qrtz_triggers qrtz_simple_triggers qrtz_cron_triggers qrtz_simprop_triggers "
                    + "qrtz_blob_triggers qrtz_calendars qrtz_paused_trigger_grps qrtz_fired_triggers "
                    + "qrtz_scheduler_state qrtz_locks",
            "sms", "sms_message sms_part sms_receipt_waiting sms_agent_notice",
            "handoff", "call_transfer callback_request callback_attempt transfer_pickup complaint",
            "agent", "console_user agent_presence agent_phone screen_pop",
            "audit", "audit_event",
            "ivr", "phone_lookup_day",
            "his", "his_client his_client_facility his_token his_request his_appointment his_push his_subscription his_rate",
            "outbound", "outbound_call outbound_attempt outbound_number_day outbound_contact queue_call");

    /** The module that may read every table (SELECT only). */
    static final String READS_ALL = "ops";

    /**
     * Today's known violations, file (under org/hotline) and table; this list may only shrink (the test fails
     * when an entry no longer happens). Each goes away when its SQL moves behind the owner's API (issue 15).
     */
    static final Set<String> ALLOWED = Set.of();

    /** A table named in SQL: the keyword before it says whether it is read or written. */
    static final Pattern TABLE_REF = Pattern.compile( // keywords in capitals, names and aliases in lower case
            "\\b(FROM|JOIN|UPDATE|INSERT\\s+INTO|INSERT\\s+IGNORE\\s+INTO|REPLACE\\s+INTO|DELETE\\s+FROM|INTO)\\s+`?(\\w+)`?"
                    + "(?:\\s+(?:AS\\s+)?[a-z_]\\w*)?((?:\\s*,\\s*[a-z_]\\w*(?:\\s+[a-z_]\\w*)?)*)");

    record Use(String file, String table, String keyword, String sql) {
        boolean write() {
            return !keyword.equals("FROM") && !keyword.equals("JOIN");
        }
    }

    @Test
    void everyTableHasExactlyOneOwner() {
        Set<String> created = createdTables();
        assertThat(OWNER.keySet()).as("tables in the ownership map = tables the migrations create")
                .containsExactlyInAnyOrderElementsOf(created);
    }

    @Test
    void aModuleNamesInSqlOnlyTheTablesItOwns() {
        Set<String> found = new TreeSet<>();
        List<String> messages = new ArrayList<>();
        for (Use u : uses()) {
            String module = u.file().substring(0, u.file().indexOf('/'));
            String owner = OWNER.get(u.table());
            if (owner == null || owner.equals(module) || (module.equals(READS_ALL) && !u.write())) {
                continue;
            }
            String key = u.file() + " " + u.table();
            if (found.add(key) && !ALLOWED.contains(key)) {
                messages.add(u.file() + " names " + owner + "'s table " + u.table() + " (" + u.keyword() + ") in: "
                        + u.sql());
            }
        }
        assertThat(messages).as("SQL naming another module's table (go through the owner's API)").isEmpty();
        Set<String> gone = new TreeSet<>(ALLOWED);
        gone.removeAll(found);
        assertThat(gone).as("allowed violations that no longer happen: remove them from ALLOWED").isEmpty();
    }

    @Test
    void theScannerSeesSql() {
        // the scanner itself, so that an empty result above means something
        List<Use> uses = uses();
        assertThat(uses).anyMatch(u -> u.file().equals("booking/PoolRows.java") && u.table().equals("quota_pool")
                && u.write());
        assertThat(uses).anyMatch(u -> u.file().startsWith("ops/") && u.table().equals("booking") && !u.write());
        assertThat(refs("x", "SELECT a FROM booking b, patient p JOIN slot s ON s.id = b.slot_id WHERE 1"))
                .extracting(Use::table).containsExactly("booking", "patient", "slot");
        assertThat(refs("x", "UPDATE release_step st JOIN quota_pool q ON q.id = st.pool_id SET q.opens_at = 1"))
                .extracting(Use::table, Use::write).containsExactly(tuple("quota_pool", true), tuple("release_step", true));
        assertThat(refs("x", "SELECT 1 FROM hold FOR UPDATE")).extracting(Use::table).containsExactly("hold");
    }

    static List<Use> uses() {
        List<Use> uses = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                String file = MAIN.relativize(p).toString().replace('\\', '/');
                if (!file.contains("/")) {
                    continue; // the application class, no module
                }
                uses.addAll(refs(file, String.join(" ", literals(Files.readString(p)))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return uses;
    }

    /** Tables named in one file's SQL; a statement in an UPDATE that joins another table writes it too. */
    static List<Use> refs(String file, String text) {
        List<Use> uses = new ArrayList<>();
        Matcher m = TABLE_REF.matcher(text);
        while (m.find()) {
            String keyword = m.group(1).replaceAll("\\s+", " ");
            List<String> tables = new ArrayList<>();
            tables.add(m.group(2));
            for (String more : m.group(3).split(",")) {
                if (!more.isBlank()) {
                    tables.add(more.trim().split("\\s+")[0]);
                }
            }
            boolean inUpdate = keyword.equals("JOIN") && text.lastIndexOf("UPDATE ", m.start()) > Math
                    .max(text.lastIndexOf("SELECT ", m.start()), text.lastIndexOf(" SET ", m.start()));
            for (String t : tables) {
                String table = t.toLowerCase(Locale.ROOT);
                if (OWNER.containsKey(table)) {
                    int from = Math.max(0, m.start() - 60);
                    String sql = text.substring(from, Math.min(text.length(), m.end() + 40)).replaceAll("\\s+", " ");
                    uses.add(new Use(file, table, inUpdate ? "UPDATE" : keyword, sql.trim()));
                }
            }
        }
        uses.sort((a, b) -> a.table().compareTo(b.table()));
        return uses;
    }

    /** The contents of a Java source's string literals and text blocks, comments and char literals skipped. */
    static List<String> literals(String src) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                i = src.indexOf('\n', i);
                i = i < 0 ? n : i;
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                i = src.indexOf("*/", i + 2) + 2;
            } else if (c == '\'') {
                i++;
                while (src.charAt(i) != '\'') {
                    i += src.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
            } else if (src.startsWith("\"\"\"", i)) {
                int end = src.indexOf("\"\"\"", i + 3);
                while (src.charAt(end - 1) == '\\') {
                    end = src.indexOf("\"\"\"", end + 1);
                }
                out.add(src.substring(i + 3, end).replace("\\s", " "));
                i = end + 3;
            } else if (c == '"') {
                StringBuilder s = new StringBuilder();
                i++;
                while (src.charAt(i) != '"') {
                    if (src.charAt(i) == '\\') {
                        s.append(src.charAt(i + 1));
                        i += 2;
                    } else {
                        s.append(src.charAt(i++));
                    }
                }
                out.add(s.toString());
                i++;
            } else {
                i++;
            }
        }
        return out;
    }

    static Set<String> createdTables() {
        Set<String> tables = new TreeSet<>();
        Pattern create = Pattern.compile("(?i)CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`?(\\w+)");
        try (Stream<Path> files = Files.list(MIGRATIONS)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".sql")).toList()) {
                Matcher m = create.matcher(Files.readString(p));
                while (m.find()) {
                    tables.add(m.group(1).toLowerCase(Locale.ROOT));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tables;
    }

    static Map<String, String> owners(String... moduleThenTables) {
        Map<String, String> owners = new TreeMap<>();
        for (int i = 0; i < moduleThenTables.length; i += 2) {
            for (String t : moduleThenTables[i + 1].split(" ")) {
                if (owners.put(t, moduleThenTables[i]) != null) {
                    throw new IllegalStateException(t + " has two owners");
                }
            }
        }
        return owners;
    }
}
