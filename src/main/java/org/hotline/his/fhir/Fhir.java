package org.hotline.his.fhir;

import java.nio.charset.StandardCharsets;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;

/** HAPI's R4 context and the few ways the FHIR door answers: a resource, or an OperationOutcome saying why. */
public final class Fhir {

    public static final FhirContext CTX = FhirContext.forR4Cached();
    public static final MediaType FHIR_JSON = MediaType.parseMediaType("application/fhir+json;charset=UTF-8");
    /** The base of our extensions' canonical URLs (docs/his.md). */
    public static final String EXT = "https://hotline.example.org/fhir/StructureDefinition/";
    /** The identifier system of our booking codes and of the hashed resident ID (docs/his.md). */
    public static final String NS = "https://hotline.example.org/fhir/";

    private Fhir() {
    }

    public static IParser json() {
        return CTX.newJsonParser().setPrettyPrint(false);
    }

    /** Parses a body strictly (unknown elements are an error): a client's mistake is said, not dropped. */
    public static <T extends IBaseResource> T parse(Class<T> type, String body) {
        IParser p = CTX.newJsonParser().setParserErrorHandler(new StrictErrorHandler());
        if (body != null && body.trim().startsWith("<")) {
            p = CTX.newXmlParser().setParserErrorHandler(new StrictErrorHandler());
        }
        try {
            return p.parseResource(type, body);
        } catch (DataFormatException | ClassCastException e) {
            throw new FhirProblem(400, OperationOutcome.IssueType.STRUCTURE, "not a valid " + type.getSimpleName()
                    + ": " + e.getMessage());
        }
    }

    public static ResponseEntity<String> ok(IBaseResource r) {
        return answer(200, r);
    }

    public static ResponseEntity<String> answer(int status, IBaseResource r) {
        ResponseEntity.BodyBuilder b = ResponseEntity.status(status).contentType(FHIR_JSON);
        if (r.getMeta() != null && r.getMeta().getVersionId() != null && r.getIdElement().hasIdPart()) {
            b.header(HttpHeaders.ETAG, "W/\"" + r.getMeta().getVersionId() + "\"");
        }
        return b.body(json().encodeResourceToString(r));
    }

    public static OperationOutcome outcome(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type,
            String text) {
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue().setSeverity(severity).setCode(type).setDiagnostics(text);
        return oo;
    }

    public static ResponseEntity<String> problem(int status, OperationOutcome.IssueType type, String text) {
        return answer(status, outcome(OperationOutcome.IssueSeverity.ERROR, type, text));
    }

    static byte[] bytes(IBaseResource r) {
        return json().encodeResourceToString(r).getBytes(StandardCharsets.UTF_8);
    }
}
