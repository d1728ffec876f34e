package org.mmgpt.gateway.artifacts;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.List;
import org.mmgpt.protocol.storage.Artifact;
import org.mmgpt.protocol.storage.ArtifactStore;

/** /v1/artifacts: the models and adapters in storage, by storage-relative path. */
@Path("/v1/artifacts")
@Produces(MediaType.APPLICATION_JSON)
public class ArtifactsResource {

    /** The response body: {"items": [...]}. */
    public record ArtifactList(List<Artifact> items) {
    }

    @Inject
    ArtifactStore store;

    @GET
    public ArtifactList list() throws IOException {
        return new ArtifactList(store.listArtifacts());
    }
}
