package org.hotline.his.fhir;

import java.util.Date;

import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.ResourceInteractionComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.TypeRestfulInteraction;
import org.hl7.fhir.r4.model.Enumerations;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Hidden;

/** {@code GET /fhir/metadata}: what this FHIR door does (docs/his.md), for a HIS's client to read first. */
@RestController
@Hidden
class FhirMetadataApi {

    private static final Date STARTED = new Date();

    @GetMapping("/fhir/metadata")
    ResponseEntity<String> metadata() {
        CapabilityStatement cs = new CapabilityStatement();
        cs.setStatus(Enumerations.PublicationStatus.ACTIVE).setDate(STARTED)
                .setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE)
                .setFhirVersion(Enumerations.FHIRVersion._4_0_1).addFormat("json").addFormat("application/fhir+json");
        cs.getSoftware().setName("hotline-gateway");
        cs.getImplementation().setDescription("Hotline booking gateway: hospital systems' FHIR door (docs/his.md)");
        var rest = cs.addRest().setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
        rest.getSecurity().setDescription("Authorization: Bearer <token issued by the gateway's admin>; "
                + "each token reaches its hospital's facilities only");
        rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.BATCH);
        resource(rest.addResource().setType("Schedule"), TypeRestfulInteraction.READ, TypeRestfulInteraction.SEARCHTYPE);
        var slot = resource(rest.addResource().setType("Slot"), TypeRestfulInteraction.READ,
                TypeRestfulInteraction.SEARCHTYPE, TypeRestfulInteraction.CREATE, TypeRestfulInteraction.UPDATE,
                TypeRestfulInteraction.DELETE).setConditionalUpdate(true);
        slot.addSearchParam().setName("schedule").setType(Enumerations.SearchParamType.REFERENCE);
        slot.addSearchParam().setName("start").setType(Enumerations.SearchParamType.DATE);
        var appt = resource(rest.addResource().setType("Appointment"), TypeRestfulInteraction.READ,
                TypeRestfulInteraction.SEARCHTYPE, TypeRestfulInteraction.CREATE, TypeRestfulInteraction.UPDATE)
                .setConditionalCreate(true).setConditionalUpdate(true);
        appt.addSearchParam().setName("date").setType(Enumerations.SearchParamType.DATE);
        appt.addSearchParam().setName("location").setType(Enumerations.SearchParamType.REFERENCE);
        appt.addSearchParam().setName("patient.identifier").setType(Enumerations.SearchParamType.TOKEN);
        appt.addSearchParam().setName("identifier").setType(Enumerations.SearchParamType.TOKEN);
        appt.addSearchParam().setName("status").setType(Enumerations.SearchParamType.TOKEN);
        appt.addSearchParam().setName("_lastUpdated").setType(Enumerations.SearchParamType.DATE);
        var sub = resource(rest.addResource().setType("Subscription"), TypeRestfulInteraction.READ,
                TypeRestfulInteraction.SEARCHTYPE, TypeRestfulInteraction.CREATE, TypeRestfulInteraction.UPDATE,
                TypeRestfulInteraction.DELETE);
        sub.addSearchParam().setName("status").setType(Enumerations.SearchParamType.TOKEN);
        return Fhir.ok(cs);
    }

    private static CapabilityStatement.CapabilityStatementRestResourceComponent resource(
            CapabilityStatement.CapabilityStatementRestResourceComponent r, TypeRestfulInteraction... what) {
        for (TypeRestfulInteraction i : what) {
            r.addInteraction(new ResourceInteractionComponent().setCode(i));
        }
        return r;
    }
}
