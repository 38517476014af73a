package org.hotline.his;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.OperationOutcome;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;

import org.hotline.his.fhir.Fhir;

/**
 * HAPI's FhirInstanceValidator against the R4 core (hapi-fhir-validation with hapi-fhir-validation-resources-r4):
 * the base StructureDefinitions and their invariants (DefaultProfileValidationSupport), the value sets bound in the
 * core, and snapshots. Its first validation loads the whole core (profiles, extension definitions, value sets: half
 * a minute of XML parsing on a busy 2-core machine), so {@link #warmUp} starts that on a thread of its own when the
 * test class starts, while the other tests run, and {@link #validator} waits for it.
 */
final class R4Validation {

    private static CompletableFuture<FhirValidator> validator;

    private R4Validation() {
    }

    static synchronized void warmUp() {
        if (validator == null) {
            validator = CompletableFuture.supplyAsync(() -> {
                FhirContext ctx = Fhir.CTX;
                ValidationSupportChain chain = new ValidationSupportChain(new DefaultProfileValidationSupport(ctx),
                        new CommonCodeSystemsTerminologyService(ctx), new InMemoryTerminologyServerValidationSupport(ctx),
                        new SnapshotGeneratingValidationSupport(ctx));
                FhirInstanceValidator module = new FhirInstanceValidator(chain);
                module.setAnyExtensionsAllowed(true); // ours are documented in docs/his.md, not in the core
                FhirValidator v = ctx.newValidator().registerValidatorModule(module);
                // one validation loads everything the validator reads
                v.validateWithResult(Fhir.outcome(OperationOutcome.IssueSeverity.ERROR, OperationOutcome.IssueType.LOGIN,
                        "warm-up"));
                return v;
            }, task -> {
                Thread t = new Thread(task, "r4-validator-warm-up");
                t.setDaemon(true);
                t.start();
            });
        }
    }

    static FhirValidator validator() {
        warmUp();
        return validator.join();
    }

    /** The errors (and worse) the validator finds in this JSON resource, one line each. */
    static List<String> errors(FhirValidator v, String json) {
        return v.validateWithResult(json).getMessages().stream()
                .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal())
                .map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
    }
}
