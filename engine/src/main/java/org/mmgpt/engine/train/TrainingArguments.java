package org.mmgpt.engine.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.mmgpt.engine.lora.LoraConfig;

/**
 * Everything one training stage (pt, sft, dpo) is told, under the seed's argument names. The table
 * {@link #OPTIONS} is the one definition of names, per-stage defaults and help: the command line
 * declares its options from it and the trainer worker reads job parameters through it, so both
 * accept exactly the same things. {@link #from} checks every value and names every bad one.
 */
public record TrainingArguments(
        String stage,
        Path model,
        Path peftPath,
        String templateName,
        Path trainDir,
        Path validationDir,
        Path outputDir,
        int validationSplitPercentage,
        int maxTrainSamples,
        int maxEvalSamples,
        int blockSize,
        int modelMaxLength,
        int maxSourceLength,
        int maxTargetLength,
        boolean trainOnInputs,
        boolean skipBadLines,
        boolean usePeft,
        int loraRank,
        double loraAlpha,
        double loraDropout,
        List<String> targetModules,
        double learningRate,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double maxGradNorm,
        String lrSchedulerType,
        double warmupRatio,
        int warmupSteps,
        double numTrainEpochs,
        long maxSteps,
        int batchSize,
        int evalBatchSize,
        int gradientAccumulationSteps,
        long seed,
        boolean gradientCheckpointing,
        boolean bf16,
        boolean fp16,
        int loggingSteps,
        int evalSteps,
        int saveSteps,
        int saveTotalLimit,
        String resumeFromCheckpoint,
        double beta,
        double labelSmoothing) {

    public static final List<String> STAGES = List.of("pt", "sft", "dpo");

    /**
     * One option: its seed name (snake_case), a short alias for the command line, its default for
     * pt/sft/dpo (null: none), the stages that read it, and a help line.
     */
    public record Option(String name, String alias, String ptDefault, String sftDefault, String dpoDefault,
                         Set<String> stages, String help) {
        public String defaultFor(String stage) {
            return switch (stage) {
                case "pt" -> ptDefault;
                case "sft" -> sftDefault;
                default -> dpoDefault;
            };
        }

        public String cliName() {
            return name.replace('_', '-');
        }
    }

    private static final Set<String> ALL = Set.of("pt", "sft", "dpo");

    private static Option o(String name, String alias, String def, String help) {
        return new Option(name, alias, def, def, def, ALL, help);
    }

    private static Option o(String name, String alias, String pt, String sft, String dpo, String help) {
        return new Option(name, alias, pt, sft, dpo, ALL, help);
    }

    private static Option only(Set<String> stages, String name, String def, String help) {
        return new Option(name, null, def, def, def, stages, help);
    }

    /** The seed's defaults: transformers' for pt and sft, dpo_training.py's own for dpo. */
    public static final List<Option> OPTIONS = List.of(
            o("model_name_or_path", "model", null, "base model directory (Hugging Face layout)"),
            o("peft_path", null, null, "a PEFT adapter to continue training"),
            only(Set.of("sft", "dpo"), "template_name", null, "named chat template (default: the model's chat_template)"),
            o("train_file_dir", "train-dir", null, "directory of training files"),
            o("validation_file_dir", "validation-dir", null, "directory of validation files (default: a split of the training data)"),
            o("output_dir", null, null, "where checkpoints, logs and the result go"),
            o("validation_split_percentage", null, "1", "percent of the training data held out when no validation_file_dir"),
            o("max_train_samples", null, "-1", "use at most this many training examples (-1: all)"),
            o("max_eval_samples", null, "-1", "use at most this many validation examples (-1: all)"),
            only(Set.of("pt"), "block_size", "1024", "tokens per pretraining block"),
            only(Set.of("sft"), "model_max_length", "512", "longest SFT example in tokens (whole turns kept where they fit)"),
            only(Set.of("dpo"), "max_source_length", "2048", "longest DPO prompt in tokens"),
            only(Set.of("dpo"), "max_target_length", "512", "longest DPO response in tokens"),
            only(Set.of("sft"), "train_on_inputs", "false", "put labels on the user turns too"),
            o("skip_bad_lines", null, "false", "skip malformed data lines (counted) instead of failing"),
            o("use_peft", null, "true", "train a LoRA adapter (false: full fine-tuning)"),
            o("lora_rank", null, "8", "LoRA rank r"),
            o("lora_alpha", null, "32", "32", "16", "LoRA alpha (scale = alpha / r)"),
            o("lora_dropout", null, "0.05", "LoRA dropout"),
            o("target_modules", null, "all", "LoRA targets: comma list of q_proj,k_proj,... or all"),
            o("learning_rate", null, "5e-5", "5e-5", "5e-4", "peak learning rate"),
            o("weight_decay", null, "0", "0", "0.05", "AdamW decoupled weight decay (not on biases and norms)"),
            o("adam_beta1", null, "0.9", "AdamW beta1"),
            o("adam_beta2", null, "0.999", "AdamW beta2"),
            o("adam_epsilon", null, "1e-8", "AdamW epsilon"),
            o("max_grad_norm", null, "1.0", "global gradient-norm clip (0: off)"),
            o("lr_scheduler_type", null, "linear", "linear", "cosine", "linear, cosine, constant, constant_with_warmup"),
            o("warmup_ratio", null, "0", "fraction of steps warming up from 0"),
            o("warmup_steps", null, "0", "0", "100", "warm-up steps (overrides warmup_ratio)"),
            o("num_train_epochs", "epochs", "3", "passes over the training data (fractions allowed)"),
            o("max_steps", null, "-1", "-1", "200", "optimizer steps (overrides num_train_epochs when > 0)"),
            o("per_device_train_batch_size", "batch-size", "8", "8", "4", "examples per micro-batch"),
            o("per_device_eval_batch_size", "eval-batch-size", "8", "8", "1", "examples per evaluation batch"),
            o("gradient_accumulation_steps", null, "1", "1", "4", "micro-batches per optimizer step"),
            o("seed", null, "42", "random seed: same seed, same data order, same losses"),
            o("gradient_checkpointing", null, "false", "false", "true", "recompute each layer in backward to save memory"),
            o("bf16", null, "false", "false", "false", "bfloat16 compute where the device supports it"),
            o("fp16", null, "false", "float16 compute where the device supports it"),
            o("logging_steps", null, "10", "10", "1", "log every N steps"),
            o("eval_steps", null, "50", "evaluate every N steps"),
            o("save_steps", null, "500", "500", "50", "checkpoint every N steps"),
            o("save_total_limit", null, "-1", "keep at most N checkpoints (-1: all)"),
            o("resume_from_checkpoint", null, null, "a checkpoint directory, or 'latest' in output_dir"),
            only(Set.of("dpo"), "beta", "0.1", "DPO beta"),
            only(Set.of("dpo"), "label_smoothing", "0", "DPO label smoothing"));

    /**
     * Seed arguments that do not change what this engine computes (DeepSpeed, caching, hub, worker
     * counts, reporting switches). They are accepted, so the seed's scripts run unchanged, and logged
     * as ignored.
     */
    public static final Set<String> IGNORED = Set.of("do_train", "do_eval", "cache_dir", "deepspeed", "ddp_timeout",
            "ddp_find_unused_parameters", "preprocessing_num_workers", "overwrite_cache", "report_to",
            "logging_first_step", "logging_strategy", "eval_strategy", "evaluation_strategy", "save_strategy",
            "torch_dtype", "use_fast_tokenizer", "trust_remote_code", "device_map", "remove_unused_columns",
            "packing", "keep_linebreaks", "optim", "flash_attn", "tool_format", "overwrite_output_dir",
            "model_revision", "tokenizer_name_or_path", "load_best_model_at_end");

    private static final Map<String, Option> BY_NAME = new LinkedHashMap<>();

    static {
        for (Option opt : OPTIONS) {
            BY_NAME.put(opt.name(), opt);
        }
    }

    public static Option option(String name) {
        return BY_NAME.get(name);
    }

    /**
     * Reads {@code values} (seed names; a value may be a String, Number or Boolean) for {@code stage}.
     * Every problem is collected, and all of them are reported in one exception, each naming its field.
     */
    public static TrainingArguments from(String stage, Map<String, ?> values) {
        if (!STAGES.contains(stage)) {
            throw new IllegalArgumentException("unknown stage '" + stage + "'; choose from " + STAGES);
        }
        List<String> errors = new ArrayList<>();
        for (String key : values.keySet()) {
            Option opt = BY_NAME.get(key);
            if (opt == null && !IGNORED.contains(key)) {
                errors.add(key + ": unknown parameter");
            } else if (opt != null && !opt.stages().contains(stage)) {
                errors.add(key + ": does not apply to stage " + stage);
            }
        }
        Reader r = new Reader(stage, values, errors);
        TrainingArguments a = new TrainingArguments(
                stage,
                r.path("model_name_or_path", true),
                r.path("peft_path", false),
                r.text("template_name"),
                r.path("train_file_dir", true),
                r.path("validation_file_dir", false),
                r.path("output_dir", true),
                r.integer("validation_split_percentage", 0, 99),
                r.integer("max_train_samples", -1, Integer.MAX_VALUE),
                r.integer("max_eval_samples", -1, Integer.MAX_VALUE),
                r.integer("block_size", 2, 1 << 20),
                r.integer("model_max_length", 2, 1 << 20),
                r.integer("max_source_length", 1, 1 << 20),
                r.integer("max_target_length", 1, 1 << 20),
                r.bool("train_on_inputs"),
                r.bool("skip_bad_lines"),
                r.bool("use_peft"),
                r.integer("lora_rank", 1, 4096),
                r.number("lora_alpha", 0, 1e6),
                r.number("lora_dropout", 0, 0.999),
                r.targets(),
                r.number("learning_rate", 0, 10),
                r.number("weight_decay", 0, 10),
                r.number("adam_beta1", 0, 0.999999),
                r.number("adam_beta2", 0, 0.999999),
                r.number("adam_epsilon", 0, 1),
                r.number("max_grad_norm", 0, 1e9),
                r.choice("lr_scheduler_type", LrSchedule.TYPES),
                r.number("warmup_ratio", 0, 1),
                r.integer("warmup_steps", 0, Integer.MAX_VALUE),
                r.number("num_train_epochs", 0, 1e6),
                r.integer("max_steps", -1, Integer.MAX_VALUE),
                r.integer("per_device_train_batch_size", 1, 65536),
                r.integer("per_device_eval_batch_size", 1, 65536),
                r.integer("gradient_accumulation_steps", 1, 65536),
                r.integer("seed", 0, Integer.MAX_VALUE),
                r.bool("gradient_checkpointing"),
                r.bool("bf16"),
                r.bool("fp16"),
                r.integer("logging_steps", 1, Integer.MAX_VALUE),
                r.integer("eval_steps", 1, Integer.MAX_VALUE),
                r.integer("save_steps", 1, Integer.MAX_VALUE),
                r.integer("save_total_limit", -1, 100000),
                r.text("resume_from_checkpoint"),
                r.number("beta", 0, 100),
                r.number("label_smoothing", 0, 0.5));
        if (a.maxSteps() <= 0 && !(a.numTrainEpochs() > 0)) {
            errors.add("num_train_epochs: must be > 0 when max_steps is not set");
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid training arguments:\n  " + String.join("\n  ", errors));
        }
        return a;
    }

    /** The values that were given but mean nothing here (logged as ignored). */
    public static List<String> ignoredIn(Map<String, ?> values) {
        return values.keySet().stream().filter(IGNORED::contains).sorted().toList();
    }

    /** LoRA settings of this run, as an adapter_config.json will record them. */
    public LoraConfig loraConfig() {
        return new LoraConfig(loraRank, loraAlpha, loraDropout, targetModules, null, false, model.toString());
    }

    /** Reads typed values, collecting errors instead of stopping at the first. */
    private static final class Reader {
        private final String stage;
        private final Map<String, ?> values;
        private final List<String> errors;

        Reader(String stage, Map<String, ?> values, List<String> errors) {
            this.stage = stage;
            this.values = values;
            this.errors = errors;
        }

        private String raw(String name) {
            Object v = values.get(name);
            if (v == null) {
                return BY_NAME.get(name).defaultFor(stage);
            }
            return v.toString().trim();
        }

        private <T> T parse(String name, Function<String, T> f, String what, T fallback) {
            String v = raw(name);
            if (v == null) {
                return fallback;
            }
            try {
                return f.apply(v);
            } catch (RuntimeException e) {
                errors.add(name + ": must be " + what + ", got '" + v + "'");
                return fallback;
            }
        }

        String text(String name) {
            String v = raw(name);
            return v == null || v.isEmpty() ? null : v;
        }

        Path path(String name, boolean required) {
            String v = text(name);
            if (v == null) {
                if (required) {
                    errors.add(name + ": is required");
                }
                return null;
            }
            return Path.of(v);
        }

        int integer(String name, long min, long max) {
            long v = parse(name, s -> {
                double d = Double.parseDouble(s);
                if (d != Math.rint(d)) {
                    throw new NumberFormatException();
                }
                return (long) d;
            }, "an integer", min);
            if (v < min || v > max) {
                errors.add(name + ": must be in [" + min + ", " + max + "], got " + v);
            }
            return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
        }

        double number(String name, double min, double max) {
            double v = parse(name, Double::parseDouble, "a number", min);
            if (!(v >= min && v <= max)) {
                errors.add(name + ": must be in [" + min + ", " + max + "], got " + v);
            }
            return v;
        }

        boolean bool(String name) {
            return parse(name, s -> switch (s.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default -> throw new IllegalArgumentException();
            }, "true or false", false);
        }

        String choice(String name, List<String> choices) {
            String v = raw(name);
            if (!choices.contains(v)) {
                errors.add(name + ": must be one of " + choices + ", got '" + v + "'");
            }
            return v;
        }

        List<String> targets() {
            try {
                return LoraConfig.parseTargets(raw("target_modules"));
            } catch (IllegalArgumentException e) {
                errors.add("target_modules: " + e.getMessage());
                return LoraConfig.ALL_LINEAR;
            }
        }
    }
}
