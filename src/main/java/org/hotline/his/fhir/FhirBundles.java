package org.hotline.his.fhir;

import java.util.List;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

/** Search results as a {@code searchset} Bundle (everything in one page: a search is bounded by its parameters). */
final class FhirBundles {

    private FhirBundles() {
    }

    static Bundle searchset(List<? extends Resource> resources) {
        Bundle b = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        b.setTotal(resources.size());
        for (Resource r : resources) {
            b.addEntry().setFullUrl(r.getIdElement().getResourceType() + "/" + r.getIdElement().getIdPart())
                    .setResource(r).getSearch().setMode(Bundle.SearchEntryMode.MATCH);
        }
        return b;
    }
}
