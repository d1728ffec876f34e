package org.mmgpt.gateway.jobs;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobStatus;

/**
 * The gateway's writes to Kafka, each keyed by job id; every Uni completes when the broker has the
 * record. Channel → topic mapping is in application.properties.
 */
@ApplicationScoped
public class JobPublisher {

    @Inject
    @Channel("stage-requests")
    MutinyEmitter<JobRequest> stageRequests;
    @Inject
    @Channel("merge-requests")
    MutinyEmitter<JobRequest> mergeRequests;
    @Inject
    @Channel("batch-inference-requests")
    MutinyEmitter<JobRequest> batchInferenceRequests;
    @Inject
    @Channel("job-control-out")
    MutinyEmitter<JobCommand> commands;
    @Inject
    @Channel("job-status-out")
    MutinyEmitter<JobStatus> statuses;
    @Inject
    @Channel("job-events-out")
    MutinyEmitter<JobEvent> events;

    /**
     * A job's event and the snapshot it leads to (the gateway writes QUEUED jobs and pipelines). The
     * event first: a reader that sees the snapshot can count on the event being in Kafka too.
     */
    public Uni<Void> publish(JobEvent event, JobStatus status) {
        return events.sendMessage(KafkaRecord.of(event.jobId(), event))
                .chain(() -> statuses.sendMessage(KafkaRecord.of(status.id(), status)));
    }

    /** A stage, merge or batch-inference request for the workers. */
    public Uni<Void> request(JobRequest request) {
        MutinyEmitter<JobRequest> emitter = switch (request.type()) {
            case MERGE -> mergeRequests;
            case BATCH_INFERENCE -> batchInferenceRequests;
            default -> stageRequests;
        };
        return emitter.sendMessage(KafkaRecord.of(request.jobId(), request));
    }

    public Uni<Void> command(JobCommand command) {
        return commands.sendMessage(KafkaRecord.of(command.jobId(), command));
    }
}
