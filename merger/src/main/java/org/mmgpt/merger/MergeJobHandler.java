package org.mmgpt.merger;

import jakarta.enterprise.context.ApplicationScoped;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.worker.CancellationToken;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.JobResult;
import org.mmgpt.worker.ProgressSink;

/**
 * Runs merge jobs: base_model + lora_model → output_dir. The engine's merge is not wired in yet (the
 * engine team does that here): until then every merge fails with a message that says so.
 */
@ApplicationScoped
public class MergeJobHandler implements JobHandler {

    @Override
    public JobResult run(JobRequest request, ProgressSink progress, CancellationToken cancellation) {
        if (request.type() != JobType.MERGE) {
            throw new IllegalArgumentException("the merger runs merge jobs, not " + request.type().wireName());
        }
        throw new UnsupportedOperationException("merging is not wired to the engine yet");
    }
}
