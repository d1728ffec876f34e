package org.mmgpt.gateway;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.jobs.Progress;
import org.mmgpt.protocol.params.JobParams;
import org.mmgpt.protocol.params.PipelinePlan;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.KafkaJobs;

/**
 * What an earlier gateway and its workers left in Kafka, written before the gateway under test
 * starts: a finished job (with a duplicate event), a running one, and a pipeline whose gateway died
 * after its first stage succeeded and before it submitted the second.
 */
public class SeededHistory implements QuarkusTestResourceLifecycleManager {

    static final String FINISHED = "job-seeded-finished";
    static final String RUNNING = "job-seeded-running";
    static final String PIPELINE = "job-seeded-pipeline";

    @Override
    public Map<String, String> start() {
        try (KafkaJobs kafka = new KafkaJobs(EmbeddedKafka.bootstrapServers())) {
            JobStatus finished = queued(kafka, new JobRequest(FINISHED, JobType.SFT, JobParams.of(Map.of()), 1, null,
                    Instant.parse("2026-11-01T08:00:00Z")), List.of());
            finished = kafka.act(finished, JobState.RUNNING, e -> e.withAttempt(1));
            JobStatus beforeProgress = finished;
            finished = kafka.act(finished, JobState.RUNNING, e -> e.withProgress(Progress.of(5, 10, 60L))
                    .withMetrics(Map.of("loss", 1.75)));
            JobEvent duplicate = beforeProgress.next(JobState.RUNNING, Instant.now(), "test-worker");
            kafka.publish(duplicate, beforeProgress.apply(duplicate));
            kafka.act(finished, JobState.SUCCEEDED, e -> e.withArtifacts(List.of("adapters/" + FINISHED)));

            JobStatus running = queued(kafka, new JobRequest(RUNNING, JobType.DPO, JobParams.of(Map.of()), 1, null,
                    Instant.parse("2026-11-01T09:00:00Z")), List.of());
            kafka.act(running, JobState.RUNNING, e -> e.withAttempt(1));

            JobParams pipelineParams = JobParams.of(Map.of("model_name_or_path", "models/base",
                    "output_dir", "models/" + PIPELINE,
                    "pt", Map.of("train_file_dir", "data/pretrain"),
                    "sft", Map.of("train_file_dir", "data/finetune"),
                    "dpo", Map.of("train_file_dir", "data/reward")));
            JobStatus pipeline = queued(kafka, new JobRequest(PIPELINE, JobType.PIPELINE, pipelineParams, 1, null,
                    Instant.parse("2026-11-01T10:00:00Z")), PipelinePlan.childIds(PIPELINE));
            kafka.act(pipeline, JobState.RUNNING, e -> e.withProgress(Progress.of(0, 6, null)));
            PipelinePlan.Stage first = PipelinePlan.stages(PIPELINE, pipelineParams).get(0);
            JobStatus stage = queued(kafka, new JobRequest(first.jobId(), first.type(), first.params(), 1, PIPELINE,
                    Instant.parse("2026-11-01T10:00:01Z")), List.of());
            stage = kafka.act(stage, JobState.RUNNING, e -> e.withAttempt(1));
            kafka.act(stage, JobState.SUCCEEDED, e -> e.withArtifacts(List.of("adapters/" + first.jobId())));
        }
        return Map.of();
    }

    private static JobStatus queued(KafkaJobs kafka, JobRequest request, List<String> children) {
        JobStatus status = JobStatus.queued(request, children);
        kafka.publish(status.queuedEvent(), status);
        return status;
    }

    @Override
    public void stop() {
        // the records stay: that is the point
    }
}
