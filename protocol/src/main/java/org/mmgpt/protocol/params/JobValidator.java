package org.mmgpt.protocol.params;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.ValueRule.InvalidValueException;
import org.mmgpt.protocol.storage.ArtifactStore;

/**
 * Turns a submitted {@code {"type": ..., "params": {...}}} into a job that can run, or names every
 * invalid field at once: unknown fields, wrong types and ranges, missing required ones, paths that
 * leave the storage root, and inputs that do not exist in storage.
 *
 * <p>It fills in only what the services decide: {@code output_dir} or, for batch-inference,
 * {@code output_file} (by the storage layout),
 * {@code use_peft} (true, the seed's default, because it decides where the output goes) and
 * {@code max_retries} (3). Every other default is the engine's.
 */
public final class JobValidator {

    public static final int DEFAULT_MAX_RETRIES = 3;
    private static final Set<String> BODY_FIELDS = Set.of("type", "params");
    private static final List<JobType> PIPELINE_STAGES = List.of(JobType.PT, JobType.SFT, JobType.DPO);
    /** Every job type a pipeline runs: its top-level parameters must be taken by one of them. */
    private static final List<JobType> PIPELINE_STEPS = List.of(JobType.PT, JobType.SFT, JobType.DPO, JobType.MERGE);

    private final ArtifactStore store;

    public JobValidator(ArtifactStore store) {
        this.store = store;
    }

    /** A request that passed validation. */
    public record ValidJob(JobType type, JobParams params) {
    }

    public ValidJob validate(Map<String, ?> body, String jobId) throws InvalidJobException {
        List<FieldError> errors = new ArrayList<>();
        if (body == null) {
            throw new InvalidJobException(List.of(new FieldError("body",
                    "must be a JSON object with \"type\" and \"params\"")));
        }
        body.keySet().stream().filter(k -> !BODY_FIELDS.contains(k)).sorted()
                .forEach(k -> errors.add(new FieldError(k, "unknown field; a job request has \"type\" and \"params\"")));

        Object rawType = body.get("type");
        JobType type = null;
        if (rawType == null) {
            errors.add(new FieldError("type", "is required: one of " + JobType.wireNames()));
        } else if (!(rawType instanceof String name) || JobType.fromWire(name).isEmpty()) {
            errors.add(new FieldError("type", "must be one of " + JobType.wireNames() + ", got "
                    + ValueRule.shown(rawType)));
        } else {
            type = JobType.fromWire(name).orElseThrow();
        }

        Object rawParams = body.get("params");
        Map<String, Object> params = null;
        if (rawParams == null) {
            params = Map.of();
        } else if (rawParams instanceof Map<?, ?> map) {
            params = stringKeys(map);
        } else {
            errors.add(new FieldError("params", "must be a JSON object, got " + ValueRule.shown(rawParams)));
        }

        JobParams valid = null;
        if (type != null && params != null) {
            valid = type == JobType.PIPELINE
                    ? pipelineParams(params, jobId, errors)
                    : jobParams(type, params, jobId, errors);
        }
        if (!errors.isEmpty()) {
            throw new InvalidJobException(errors);
        }
        return new ValidJob(type, valid);
    }

    private JobParams jobParams(JobType type, Map<String, Object> raw, String jobId, List<FieldError> errors) {
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((name, value) -> {
            Optional<Param> param = Param.byWireName(name);
            if (param.isEmpty()) {
                errors.add(new FieldError("params." + name, "unknown parameter"));
            } else if (!param.get().appliesTo(type)) {
                errors.add(new FieldError("params." + name, "is not a parameter of " + type.wireName()
                        + " jobs (used by " + param.get().typeNames() + ")"));
            } else {
                check(param.get(), value, "params." + name, out, errors);
            }
        });
        for (Param param : Param.values()) {
            if (param.requiredFor(type) && !raw.containsKey(param.wireName())) {
                errors.add(new FieldError("params." + param.wireName(), "is required for " + type.wireName() + " jobs"));
            }
        }
        if (type.isTraining()) {
            out.putIfAbsent(Param.USE_PEFT.wireName(), true);
        }
        out.putIfAbsent(Param.MAX_RETRIES.wireName(), (long) DEFAULT_MAX_RETRIES);
        if (type == JobType.BATCH_INFERENCE) {
            out.putIfAbsent(Param.OUTPUT_FILE.wireName(), ArtifactStore.defaultPredictionsFile(jobId));
        } else {
            boolean peft = Boolean.TRUE.equals(out.get(Param.USE_PEFT.wireName()));
            out.putIfAbsent(Param.OUTPUT_DIR.wireName(), ArtifactStore.defaultOutputDir(type, jobId, peft));
        }
        return JobParams.of(out);
    }

    private JobParams pipelineParams(Map<String, Object> raw, String jobId, List<FieldError> errors) {
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((name, value) -> {
            if (PIPELINE_STAGES.stream().anyMatch(s -> s.wireName().equals(name))) {
                return;
            }
            String field = "params." + name;
            Optional<Param> param = Param.byWireName(name);
            if (param.isEmpty()) {
                errors.add(new FieldError(field, "unknown parameter"));
                return;
            }
            switch (param.get().placement()) {
                case STAGE -> errors.add(new FieldError(field,
                        "belongs in params.pt, params.sft or params.dpo: each stage reads its own data"));
                case DERIVED -> errors.add(new FieldError(field,
                        "is set by the pipeline: each stage's base is the previous stage's merged model"));
                case SHARED, PIPELINE_ONLY -> {
                    if (PIPELINE_STEPS.stream().noneMatch(param.get()::appliesTo) && !param.get().appliesTo(JobType.PIPELINE)) {
                        errors.add(new FieldError(field, "is not a parameter of pipeline jobs (used by "
                                + param.get().typeNames() + ")"));
                    } else {
                        check(param.get(), value, field, out, errors);
                    }
                }
            }
        });
        if (!raw.containsKey(Param.MODEL_NAME_OR_PATH.wireName())) {
            errors.add(new FieldError("params.model_name_or_path", "is required for pipeline jobs"));
        }
        for (JobType stage : PIPELINE_STAGES) {
            String field = "params." + stage.wireName();
            Object value = raw.get(stage.wireName());
            if (value == null) {
                errors.add(new FieldError(field, "is required: an object with the " + stage.wireName()
                        + " stage's parameters (at least train_file_dir)"));
            } else if (value instanceof Map<?, ?> map) {
                out.put(stage.wireName(), stageParams(stage, stringKeys(map), field, errors));
            } else {
                errors.add(new FieldError(field, "must be a JSON object, got " + ValueRule.shown(value)));
            }
        }
        if (Boolean.FALSE.equals(out.get(Param.USE_PEFT.wireName()))) {
            errors.add(new FieldError("params.use_peft",
                    "must be true: a pipeline trains LoRA adapters and merges each into the next stage's base"));
        }
        out.putIfAbsent(Param.MAX_RETRIES.wireName(), (long) DEFAULT_MAX_RETRIES);
        out.putIfAbsent(Param.OUTPUT_DIR.wireName(), ArtifactStore.defaultOutputDir(JobType.PIPELINE, jobId, false));
        return JobParams.of(out);
    }

    private Map<String, Object> stageParams(JobType stage, Map<String, Object> raw, String prefix, List<FieldError> errors) {
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((name, value) -> {
            String field = prefix + "." + name;
            Optional<Param> param = Param.byWireName(name);
            if (param.isEmpty()) {
                errors.add(new FieldError(field, "unknown parameter"));
            } else if (param.get().placement() == Param.Placement.PIPELINE_ONLY
                    || param.get().placement() == Param.Placement.DERIVED) {
                errors.add(new FieldError(field, "is set by the pipeline, not per stage"));
            } else if (!param.get().appliesTo(stage)) {
                errors.add(new FieldError(field, "is not a parameter of " + stage.wireName()
                        + " jobs (used by " + param.get().typeNames() + ")"));
            } else if (param.get() == Param.USE_PEFT && Boolean.FALSE.equals(value)) {
                errors.add(new FieldError(field,
                        "must be true: a pipeline trains LoRA adapters and merges each into the next stage's base"));
            } else {
                check(param.get(), value, field, out, errors);
            }
        });
        if (!raw.containsKey(Param.TRAIN_FILE_DIR.wireName())) {
            errors.add(new FieldError(prefix + ".train_file_dir", "is required for the " + stage.wireName() + " stage"));
        }
        return out;
    }

    private void check(Param param, Object value, String field, Map<String, Object> out, List<FieldError> errors) {
        try {
            Object normal = param.rule().normalize(value);
            if (param.isInput()) {
                Optional<String> problem = store.problemWithInput((String) normal);
                if (problem.isPresent()) {
                    errors.add(new FieldError(field, problem.get()));
                    return;
                }
            }
            out.put(param.wireName(), normal);
        } catch (InvalidValueException e) {
            errors.add(new FieldError(field, e.getMessage()));
        }
    }

    private static Map<String, Object> stringKeys(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }
}
