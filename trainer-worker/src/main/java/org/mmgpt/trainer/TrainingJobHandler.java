package org.mmgpt.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.File;
import java.io.IOException;
import java.nio.file.FileSystemException;
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
 * died continues where it was (and says so: the metric {@code resumed_from_step}). The finished
 * adapter or model is copied into a staging directory and published to {@code output_dir} with one
 * rename. An attempt after one that finished training publishes its result without training again,
 * and one after a publish that Kafka never heard of returns what is already there.
 */
@ApplicationScoped
public class TrainingJobHandler implements JobHandler {
    /** Parameters the services use themselves; the trainer never sees them. */
    private static final List<Param> SERVICE_ONLY = List.of(Param.MAX_RETRIES, Param.DEADLINE_SECONDS, Param.OUTPUT_DIR);
    /** Storage-relative paths the trainer reads. */
    private static final List<Param> INPUTS = List.of(Param.MODEL_NAME_OR_PATH, Param.TRAIN_FILE_DIR,
            Param.VALIDATION_FILE_DIR, Param.PEFT_PATH);

    private static final String TRAIN_RESULTS = "train_results.json";
    private static final ObjectMapper JSON = new ObjectMapper();

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
        values.put("output_dir", work.toString());
        values.put("resume_from_checkpoint", "latest");
        TrainingArguments args = TrainingArguments.from(request.type().wireName(), values);
        String target = request.params().text(Param.OUTPUT_DIR)
                .orElse(ArtifactStore.defaultOutputDir(request.type(), request.jobId(), args.usePeft()));
        try {
            store.clearStaging(request.jobId()); // what an attempt killed while publishing left
            Files.createDirectories(work);
            if (!finishedTraining(work, args)) {
                train(args, progress, cancellation);
                cancellation.throwIfCancelled(); // stopped at a step boundary: the worker decides what that means
            }
            String published = alreadyPublished(work, target) ? store.relativize(store.resolve(target))
                    : publish(request.jobId(), work, target);
            return new JobResult(List.of(published), finalMetrics(work));
        } catch (IllegalArgumentException e) {
            // bad data or arguments: say it in the client's terms
            throw new IllegalArgumentException(inClientTerms(e.getMessage()), e);
        } catch (FileSystemException e) {
            // a storage that refuses writes: which path, and why
            throw new IOException(inClientTerms("cannot use " + e.getFile() + ": "
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName())), e);
        } catch (IOException e) {
            // a full disk while saving (the trainer names the checkpoint and the cause): storage-relative paths
            throw new IOException(inClientTerms(e.getMessage()), e);
        }
    }

    /**
     * Whether an earlier attempt trained to the end: the trainer wrote the result into the work
     * directory, its marker file (adapter_config.json, config.json) last. Then this attempt only
     * publishes it, if that was not done either.
     */
    private static boolean finishedTraining(Path work, TrainingArguments args) {
        return Files.isRegularFile(work.resolve(TRAIN_RESULTS))
                && Files.isRegularFile(work.resolve(args.usePeft() ? "adapter_config.json" : "config.json"));
    }

    /**
     * Whether the artifact at the target is this job's result, published by an earlier attempt that
     * was lost before its success reached Kafka: publishing again would only move it into .trash.
     */
    private boolean alreadyPublished(Path work, String target) throws IOException {
        Path published = store.resolve(target).resolve(TRAIN_RESULTS);
        return Files.isRegularFile(published) && Files.mismatch(published, work.resolve(TRAIN_RESULTS)) == -1;
    }

    /** Copies the result out of the work directory into staging and renames it into place. */
    private String publish(String jobId, Path work, String target) throws IOException {
        Path staged = store.newStagingDir(jobId);
        copyResult(work, staged);
        return store.publish(staged, target);
    }

    /** train_loss and eval_loss, as the trainer wrote them with the result. */
    private static Map<String, Double> finalMetrics(Path work) throws IOException {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("train_loss", JSON.readTree(work.resolve(TRAIN_RESULTS).toFile()).path("train_loss").asDouble());
        Path eval = work.resolve("eval_results.json");
        if (Files.isRegularFile(eval)) {
            metrics.put("eval_loss", JSON.readTree(eval.toFile()).path("eval_loss").asDouble());
        }
        return metrics;
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

    private static void train(TrainingArguments args, ProgressSink progress, CancellationToken cancellation)
            throws IOException {
        long[] total = {0};
        Trainer.train(args, new Trainer.Listener() {
            @Override
            public void onResume(long step, long totalSteps, Path checkpoint) {
                total[0] = totalSteps;
                progress.report(step, totalSteps, Map.of("resumed_from_step", (double) step));
            }

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
