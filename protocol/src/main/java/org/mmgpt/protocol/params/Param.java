package org.mmgpt.protocol.params;

import static org.mmgpt.protocol.jobs.JobType.BATCH_INFERENCE;
import static org.mmgpt.protocol.jobs.JobType.DPO;
import static org.mmgpt.protocol.jobs.JobType.MERGE;
import static org.mmgpt.protocol.jobs.JobType.PIPELINE;
import static org.mmgpt.protocol.jobs.JobType.PT;
import static org.mmgpt.protocol.jobs.JobType.SFT;
import static org.mmgpt.protocol.params.ValueRule.bool;
import static org.mmgpt.protocol.params.ValueRule.choice;
import static org.mmgpt.protocol.params.ValueRule.integer;
import static org.mmgpt.protocol.params.ValueRule.moduleNames;
import static org.mmgpt.protocol.params.ValueRule.number;
import static org.mmgpt.protocol.params.ValueRule.storagePath;
import static org.mmgpt.protocol.params.ValueRule.text;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.mmgpt.protocol.jobs.JobType;

/**
 * Every job parameter the services accept, under the seed's argument names (snake_case). A name not
 * listed here is refused; defaults are the engine's, except the few the services fill in
 * ({@link JobValidator}).
 */
public enum Param {
    MODEL_NAME_OR_PATH(storagePath(), Set.of(PT, SFT, DPO, PIPELINE), Set.of(PT, SFT, DPO, PIPELINE), Placement.PIPELINE_ONLY, true),
    TRAIN_FILE_DIR(storagePath(), Set.of(PT, SFT, DPO), Set.of(PT, SFT, DPO), Placement.STAGE, true),
    VALIDATION_FILE_DIR(storagePath(), Set.of(PT, SFT, DPO), Set.of(), Placement.STAGE, true),
    OUTPUT_DIR(storagePath(), Set.of(PT, SFT, DPO, MERGE, PIPELINE), Set.of(), Placement.PIPELINE_ONLY, false),

    PEFT_PATH(storagePath(), Set.of(PT, SFT, DPO), Set.of(), Placement.STAGE, true),

    MAX_STEPS(integer(1, Long.MAX_VALUE), Set.of(PT, SFT, DPO)),
    NUM_TRAIN_EPOCHS(number(0, true, 1e6, false), Set.of(PT, SFT, DPO)),
    LEARNING_RATE(number(0, true, 1, false), Set.of(PT, SFT, DPO)),
    PER_DEVICE_TRAIN_BATCH_SIZE(integer(1, 65_536), Set.of(PT, SFT, DPO)),
    PER_DEVICE_EVAL_BATCH_SIZE(integer(1, 65_536), Set.of(PT, SFT, DPO)),
    GRADIENT_ACCUMULATION_STEPS(integer(1, 65_536), Set.of(PT, SFT, DPO)),
    WARMUP_RATIO(number(0, false, 1, false), Set.of(PT, SFT, DPO)),
    WARMUP_STEPS(integer(0, Integer.MAX_VALUE), Set.of(PT, SFT, DPO)),
    WEIGHT_DECAY(number(0, false, 10, false), Set.of(PT, SFT, DPO)),
    ADAM_BETA1(number(0, false, 1, true), Set.of(PT, SFT, DPO)),
    ADAM_BETA2(number(0, false, 1, true), Set.of(PT, SFT, DPO)),
    ADAM_EPSILON(number(0, false, 1, false), Set.of(PT, SFT, DPO)),
    MAX_GRAD_NORM(number(0, false, 1e9, false), Set.of(PT, SFT, DPO)),
    LR_SCHEDULER_TYPE(choice("linear", "cosine", "constant", "constant_with_warmup"), Set.of(PT, SFT, DPO)),
    GRADIENT_CHECKPOINTING(bool(), Set.of(PT, SFT, DPO)),
    BF16(bool(), Set.of(PT, SFT, DPO)),
    FP16(bool(), Set.of(PT, SFT, DPO)),
    SKIP_BAD_LINES(bool(), Set.of(PT, SFT, DPO)),
    SEED(integer(0, Integer.MAX_VALUE), Set.of(PT, SFT, DPO, BATCH_INFERENCE)),
    LOGGING_STEPS(integer(1, Long.MAX_VALUE), Set.of(PT, SFT, DPO)),
    EVAL_STEPS(integer(1, Long.MAX_VALUE), Set.of(PT, SFT, DPO)),
    SAVE_STEPS(integer(1, Long.MAX_VALUE), Set.of(PT, SFT, DPO)),
    SAVE_TOTAL_LIMIT(integer(1, 1_000), Set.of(PT, SFT, DPO)),
    MAX_TRAIN_SAMPLES(integer(1, Long.MAX_VALUE), Set.of(PT, SFT, DPO)),
    MAX_EVAL_SAMPLES(integer(1, Long.MAX_VALUE), Set.of(PT, SFT, DPO)),
    VALIDATION_SPLIT_PERCENTAGE(integer(0, 99), Set.of(PT, SFT, DPO)),

    USE_PEFT(bool(), Set.of(PT, SFT, DPO)),
    LORA_RANK(integer(1, 4_096), Set.of(PT, SFT, DPO)),
    LORA_ALPHA(number(0, true, 1e6, false), Set.of(PT, SFT, DPO)),
    LORA_DROPOUT(number(0, false, 1, true), Set.of(PT, SFT, DPO)),
    TARGET_MODULES(moduleNames(), Set.of(PT, SFT, DPO)),

    TEMPLATE_NAME(text(), Set.of(SFT, DPO, BATCH_INFERENCE)),
    BLOCK_SIZE(integer(2, 1 << 20), Set.of(PT)),
    MODEL_MAX_LENGTH(integer(2, 1 << 20), Set.of(SFT)),
    TRAIN_ON_INPUTS(bool(), Set.of(SFT)),
    MAX_SOURCE_LENGTH(integer(1, 1 << 20), Set.of(DPO)),
    MAX_TARGET_LENGTH(integer(1, 1 << 20), Set.of(DPO)),
    BETA(number(0, true, 100, false), Set.of(DPO)),
    LABEL_SMOOTHING(number(0, false, 0.5, false), Set.of(DPO)),

    BASE_MODEL(storagePath(), Set.of(MERGE, BATCH_INFERENCE), Set.of(MERGE, BATCH_INFERENCE), Placement.DERIVED, true),
    LORA_MODEL(storagePath(), Set.of(MERGE, BATCH_INFERENCE), Set.of(MERGE), Placement.DERIVED, true),

    /** batch-inference: the seed's inference.py arguments. data_file holds one {"query"} or {"messages"} per line. */
    DATA_FILE(storagePath(), Set.of(BATCH_INFERENCE), Set.of(BATCH_INFERENCE), Placement.STAGE, true),
    /** Where the {"Input", "Output"} lines go; default predictions/&lt;job-id&gt;.jsonl. */
    OUTPUT_FILE(storagePath(), Set.of(BATCH_INFERENCE), Set.of(), Placement.STAGE, false),
    MAX_NEW_TOKENS(integer(0, 1 << 20), Set.of(BATCH_INFERENCE)),
    TEMPERATURE(number(0, false, 100, false), Set.of(BATCH_INFERENCE)),
    TOP_P(number(0, true, 1, false), Set.of(BATCH_INFERENCE)),
    TOP_K(integer(0, 1 << 20), Set.of(BATCH_INFERENCE)),
    REPETITION_PENALTY(number(0, true, 100, false), Set.of(BATCH_INFERENCE)),
    SYSTEM_PROMPT(text(20_000), Set.of(BATCH_INFERENCE)),
    STOP_STR(text(), Set.of(BATCH_INFERENCE)),
    /** How many of the job's queries generate at once (they share the worker's batch with live requests). */
    EVAL_BATCH_SIZE(integer(1, 1_024), Set.of(BATCH_INFERENCE)),

    /** Lost attempts (worker killed or handed over) a job may have before it ends FAILED; default 3. */
    MAX_RETRIES(integer(0, 100), Set.of(PT, SFT, DPO, MERGE, PIPELINE, BATCH_INFERENCE)),
    /** Seconds from the job's first start after which it ends FAILED with DeadlineExceeded. */
    DEADLINE_SECONDS(integer(1, 366L * 24 * 3600), Set.of(PT, SFT, DPO, MERGE, PIPELINE, BATCH_INFERENCE));

    /** Where a parameter may appear in a pipeline request. */
    public enum Placement {
        /** At the top (for every stage that takes it) or in a stage object (for that stage only). */
        SHARED,
        /** Only in a stage object: each stage reads its own data. */
        STAGE,
        /** Only at the top: the pipeline's base model and final output. */
        PIPELINE_ONLY,
        /** Never: the pipeline sets it from the previous stage. */
        DERIVED
    }

    private static final Map<String, Param> BY_WIRE_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Param::wireName, Function.identity()));

    private final String wireName;
    private final ValueRule rule;
    private final Set<JobType> types;
    private final Set<JobType> requiredFor;
    private final Placement placement;
    private final boolean input;

    Param(ValueRule rule, Set<JobType> types) {
        this(rule, types, Set.of(), Placement.SHARED, false);
    }

    Param(ValueRule rule, Set<JobType> types, Set<JobType> requiredFor, Placement placement, boolean input) {
        this.wireName = name().toLowerCase(Locale.ROOT);
        this.rule = rule;
        this.types = types.isEmpty() ? EnumSet.noneOf(JobType.class) : EnumSet.copyOf(types);
        this.requiredFor = requiredFor.isEmpty() ? EnumSet.noneOf(JobType.class) : EnumSet.copyOf(requiredFor);
        this.placement = placement;
        this.input = input;
    }

    public String wireName() {
        return wireName;
    }

    public ValueRule rule() {
        return rule;
    }

    public boolean appliesTo(JobType type) {
        return types.contains(type);
    }

    public boolean requiredFor(JobType type) {
        return requiredFor.contains(type);
    }

    public Placement placement() {
        return placement;
    }

    /** An input the job reads, so it must exist when the job is submitted. */
    public boolean isInput() {
        return input;
    }

    public String typeNames() {
        return types.stream().map(JobType::wireName).collect(Collectors.joining(", "));
    }

    public static Optional<Param> byWireName(String name) {
        return Optional.ofNullable(BY_WIRE_NAME.get(name));
    }
}
