package org.mmgpt.worker.runtime;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.mmgpt.protocol.storage.ArtifactStore;

/** The storage root for handlers: {@code mmgpt.storage.root}, set from MMGPT_STORAGE. */
public class StorageProducer {

    @Produces
    @Singleton
    ArtifactStore artifactStore(@ConfigProperty(name = "mmgpt.storage.root") String root) {
        return new ArtifactStore(Path.of(root));
    }
}
