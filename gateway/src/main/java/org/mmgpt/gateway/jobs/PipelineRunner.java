package org.mmgpt.gateway.jobs;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;
import org.mmgpt.gateway.kafka.CatchUp;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.jobs.Progress;
import org.mmgpt.protocol.params.PipelinePlan;
import org.mmgpt.protocol.params.PipelinePlan.Stage;

/**
 * Runs pipelines: PT → merge → SFT → merge → DPO → merge as child jobs. It keeps no state of its
 * own: each time a pipeline or one of its stages changes (and after the job table is rebuilt) it
 * looks at the stages' states in the table and takes the one step they call for: submit the next
 * stage, move the pipeline's progress, pass a cancel on, or end the pipeline. Stage ids are
 * deterministic ({@link PipelinePlan}), so a stage that exists is never submitted again, after a
 * restart or by a second gateway; a duplicate request that slips through is skipped by the worker.
 */
@ApplicationScoped
public class PipelineRunner {

    private static final Logger LOG = Logger.getLogger(PipelineRunner.class);

    @Inject
    JobTable table;
    @Inject
    JobPublisher publisher;
    @Inject
    JobService jobs;
    @Inject
    CatchUp catchUp;

    /** Jobs ordered cancelled, from the control topic. */
    private final Set<String> cancelOrdered = ConcurrentHashMap.newKeySet();
    /** Jobs this gateway has written to and not yet seen acknowledged: no second write meanwhile. */
    private final Set<String> writing = ConcurrentHashMap.newKeySet();

    /** After a (re)start, pick every unfinished pipeline up where the stages' states say it is. */
    void resume(@Observes CatchUp.Done rebuilt) {
        reconcileAll();
    }

    void changed(JobStatus status) {
        if (status.type() == JobType.PIPELINE) {
            reconcile(status.id());
        } else if (status.parentId() != null) {
            reconcile(status.parentId());
        }
    }

    void commanded(JobCommand command) {
        if (command.action() == JobCommand.Action.CANCEL && cancelOrdered.add(command.jobId())) {
            table.get(command.jobId()).ifPresent(this::changed);
        }
    }

    /** A safety net: a write that failed (broker away) is retried by looking again. */
    @Scheduled(every = "30s", delayed = "30s")
    void reconcileAll() {
        table.all().stream()
                .filter(s -> s.type() == JobType.PIPELINE && !s.state().isTerminal())
                .forEach(s -> reconcile(s.id()));
    }

    synchronized void reconcile(String pipelineId) {
        if (!catchUp.isDone() || writing.contains(pipelineId)) {
            return;
        }
        JobStatus pipeline = table.get(pipelineId).orElse(null);
        if (pipeline == null || pipeline.state().isTerminal()) {
            return;
        }
        boolean cancel = cancelOrdered.contains(pipelineId);
        List<Stage> stages = PipelinePlan.stages(pipelineId, pipeline.params());
        for (Stage stage : stages) {
            JobStatus child = table.get(stage.jobId()).orElse(null);
            if (child == null) {
                if (cancel) {
                    end(pipeline, JobState.CANCELLED, null);
                } else {
                    submit(pipeline, stage);
                }
                return;
            }
            switch (child.state()) {
                case SUCCEEDED -> {
                    continue;
                }
                case FAILED -> end(pipeline, JobState.FAILED, "stage " + stage.number() + " (" + stage.type().wireName()
                        + ", job " + stage.jobId() + ") failed: " + child.error());
                case CANCELLED -> end(pipeline, JobState.CANCELLED, null);
                default -> {
                    if (cancel) {
                        cancelStage(child);
                    } else {
                        advance(pipeline, stage.number() - 1, stages.size());
                    }
                }
            }
            return;
        }
        JobStatus last = table.get(stages.get(stages.size() - 1).jobId()).orElseThrow();
        LOG.infof("pipeline %s succeeded", pipelineId);
        write(pipeline, pipeline.next(JobState.SUCCEEDED, Instant.now(), null)
                .withProgress(Progress.of(stages.size(), stages.size(), 0L))
                .withArtifacts(last.artifacts()));
    }

    private void submit(JobStatus pipeline, Stage stage) {
        if (!writing.add(stage.jobId())) {
            return;
        }
        JobRequest request = new JobRequest(stage.jobId(), stage.type(), stage.params(), 1, pipeline.id(), Instant.now());
        LOG.infof("pipeline %s: submitting stage %d (%s) as job %s", pipeline.id(), stage.number(),
                stage.type().wireName(), stage.jobId());
        written(stage.jobId(), jobs.enqueue(request).replaceWithVoid(), pipeline.id());
    }

    private void cancelStage(JobStatus child) {
        if (cancelOrdered.contains(child.id()) || !writing.add(child.id())) {
            return;
        }
        JobCommand command = JobCommand.cancel(child.id(), child.type(), Instant.now());
        written(child.id(), publisher.command(command).invoke(() -> cancelOrdered.add(child.id())), child.parentId());
    }

    /** The pipeline is RUNNING with {@code done} stages finished. */
    private void advance(JobStatus pipeline, int done, int total) {
        if (pipeline.state() == JobState.RUNNING && pipeline.progress() != null && pipeline.progress().step() == done) {
            return;
        }
        JobEvent event = pipeline.next(JobState.RUNNING, Instant.now(), null)
                .withAttempt(1)
                .withProgress(Progress.of(done, total, null));
        write(pipeline, event);
    }

    private void end(JobStatus pipeline, JobState state, String error) {
        LOG.infof("pipeline %s ends %s", pipeline.id(), state);
        write(pipeline, pipeline.next(state, Instant.now(), null).withError(error));
    }

    private void write(JobStatus pipeline, JobEvent event) {
        if (!writing.add(pipeline.id())) {
            return;
        }
        JobStatus next = pipeline.apply(event);
        written(pipeline.id(), publisher.publish(event, next).invoke(() -> {
            table.offer(next);
            table.offer(event);
        }), pipeline.id());
    }

    /** When a write is acknowledged (or failed), allow the next one and look at the pipeline again. */
    private void written(String jobId, Uni<Void> write, String pipelineId) {
        write.subscribe().with(
                done -> {
                    writing.remove(jobId);
                    reconcile(pipelineId);
                },
                failure -> {
                    writing.remove(jobId);
                    LOG.warnf(failure, "pipeline %s: a write for %s failed; retrying on the next look", pipelineId, jobId);
                });
    }
}
