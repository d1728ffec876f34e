package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ChatTemplates;
import org.mmgpt.engine.data.DpoData;
import org.mmgpt.engine.data.Example;
import org.mmgpt.engine.data.Loaded;
import org.mmgpt.engine.data.PreferenceExample;
import org.mmgpt.engine.data.PretrainData;
import org.mmgpt.engine.data.SftData;
import org.mmgpt.engine.data.Splits;
import org.mmgpt.engine.generate.GenerationConfig;
import org.mmgpt.engine.lora.LoraConfig;
import org.mmgpt.engine.lora.PeftAdapter;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelWriter;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * Runs one training stage — continued pretraining, supervised fine-tuning or DPO — with LoRA or full
 * fine-tuning, the way transformers' Trainer (and TRL's DPOTrainer) do: micro-batches accumulated into
 * optimizer steps, AdamW, a learning-rate schedule, gradient clipping, periodic logging, evaluation
 * and checkpoints, and exact resumption from a checkpoint.
 *
 * <p>The data order is a function of the seed and the epoch, and dropout draws a function of the
 * seed and the step, so a run resumed from step k continues exactly as the uninterrupted run did.
 */
public final class Trainer {

    /** What a run reports as it goes (the command line prints it, a worker publishes it). */
    public interface Listener {
        default void onMessage(String line) {}

        /** After every optimizer step. */
        default void onStep(Progress progress) {}

        /** Every logging step and every evaluation, with the seed's metric names. */
        default void onMetrics(long step, Map<String, Double> metrics) {}

        default void onCheckpoint(long step, Path dir) {}

        /** Before the first step of a run resumed from {@code checkpoint}, which ended at {@code step}. */
        default void onResume(long step, long totalSteps, Path checkpoint) {}
    }

    /** Where a run stands after an optimizer step. */
    public record Progress(long step, long totalSteps, double epoch, double loss, double learningRate,
                           double tokensPerSecond, Duration eta) {}

    /** How a run ended. */
    public record Result(Path outputDir, long globalStep, double trainLoss, Double evalLoss, boolean stopped) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> LOG_ENTRY = new TypeReference<>() {};

    private final TrainingArguments args;
    private final Listener listener;
    private final BooleanSupplier stopRequested;
    private final List<Map<String, Object>> logHistory = new ArrayList<>();
    /** The sum of the step losses so far, those before a resume included (from the checkpoint). */
    private double lossSum;
    /** False after resuming from a checkpoint that did not record the sum: it then covers this run only. */
    private boolean lossSumFromStart = true;

    private Tokenizer tokenizer;
    private CausalLM model;
    private CausalLM reference; // full-tuning DPO only: the frozen starting model
    private Map<String, NDArray> trainable;
    private AdamW optimizer;
    private LrSchedule schedule;
    private List<Example> trainExamples;
    private List<Example> evalExamples;
    private List<PreferenceExample> trainPairs;
    private List<PreferenceExample> evalPairs;

    private Trainer(TrainingArguments args, Listener listener, BooleanSupplier stopRequested) {
        this.args = args;
        this.listener = listener;
        this.stopRequested = stopRequested;
    }

    /** Trains as {@code args} say; {@code stopRequested} is polled at every step boundary. */
    public static Result train(TrainingArguments args, Listener listener, BooleanSupplier stopRequested)
            throws IOException {
        Autograd.offOnThisThread();
        Trainer t = new Trainer(args, listener, stopRequested);
        try {
            return t.run();
        } finally {
            t.close();
        }
    }

    private boolean dpo() {
        return args.stage().equals("dpo");
    }

    private int trainSize() {
        return dpo() ? trainPairs.size() : trainExamples.size();
    }

    private Result run() throws IOException {
        Files.createDirectories(args.outputDir());
        Checkpoints.clearStaging(args.outputDir());
        tokenizer = Tokenizer.load(args.model());
        say("stage " + args.stage() + ": " + (args.usePeft() ? "LoRA r=" + args.loraRank() + " alpha=" + args.loraAlpha()
                + " on " + args.targetModules() : "full fine-tuning") + ", base " + args.model());
        say("compute dtype: float32" + (args.bf16() || args.fp16()
                ? " (" + (args.bf16() ? "bf16" : "fp16") + " was asked for; this engine computes in float32 on "
                + "this device, where DJL 0.36 has no working bf16/fp16 training path)" : ""));
        loadData();
        Path resume = resumeCheckpoint();
        model = CausalLM.load(resume != null && !args.usePeft() ? resume : args.model());
        setUpTrainable(resume);
        checkMemory();
        long stepsPerEpoch = stepsPerEpoch();
        long total = args.maxSteps() > 0 ? args.maxSteps() : (long) Math.ceil(args.numTrainEpochs() * stepsPerEpoch);
        schedule = new LrSchedule(args.lrSchedulerType(), args.learningRate(),
                LrSchedule.warmup(args.warmupSteps(), args.warmupRatio(), total), total);
        optimizer = new AdamW(trainable, (float) args.adamBeta1(), (float) args.adamBeta2(), (float) args.adamEpsilon(),
                (float) args.weightDecay(), noDecay(), Djl.threads(), model.manager());
        long start = 0;
        if (resume != null) {
            optimizer.load(resume.resolve("optimizer.safetensors"));
            start = readState(resume);
            say("resumed from " + resume + " at step " + start);
            listener.onResume(start, total, resume);
        }
        say(String.format("%d training %s, %d per micro-batch, %d micro-batches per step: %d steps per epoch, %d steps",
                trainSize(), dpo() ? "pairs" : "examples", args.batchSize(), args.gradientAccumulationSteps(),
                stepsPerEpoch, total));
        return loop(start, total, stepsPerEpoch);
    }

    private void say(String line) {
        listener.onMessage(line);
    }

    // ---------------------------------------------------------------- data

    private void loadData() {
        ChatTemplate template = args.stage().equals("pt") ? null : ChatTemplates.resolve(args.templateName(), tokenizer);
        if (dpo()) {
            Splits.Split<PreferenceExample> split = loadSplit(dir -> DpoData.load(dir, tokenizer, template,
                    args.maxSourceLength(), args.maxTargetLength(), args.skipBadLines()));
            trainPairs = split.train();
            evalPairs = split.validation();
        } else {
            Splits.Split<Example> split = loadSplit(dir -> loadExamples(dir, template));
            trainExamples = split.train();
            evalExamples = split.validation();
        }
        requireData(trainSize());
    }

    /**
     * The training data and the validation data: validation_file_dir when given, else a seeded split
     * of the training data; each capped by max_train_samples / max_eval_samples.
     */
    private <T> Splits.Split<T> loadSplit(Function<Path, Loaded<T>> load) {
        Loaded<T> train = load.apply(args.trainDir());
        say("train data: " + train.report().summary());
        List<T> all = train.examples();
        List<T> eval;
        if (args.validationDir() != null) {
            Loaded<T> v = load.apply(args.validationDir());
            say("validation data: " + v.report().summary());
            eval = v.examples();
        } else {
            Splits.Split<T> split = Splits.split(all, args.validationSplitPercentage(), args.seed());
            all = split.train();
            eval = split.validation();
        }
        return new Splits.Split<>(Splits.maxSamples(all, args.maxTrainSamples()),
                Splits.maxSamples(eval, args.maxEvalSamples()));
    }

    private Loaded<Example> loadExamples(Path dir, ChatTemplate template) {
        return args.stage().equals("pt")
                ? PretrainData.load(dir, tokenizer, args.blockSize(), args.skipBadLines())
                : SftData.load(dir, tokenizer, template, args.modelMaxLength(), args.trainOnInputs(), args.skipBadLines());
    }

    private void requireData(int n) {
        if (n == 0) {
            throw new IllegalArgumentException(args.trainDir() + ": no training examples left"
                    + (args.stage().equals("pt") ? " (is the text shorter than block_size " + args.blockSize() + "?)" : ""));
        }
    }

    // ---------------------------------------------------------------- model

    private void setUpTrainable(Path resume) {
        if (args.usePeft()) {
            if (resume != null) {
                PeftAdapter.load(model, resume);
            } else if (args.peftPath() != null) {
                LoraConfig c = PeftAdapter.load(model, args.peftPath());
                say("continuing the adapter " + args.peftPath() + " (r=" + c.r() + ")");
            } else {
                PeftAdapter.create(model, args.loraConfig(), args.seed());
            }
            trainable = PeftAdapter.tensors(model);
            if (dpo()) {
                say("DPO reference: the base model with the adapter disabled");
            }
        } else {
            trainable = model.weights();
            if (dpo()) {
                reference = CausalLM.load(args.model());
                say("DPO reference: a frozen copy of " + args.model());
            }
        }
        trainable.values().forEach(Autograd::requireGrad);
        long n = trainable.values().stream().mapToLong(a -> a.getShape().size()).sum();
        say(String.format("trainable parameters: %,d of %,d (%.2f%%)", n, model.parameterCount(),
                100.0 * n / model.parameterCount()));
    }

    /** transformers decays every weight but biases and norm weights. */
    private Set<String> noDecay() {
        Set<String> out = new HashSet<>();
        trainable.keySet().forEach(name -> {
            if (name.endsWith(".bias") || name.endsWith("norm.weight")) {
                out.add(name);
            }
        });
        return out;
    }

    private void checkMemory() {
        int longest;
        int rows = args.batchSize();
        if (dpo()) {
            longest = trainPairs.stream().mapToInt(p -> p.prompt().length
                    + Math.max(p.chosen().length, p.rejected().length)).max().orElse(1);
            rows *= 2;
        } else {
            longest = trainExamples.stream().mapToInt(Example::length).max().orElse(1);
        }
        long params = model.parameterCount() * (reference != null ? 2 : 1);
        long trainableCount = trainable.values().stream().mapToLong(a -> a.getShape().size()).sum();
        MemoryEstimate need = MemoryEstimate.of(model.config(), params, trainableCount, (long) rows * longest,
                args.gradientCheckpointing());
        long avail = MemoryEstimate.available();
        say("memory estimate: " + MemoryEstimate.gib(need.total()) + " (weights " + MemoryEstimate.gib(need.weights())
                + ", optimizer " + MemoryEstimate.gib(need.optimizer()) + ", activations "
                + MemoryEstimate.gib(need.activations()) + "); available " + MemoryEstimate.gib(avail));
        if (need.total() > avail) {
            throw new IllegalArgumentException("not enough memory: this run needs about " + MemoryEstimate.gib(need.total())
                    + " but " + MemoryEstimate.gib(avail) + " is available; lower per_device_train_batch_size ("
                    + args.batchSize() + ") or the sequence length, or turn on gradient_checkpointing"
                    + (args.usePeft() ? "" : " or use_peft"));
        }
    }

    // ---------------------------------------------------------------- the loop

    private long microBatchesPerEpoch() {
        return (trainSize() + args.batchSize() - 1) / args.batchSize();
    }

    private long stepsPerEpoch() {
        return (microBatchesPerEpoch() + args.gradientAccumulationSteps() - 1) / args.gradientAccumulationSteps();
    }

    /** The order of the training data in {@code epoch}: a shuffle seeded by (seed, epoch). */
    private int[] order(long epoch) {
        int n = trainSize();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(args.seed() * 1_000_003L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return idx;
    }

    private Result loop(long start, long total, long stepsPerEpoch) throws IOException {
        MetricsLog metrics = MetricsLog.resume(args.outputDir().resolve("metrics.jsonl"), start);
        TensorBoardWriter board = new TensorBoardWriter(args.outputDir().resolve("runs"));
        long t0 = System.nanoTime();
        long tokens = 0;
        double windowLoss = 0;
        int lossCount = 0;
        long doneSteps = 0;
        Map<String, Double> dpoSums = new LinkedHashMap<>();
        long step = start;
        boolean stopped = false;
        try {
            while (step < total) {
                if (stopRequested.getAsBoolean()) {
                    stopped = true;
                    say("stop requested: ending at step " + step);
                    if (step > start && step % args.saveSteps() != 0) {
                        saveCheckpoint(step, (double) step / stepsPerEpoch); // a resume loses nothing
                    }
                    break;
                }
                long epoch = step / stepsPerEpoch;
                int[] order = order(epoch);
                long firstMicro = (step % stepsPerEpoch) * args.gradientAccumulationSteps();
                long lastMicro = Math.min(firstMicro + args.gradientAccumulationSteps(), microBatchesPerEpoch());
                double stepLoss = 0;
                for (long mb = firstMicro; mb < lastMicro; mb++) {
                    int from = (int) (mb * args.batchSize());
                    int to = Math.min(from + args.batchSize(), trainSize());
                    int[] rows = Arrays.copyOfRange(order, from, to);
                    long seed = args.seed() * 1_000_003L + step * 1_009L + mb;
                    MicroResult r = dpo() ? dpoMicroStep(rows, lastMicro - firstMicro, seed)
                            : lmMicroStep(rows, lastMicro - firstMicro, seed);
                    stepLoss += r.loss / (lastMicro - firstMicro);
                    tokens += r.tokens;
                    r.metrics.forEach((k, v) -> dpoSums.merge(k, v / (lastMicro - firstMicro), Double::sum));
                }
                double gradNorm = GradClip.norm(trainable.values(), model.manager());
                double lr = schedule.at(step);
                optimizer.step((float) lr, GradClip.coefficient(gradNorm, args.maxGradNorm()));
                trainable.values().forEach(Autograd::zeroGrad);
                step++;
                doneSteps++;
                windowLoss += stepLoss;
                lossCount++;
                lossSum += stepLoss;
                double elapsed = (System.nanoTime() - t0) / 1e9;
                double tokPerSec = tokens / Math.max(1e-9, elapsed);
                Duration eta = Duration.ofMillis((long) (elapsed / doneSteps * (total - step) * 1000));
                double epochNow = (double) step / stepsPerEpoch;
                listener.onStep(new Progress(step, total, epochNow, stepLoss, lr, tokPerSec, eta));
                if (step % args.loggingSteps() == 0 || step == total || step == start + 1) {
                    Map<String, Double> m = new LinkedHashMap<>();
                    m.put("loss", windowLoss / lossCount);
                    m.put("learning_rate", lr);
                    m.put("grad_norm", gradNorm);
                    m.put("epoch", epochNow);
                    m.put("tokens_per_second", tokPerSec);
                    int logged = lossCount;
                    dpoSums.forEach((k, v) -> m.put(k, v / logged));
                    report(step, m, metrics, board);
                    windowLoss = 0;
                    lossCount = 0;
                    dpoSums.clear();
                }
                if (step % args.evalSteps() == 0 && step != total) {
                    report(step, evaluate(), metrics, board);
                }
                if (step % args.saveSteps() == 0 && step != total) {
                    saveCheckpoint(step, epochNow);
                }
            }
            Double evalLoss = null;
            if (!stopped) {
                Map<String, Double> eval = evaluate();
                if (!eval.isEmpty()) {
                    report(step, eval, metrics, board);
                    evalLoss = eval.get("eval_loss");
                }
                saveFinal(step, (double) step / stepsPerEpoch, trainLoss(step, doneSteps), evalLoss,
                        (System.nanoTime() - t0) / 1e9);
            }
            return new Result(args.outputDir(), step, trainLoss(step, doneSteps), evalLoss, stopped);
        } finally {
            board.close();
            metrics.close();
        }
    }

    /** The mean step loss: over every step, or over this run's when resumed from a checkpoint without the sum. */
    private double trainLoss(long step, long doneSteps) {
        return lossSum / Math.max(1, lossSumFromStart ? step : doneSteps);
    }

    private void report(long step, Map<String, Double> m, MetricsLog metrics, TensorBoardWriter board) throws IOException {
        listener.onMetrics(step, m);
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.putAll(m);
        metrics.append(line);
        logHistory.add(line);
        m.forEach((k, v) -> board.scalar((k.startsWith("eval_") ? "eval/" + k.substring(5) : "train/" + k), v, step));
        board.flush();
    }

    private record MicroResult(double loss, long tokens, Map<String, Double> metrics) {}

    /** PT/SFT: mean next-token loss of one micro-batch, back-propagated scaled by 1/n. */
    private MicroResult lmMicroStep(int[] rows, long n, long seed) {
        List<Example> examples = new ArrayList<>();
        for (int r : rows) {
            examples.add(trainExamples.get(r));
        }
        Batch batch = Batch.of(examples, tokenizer.padTokenId());
        try (NDManager m = model.manager().newSubManager()) {
            NDArray ids = batch.idsArray(m);
            NDArray scale = m.create(1.0f / n);
            NDArray loss = Backprop.run(model, ids, batch.keyValid(),
                    hidden -> TokenLogProbs.meanCrossEntropy(model, hidden, batch.labels()).mul(scale),
                    args.gradientCheckpointing(), !args.usePeft(), seed);
            return new MicroResult(loss.getFloat() * n, batch.tokens(), Map.of());
        }
    }

    /** DPO: chosen and rejected rows of the pairs in one batch, against the reference's log-probs. */
    private MicroResult dpoMicroStep(int[] rows, long n, long seed) {
        List<PreferenceExample> pairs = new ArrayList<>();
        for (int r : rows) {
            pairs.add(trainPairs.get(r));
        }
        Batch batch = pairBatch(pairs);
        int b = pairs.size();
        try (NDManager m = model.manager().newSubManager()) {
            NDArray ids = batch.idsArray(m);
            float[] ref = referenceLogProbs(ids, batch);
            NDArray refChosen = m.create(Arrays.copyOfRange(ref, 0, b));
            NDArray refRejected = m.create(Arrays.copyOfRange(ref, b, 2 * b));
            NDArray scale = m.create(1.0f / n);
            DpoLoss.Result[] out = new DpoLoss.Result[1];
            NDArray loss = Backprop.run(model, ids, batch.keyValid(), hidden -> {
                NDArray lp = TokenLogProbs.sequenceLogProbs(model, hidden, batch.labels()); // (2B)
                out[0] = DpoLoss.compute(lp.get(new NDIndex("0:{}", b)), lp.get(new NDIndex("{}:", b)),
                        refChosen, refRejected, (float) args.beta(), (float) args.labelSmoothing());
                return out[0].loss().mul(scale);
            }, args.gradientCheckpointing(), !args.usePeft(), seed);
            return new MicroResult(loss.getFloat() * n, batch.tokens(), out[0].metrics());
        }
    }

    /** The pairs as 2B rows, chosen ones first: prompt + reply, labels on the reply only. */
    private Batch pairBatch(List<PreferenceExample> pairs) {
        List<Example> rows = new ArrayList<>();
        for (PreferenceExample p : pairs) {
            rows.add(join(p.prompt(), p.chosen()));
        }
        for (PreferenceExample p : pairs) {
            rows.add(join(p.prompt(), p.rejected()));
        }
        return Batch.of(rows, tokenizer.padTokenId());
    }

    private static Example join(long[] prompt, long[] reply) {
        long[] ids = new long[prompt.length + reply.length];
        long[] labels = new long[ids.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(reply, 0, ids, prompt.length, reply.length);
        for (int i = 0; i < ids.length; i++) {
            labels[i] = i < prompt.length ? TokenLogProbs.IGNORE : ids[i];
        }
        return new Example(ids, labels);
    }

    /** Summed reply log-probs under the reference model, without recording gradients. */
    private float[] referenceLogProbs(NDArray ids, Batch batch) {
        CausalLM ref = reference != null ? reference : model;
        if (reference == null) {
            model.setAdaptersEnabled(false);
        }
        try {
            NDArray hidden = ref.forward(ids, null, batch.keyValid(), null, false);
            return TokenLogProbs.sequenceLogProbs(ref, hidden, batch.labels()).toFloatArray();
        } finally {
            if (reference == null) {
                model.setAdaptersEnabled(true);
            }
        }
    }

    /** Loss (and perplexity, or DPO's metrics) on the validation data; empty when there is none. */
    private Map<String, Double> evaluate() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (dpo()) {
            if (evalPairs.isEmpty()) {
                return out;
            }
            Map<String, Double> sums = new LinkedHashMap<>();
            int batches = 0;
            for (int from = 0; from < evalPairs.size(); from += args.evalBatchSize()) {
                List<PreferenceExample> pairs = evalPairs.subList(from, Math.min(from + args.evalBatchSize(), evalPairs.size()));
                Batch batch = pairBatch(pairs);
                int b = pairs.size();
                try (NDManager m = model.manager().newSubManager()) {
                    NDArray ids = batch.idsArray(m);
                    float[] ref = referenceLogProbs(ids, batch);
                    NDArray lp = TokenLogProbs.sequenceLogProbs(model,
                            model.forward(ids, null, batch.keyValid(), null, false), batch.labels());
                    DpoLoss.Result r = DpoLoss.compute(lp.get(new NDIndex("0:{}", b)), lp.get(new NDIndex("{}:", b)),
                            m.create(Arrays.copyOfRange(ref, 0, b)),
                            m.create(Arrays.copyOfRange(ref, b, 2 * b)), (float) args.beta(),
                            (float) args.labelSmoothing());
                    sums.merge("eval_loss", (double) r.loss().getFloat(), Double::sum);
                    for (var e : r.metrics().entrySet()) {
                        sums.merge("eval_" + e.getKey(), e.getValue(), Double::sum);
                    }
                }
                batches++;
            }
            int nb = batches;
            sums.forEach((k, v) -> out.put(k, v / nb));
            return out;
        }
        if (evalExamples.isEmpty()) {
            return out;
        }
        double nll = 0;
        long count = 0;
        for (int from = 0; from < evalExamples.size(); from += args.evalBatchSize()) {
            Batch batch = Batch.of(evalExamples.subList(from, Math.min(from + args.evalBatchSize(), evalExamples.size())),
                    tokenizer.padTokenId());
            long labelled = TokenLogProbs.labelledTokens(batch.labels());
            if (labelled == 0) {
                continue;
            }
            try (NDManager m = model.manager().newSubManager()) {
                NDArray hidden = model.forward(batch.idsArray(m), null, batch.keyValid(), null, false);
                nll += TokenLogProbs.meanCrossEntropy(model, hidden, batch.labels()).getFloat() * labelled;
                count += labelled;
            }
        }
        if (count > 0) {
            out.put("eval_loss", nll / count);
            out.put("perplexity", Math.exp(nll / count));
        }
        return out;
    }

    // ---------------------------------------------------------------- checkpoints and results

    /** The checkpoint to resume from: a path, or the newest complete one in output_dir for 'latest'. */
    private Path resumeCheckpoint() throws IOException {
        String r = args.resumeFromCheckpoint();
        if (r == null) {
            return null;
        }
        Path dir;
        if (r.equals("latest")) {
            dir = Checkpoints.latest(args.outputDir());
            if (dir == null) {
                say("resume_from_checkpoint=latest: no checkpoint in " + args.outputDir() + " yet, starting fresh");
                return null;
            }
        } else {
            dir = Path.of(r);
        }
        if (!Files.isRegularFile(dir.resolve("trainer_state.json"))) {
            throw new IllegalArgumentException("resume_from_checkpoint: " + dir + " is not a checkpoint (no trainer_state.json)");
        }
        return dir;
    }

    private long readState(Path checkpoint) throws IOException {
        var state = JSON.readTree(checkpoint.resolve("trainer_state.json").toFile());
        long step = state.path("global_step").asLong();
        if (optimizer.stepCount() != step) {
            throw new IllegalArgumentException(checkpoint + ": optimizer state is at step " + optimizer.stepCount()
                    + " but trainer_state.json says " + step);
        }
        state.path("log_history").forEach(e -> logHistory.add(JSON.convertValue(e, LOG_ENTRY)));
        lossSumFromStart = state.has("train_loss_sum");
        lossSum = state.path("train_loss_sum").asDouble(0);
        return step;
    }

    private void saveCheckpoint(long step, double epoch) throws IOException {
        Path dir = Checkpoints.save(args.outputDir(), step, staging -> {
            saveWeights(staging, false);
            optimizer.save(staging.resolve("optimizer.safetensors"));
            writeState(staging, step, epoch);
        });
        Checkpoints.prune(args.outputDir(), args.saveTotalLimit());
        listener.onCheckpoint(step, dir);
        say("saved " + dir);
    }

    private void saveWeights(Path dir, boolean withTokenizer) throws IOException {
        if (args.usePeft()) {
            PeftAdapter.save(model, args.loraConfig(), dir);
        } else {
            ModelWriter.write(model, dir,
                    GenerationConfig.read(args.model()),
                    ModelWriter.DEFAULT_MAX_SHARD_BYTES);
        }
        if (withTokenizer || !args.usePeft()) {
            ModelWriter.copyTokenizer(args.model(), dir);
        }
    }

    private void writeState(Path dir, long step, double epoch) throws IOException {
        ObjectNode s = JSON.createObjectNode();
        s.put("global_step", step);
        s.put("epoch", epoch);
        s.put("stage", args.stage());
        s.put("seed", args.seed());
        s.put("steps_per_epoch", stepsPerEpoch());
        s.put("data_position", "epoch " + (long) Math.floor(epoch) + ", step " + (step % stepsPerEpoch())
                + " of the epoch's shuffle (seeded by seed and epoch)");
        s.put("rng", "dropout seeded by (seed, step, micro-batch): restored by the step itself");
        s.set("log_history", JSON.valueToTree(logHistory));
        if (lossSumFromStart) {
            s.put("train_loss_sum", lossSum); // a resumed run's train_loss still averages every step
        }
        Files.writeString(dir.resolve("trainer_state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
    }

    /** The result in output_dir: adapter or model (+ tokenizer), trainer state and results files. */
    private void saveFinal(long step, double epoch, double trainLoss, Double evalLoss, double seconds) throws IOException {
        Checkpoints.publishInto(args.outputDir(), staging -> {
            saveWeights(staging, true);
            writeState(staging, step, epoch);
            ObjectNode train = JSON.createObjectNode();
            train.put("train_loss", trainLoss);
            train.put("train_runtime", seconds);
            train.put("global_step", step);
            train.put("epoch", epoch);
            train.put("train_samples", trainSize());
            Files.writeString(staging.resolve("train_results.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(train));
            if (evalLoss != null) {
                ObjectNode eval = JSON.createObjectNode();
                eval.put("eval_loss", evalLoss);
                if (!dpo()) {
                    eval.put("perplexity", Math.exp(evalLoss));
                }
                Files.writeString(staging.resolve("eval_results.json"),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(eval));
            }
        });
        say("saved the " + (args.usePeft() ? "adapter" : "model") + " to " + args.outputDir());
    }

    private void close() {
        if (optimizer != null) {
            optimizer.close();
        }
        if (reference != null) {
            reference.close();
        }
        if (model != null) {
            model.close();
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
