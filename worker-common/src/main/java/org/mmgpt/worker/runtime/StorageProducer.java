package org.mmgpt.worker.runtime;

import io.smallrye.config.ConfigMapping;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.mmgpt.protocol.storage.ArtifactStore;

/** The storage root for handlers: {@code mmgpt.storage.root}, set from MMGPT_STORAGE. */
public class StorageProducer {

    /** {@code mmgpt.storage.root}, set from MMGPT_STORAGE in application.properties. */
    @ConfigMapping(prefix = "mmgpt.storage")
    public interface StorageConfig {
        String root();
    }

    @Produces
    @Singleton
    ArtifactStore artifactStore(StorageConfig config) {
        return new ArtifactStore(Path.of(config.root()));
    }
}
