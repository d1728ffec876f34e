package org.mmgpt.gateway.jobs;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.mmgpt.gateway.http.ApiException;
import org.mmgpt.gateway.kafka.CatchUp;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.InvalidJobException;
import org.mmgpt.protocol.params.JobValidator;
import org.mmgpt.protocol.params.JobValidator.ValidJob;
import org.mmgpt.protocol.params.PipelinePlan;
import org.mmgpt.protocol.storage.ArtifactStore;

/** Submitting and cancelling jobs: what the REST resource and the pipeline runner ask of Kafka. */
@ApplicationScoped
public class JobService {

    @Inject
    JobTable table;
    @Inject
    JobPublisher publisher;
    @Inject
    PipelineRunner pipelines;
    @Inject
    CatchUp catchUp;
    @Inject
    ArtifactStore store;

    /** Validates a {@code {"type", "params"}} body and enqueues the job it describes. */
    public Uni<JobStatus> submit(Map<String, Object> body) throws InvalidJobException {
        requireReady();
        String id = newJobId();
        ValidJob job = new JobValidator(store).validate(body, id);
        JobRequest request = new JobRequest(id, job.type(), job.params(), 1, null, Instant.now());
        return enqueue(request);
    }

    /**
     * Publishes the job QUEUED (snapshot and first event), then its request; a pipeline has no
     * request, the runner submits its first stage. The status goes first so that the worker that
     * takes the request always finds the job.
     */
    Uni<JobStatus> enqueue(JobRequest request) {
        List<String> children = request.type() == JobType.PIPELINE ? PipelinePlan.childIds(request.jobId()) : List.of();
        JobStatus queued = JobStatus.queued(request, children);
        Uni<Void> published = publisher.publish(queued.queuedEvent(), queued)
                .invoke(() -> {
                    table.offer(queued);
                    table.offer(queued.queuedEvent());
                });
        if (request.type() != JobType.PIPELINE) {
            published = published.chain(() -> publisher.request(request));
        }
        return published.invoke(() -> pipelines.changed(queued)).replaceWith(queued);
    }

    /** Publishes a cancel order for a job that has not ended; workers (or the runner) end it. */
    public Uni<JobStatus> cancel(String id) {
        JobStatus status = get(id);
        if (status.state().isTerminal()) {
            throw ApiException.conflict("job " + id + " already ended " + status.state());
        }
        JobCommand command = JobCommand.cancel(id, status.type(), Instant.now());
        return publisher.command(command).invoke(() -> pipelines.commanded(command)).replaceWith(status);
    }

    public JobStatus get(String id) {
        requireReady();
        return table.get(id).orElseThrow(() -> ApiException.notFound("no job " + id));
    }

    public void requireReady() {
        if (!catchUp.isDone()) {
            throw ApiException.notReady();
        }
    }

    private String newJobId() {
        String id;
        do {
            id = "job-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        } while (table.get(id).isPresent());
        return id;
    }
}
