package org.mmgpt.merger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mmgpt.engine.lora.LoraMerge;
import org.mmgpt.engine.model.ModelWriter;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.worker.CancellationToken;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.JobResult;
import org.mmgpt.worker.ProgressSink;

/**
 * Runs merge jobs: base_model + lora_model → output_dir, with the engine's verified merge (the
 * merged model's logits must equal base+adapter's). The model is written in the job's staging
 * directory and published with one rename.
 */
@ApplicationScoped
public class MergeJobHandler implements JobHandler {

    @Inject
    ArtifactStore store;

    @Override
    public JobResult run(JobRequest request, ProgressSink progress, CancellationToken cancellation) throws Exception {
        if (request.type() != JobType.MERGE) {
            throw new IllegalArgumentException("the merger runs merge jobs, not " + request.type().wireName());
        }
        Path base = store.resolveExisting(request.params().text(Param.BASE_MODEL).orElseThrow());
        Path adapter = store.resolveExisting(request.params().text(Param.LORA_MODEL).orElseThrow());
        String target = request.params().text(Param.OUTPUT_DIR)
                .orElse(ArtifactStore.defaultOutputDir(JobType.MERGE, request.jobId(), false));
        progress.report(0, 1, Map.of());
        store.clearStaging(request.jobId()); // what an attempt killed while merging left
        Path staged = store.newStagingDir(request.jobId()).resolve("model");
        LoraMerge.Check check = LoraMerge.merge(base, adapter, staged, ModelWriter.DEFAULT_MAX_SHARD_BYTES, null);
        cancellation.throwIfCancelled();
        String published = store.publish(staged, target);
        progress.report(1, 1, Map.of());
        return new JobResult(List.of(published), Map.of("merge_max_abs_logit_diff", check.maxAbsDiff()));
    }
}
