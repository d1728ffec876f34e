package org.mmgpt.inference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.mmgpt.protocol.inference.ModelCatalog;
import org.mmgpt.protocol.inference.ModelNotFoundException;

/**
 * Ready once the request consumer runs and every model of mmgpt.inference.preload is loaded. The data
 * shows the resident models, least recently used first, and this worker's id.
 */
@Readiness
@ApplicationScoped
public class ServingHealth implements HealthCheck {

    @Inject
    ServingService serving;
    @Inject
    InferenceConfig config;
    @Inject
    RequestConsumer requests;

    @Override
    public HealthCheckResponse call() {
        Map<String, ModelServer.State> resident = serving.pool().resident();
        boolean loaded = true;
        for (String id : config.preload().orElse(List.of())) {
            try {
                loaded &= resident.get(ModelCatalog.canonical(id)) == ModelServer.State.SERVING;
            } catch (ModelNotFoundException e) {
                loaded = false;
            }
        }
        return HealthCheckResponse.named("models-loaded").status(loaded && requests.isRunning())
                .withData("resident", resident.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(",")))
                .withData("worker", serving.workerId()).build();
    }
}
