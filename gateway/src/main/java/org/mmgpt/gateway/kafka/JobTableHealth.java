package org.mmgpt.gateway.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the job table has been rebuilt from Kafka. */
@Readiness
@ApplicationScoped
public class JobTableHealth implements HealthCheck {

    @Inject
    CatchUp catchUp;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("job-table").status(catchUp.isDone()).build();
    }
}
