package org.hotline.his.fhir;

import java.util.List;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/** Search results as a {@code searchset} Bundle (everything in one page: a search is bounded by its parameters). */
final class FhirBundles {

    private FhirBundles() {
    }

    /**
     * The entries' {@code fullUrl} is absolute (R4 requires it: HAPI's validator refuses {@code Appointment/6}): the
     * base this request came to ({@code …/fhir/}), as the client (or the proxy in front, by its forwarded headers)
     * named it.
     */
    static Bundle searchset(List<? extends Resource> resources) {
        String base = ServletUriComponentsBuilder.fromCurrentContextPath().path("/fhir/").build().toUriString();
        Bundle b = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        b.setTotal(resources.size());
        for (Resource r : resources) {
            b.addEntry().setFullUrl(base + r.getIdElement().getResourceType() + "/" + r.getIdElement().getIdPart())
                    .setResource(r).getSearch().setMode(Bundle.SearchEntryMode.MATCH);
        }
        return b;
    }
}
