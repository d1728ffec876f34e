package org.mmgpt.trainer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.mmgpt.engine.train.Trainer;
import org.mmgpt.engine.train.TrainingArguments;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.worker.CancellationToken;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.JobResult;
import org.mmgpt.worker.ProgressSink;

/**
 * Runs pt, sft and dpo jobs with the engine's {@link Trainer}.
 *
 * <p>The trainer works in the job's own directory ({@code jobs/<id>/checkpoints}), which outlives
 * an attempt: every attempt resumes from the newest complete checkpoint there, so a job whose worker
 * died continues where it was. The finished adapter or model is copied into a staging directory and
 * published to {@code output_dir} with one rename.
 */
@ApplicationScoped
public class TrainingJobHandler implements JobHandler {
    /** Parameters the services use themselves; the trainer never sees them. */
    private static final List<Param> SERVICE_ONLY = List.of(Param.MAX_RETRIES, Param.DEADLINE_SECONDS, Param.OUTPUT_DIR);
    /** Storage-relative paths the trainer reads. */
    private static final List<Param> INPUTS = List.of(Param.MODEL_NAME_OR_PATH, Param.TRAIN_FILE_DIR,
            Param.VALIDATION_FILE_DIR, Param.PEFT_PATH);

    @Inject
    ArtifactStore store;

    @Override
    public JobResult run(JobRequest request, ProgressSink progress, CancellationToken cancellation) throws Exception {
        if (!request.type().isTraining()) {
            throw new IllegalArgumentException("the trainer runs pt, sft and dpo jobs, not " + request.type().wireName());
        }
        Map<String, Object> values = new LinkedHashMap<>(request.params().asMap());
        SERVICE_ONLY.forEach(p -> values.remove(p.wireName()));
        // The engine reads a list (target_modules) as the command line gives it: comma-separated.
        values.replaceAll((name, value) -> value instanceof List<?> list
                ? list.stream().map(String::valueOf).collect(Collectors.joining(",")) : value);
        for (Param p : INPUTS) {
            if (values.get(p.wireName()) instanceof String relative) {
                values.put(p.wireName(), store.resolveExisting(relative).toString());
            }
        }
        Path work = store.checkpointsDir(request.jobId());
        Files.createDirectories(work);
        values.put("output_dir", work.toString());
        values.put("resume_from_checkpoint", "latest");
        TrainingArguments args = TrainingArguments.from(request.type().wireName(), values);

        Trainer.Result result;
        try {
            result = train(args, progress, cancellation);
        } catch (IllegalArgumentException e) {
            // bad data or arguments: say it in the client's terms
            throw new IllegalArgumentException(inClientTerms(e.getMessage()), e);
        }
        cancellation.throwIfCancelled(); // stopped at a step boundary: the worker decides what that means

        String target = request.params().text(Param.OUTPUT_DIR)
                .orElse(ArtifactStore.defaultOutputDir(request.type(), request.jobId(), args.usePeft()));
        Path staged = store.newStagingDir(request.jobId());
        copyResult(work, staged);
        String published = store.publish(staged, target);
        Map<String, Double> finalMetrics = new LinkedHashMap<>();
        finalMetrics.put("train_loss", result.trainLoss());
        if (result.evalLoss() != null) {
            finalMetrics.put("eval_loss", result.evalLoss());
        }
        return new JobResult(List.of(published), finalMetrics);
    }

    /**
     * The engine names files by absolute path and options as on the command line; the client sent
     * storage-relative paths and snake_case parameters.
     */
    String inClientTerms(String message) {
        if (message == null) {
            return null;
        }
        return message.replace(store.root() + File.separator, "")
                .replace("--skip-bad-lines", "skip_bad_lines: true");
    }

    private static Trainer.Result train(TrainingArguments args, ProgressSink progress, CancellationToken cancellation)
            throws Exception {
        long[] total = {0};
        return Trainer.train(args, new Trainer.Listener() {
            @Override
            public void onStep(Trainer.Progress p) {
                total[0] = p.totalSteps();
                progress.report(p.step(), p.totalSteps(), Map.of("loss", p.loss(), "learning_rate", p.learningRate(),
                        "tokens_per_second", p.tokensPerSecond()));
            }

            @Override
            public void onMetrics(long step, Map<String, Double> metrics) {
                Map<String, Double> m = new LinkedHashMap<>(metrics);
                m.remove("epoch");
                m.remove("grad_norm");
                progress.report(step, total[0], m);
            }
        }, cancellation::isCancelled);
    }

    /** The trainer's result files (adapter or model, tokenizer, results), not its checkpoints and logs. */
    private static void copyResult(Path work, Path staged) throws IOException {
        try (Stream<Path> files = Files.list(work)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, staged.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
