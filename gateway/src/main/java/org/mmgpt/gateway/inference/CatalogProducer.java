package org.mmgpt.gateway.inference;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.mmgpt.protocol.inference.ModelCatalog;
import org.mmgpt.protocol.storage.ArtifactStore;

/** The models in storage that can be served: what /v1/models lists and requests are checked against. */
public class CatalogProducer {

    @Produces
    @Singleton
    ModelCatalog catalog(ArtifactStore store) {
        return new ModelCatalog(store);
    }
}
