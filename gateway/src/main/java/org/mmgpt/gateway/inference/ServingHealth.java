package org.mmgpt.gateway.inference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the gateway reads the partition its inference answers come to. */
@Readiness
@ApplicationScoped
public class ServingHealth implements HealthCheck {

    @Inject
    InferenceClient client;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("inference-replies").status(client.isReady())
                .withData("instance", String.valueOf(client.instanceId())).build();
    }
}
