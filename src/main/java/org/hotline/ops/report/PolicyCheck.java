package org.hotline.ops.report;

import java.util.List;

/**
 * One question of the bureau's policy check, answered yes or no with the evidence that decides it.
 *
 * @param summary  one sentence saying why the answer is what it is
 * @param headers  the evidence table's column names
 * @param evidence its rows, already formatted
 */
public record PolicyCheck(String id, String question, Verdict verdict, String summary, List<String> headers,
        List<List<String>> evidence) {

    public enum Verdict {
        YES("是"), NO("否"), UNKNOWN("无法判断");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
