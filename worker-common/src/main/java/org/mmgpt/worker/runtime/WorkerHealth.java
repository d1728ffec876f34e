package org.mmgpt.worker.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** /q/health: live while the request loop runs, ready once it takes requests. */
public final class WorkerHealth {

    private WorkerHealth() {
    }

    @Liveness
    @ApplicationScoped
    public static class Alive implements HealthCheck {
        @Inject
        WorkerService service;

        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.named("job-worker").status(service.isAlive())
                    .withData("running_jobs", service.runningJobs()).build();
        }
    }

    @Readiness
    @ApplicationScoped
    public static class Consuming implements HealthCheck {
        @Inject
        WorkerService service;

        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.named("job-requests").status(service.isConsuming()).build();
        }
    }
}
