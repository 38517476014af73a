package org.hotline.his;

import java.util.List;

import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;

import org.hotline.his.fhir.Fhir;

/**
 * HAPI's FhirInstanceValidator against the R4 core (hapi-fhir-validation with hapi-fhir-validation-resources-r4):
 * the base StructureDefinitions and their invariants, value sets bound in the core, and snapshots. Built once per
 * JVM (it loads the core's definitions, some seconds).
 */
final class R4Validation {

    private static FhirValidator validator;

    private R4Validation() {
    }

    static synchronized FhirValidator validator() {
        if (validator == null) {
            FhirContext ctx = Fhir.CTX;
            ValidationSupportChain chain = new ValidationSupportChain(new DefaultProfileValidationSupport(ctx),
                    new CommonCodeSystemsTerminologyService(ctx), new InMemoryTerminologyServerValidationSupport(ctx),
                    new SnapshotGeneratingValidationSupport(ctx));
            FhirInstanceValidator module = new FhirInstanceValidator(chain);
            module.setAnyExtensionsAllowed(true); // ours are documented in docs/his.md, not in the core
            validator = ctx.newValidator().registerValidatorModule(module);
        }
        return validator;
    }

    /** The errors (and worse) the validator finds in this JSON resource, one line each. */
    static List<String> errors(FhirValidator v, String json) {
        return v.validateWithResult(json).getMessages().stream()
                .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal())
                .map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
    }
}
