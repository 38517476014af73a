package org.hotline.his.fhir;

import org.hl7.fhir.r4.model.OperationOutcome;

/** A request the FHIR door refuses: its HTTP status and an OperationOutcome issue saying why. */
public class FhirProblem extends RuntimeException {

    private final int status;
    private final OperationOutcome.IssueType type;

    public FhirProblem(int status, OperationOutcome.IssueType type, String text) {
        super(text, null, false, false);
        this.status = status;
        this.type = type;
    }

    public int status() {
        return status;
    }

    public OperationOutcome.IssueType type() {
        return type;
    }
}
