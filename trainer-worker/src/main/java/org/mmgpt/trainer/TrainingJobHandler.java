package org.mmgpt.trainer;

import jakarta.enterprise.context.ApplicationScoped;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.worker.CancellationToken;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.JobResult;
import org.mmgpt.worker.ProgressSink;

/**
 * Runs pt, sft and dpo jobs. The engine's trainer is not wired in yet (the engine team does that
 * here): until then every training job fails with a message that says so.
 */
@ApplicationScoped
public class TrainingJobHandler implements JobHandler {

    @Override
    public JobResult run(JobRequest request, ProgressSink progress, CancellationToken cancellation) {
        if (!request.type().isTraining()) {
            throw new IllegalArgumentException("the trainer runs pt, sft and dpo jobs, not " + request.type().wireName());
        }
        throw new UnsupportedOperationException(request.type().wireName() + " training is not wired to the engine yet");
    }
}
