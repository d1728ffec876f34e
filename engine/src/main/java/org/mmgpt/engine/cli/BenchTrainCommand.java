package org.mmgpt.engine.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.lora.LoraConfig;
import org.mmgpt.engine.lora.PeftAdapter;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelConfig;
import org.mmgpt.engine.train.AdamW;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.train.Backprop;
import org.mmgpt.engine.train.GradClip;
import org.mmgpt.engine.train.TokenLogProbs;

/**
 * {@code mmgpt bench-train}: training tokens/s (forward + backward + clip + AdamW), full and LoRA,
 * beside the PyTorch eager reference in the same command, with model-FLOPs utilisation against the
 * sgemm speed measured in the same run.
 */
final class BenchTrainCommand implements Command {
    @Override
    public String name() {
        return "bench-train";
    }

    @Override
    public Args options() {
        return Bench.declareShared(new Args(name(), "benchmark training steps (full and LoRA) against the PyTorch eager reference")
                .option("batch", "B", "4", "rows per step")
                .option("block", "T", "256", "tokens per row")
                .option("warmup", "N", "6", "untimed steps first, both sides (the JVM compiles its code meanwhile)")
                .option("steps", "N", "6", "timed steps")
                .option("rounds", "N", "1", "runs of each side, taking turns; the medians are reported"));
    }

    @Override
    public void run(Args a) throws Exception {
        int threads = a.getInt("threads");
        Djl.setThreads(threads);
        ModelConfig config = Bench.config(a.get("preset"), a.getInt("vocab-size"));
        int b = a.getInt("batch");
        int t = a.getInt("block");
        int steps = a.getInt("steps");
        int warmup = a.getInt("warmup");
        int rounds = a.getInt("rounds");
        boolean reference = !a.getBool("no-reference");
        String configFile = reference ? Bench.configFile(config).toString() : null;
        StringBuilder table = new StringBuilder(Bench.header());
        StringBuilder perRound = new StringBuilder();
        double sgemm = Double.NaN;
        List<Double> refSgemms = new ArrayList<>();
        for (String mode : List.of("full", "lora")) {
            List<Double> javaRates = new ArrayList<>();
            List<Double> refRates = new ArrayList<>();
            long params = 0;
            try (Sgemm sampler = mode.equals("full") ? new Sgemm(1024) : null) {
                for (int round = 0; round < rounds; round++) { // the two sides take turns
                    try (CausalLM model = Bench.randomModel(config, 1234)) {
                        params = model.parameterCount();
                        javaRates.add(trainTokensPerSecond(model, mode, b, t, warmup, steps, threads, sampler));
                    }
                    if (reference) {
                        JsonNode r = Bench.python(a.get("python"), List.of("train",
                                "--config", configFile, "--mode", mode,
                                "--batch", String.valueOf(b), "--block", String.valueOf(t),
                                "--warmup", String.valueOf(warmup), "--steps", String.valueOf(steps),
                                "--threads", String.valueOf(threads),
                                "--lora-rank", "8", "--lora-alpha", "16", "--target", "all"));
                        refRates.add(r == null ? Double.NaN : r.path("tokens_per_s").asDouble(Double.NaN));
                        if (mode.equals("full")) {
                            refSgemms.add(r == null ? Double.NaN : r.path("sgemm_gflops").asDouble(Double.NaN));
                        }
                    }
                }
                if (sampler != null) {
                    sgemm = sampler.gflops();
                }
            }
            perRound.append(Bench.roundLine(mode, javaRates, refRates));
            double java = Bench.median(javaRates);
            double ref = reference ? Bench.median(refRates) : Double.NaN;
            table.append(Bench.row("train tokens/s, " + mode + " (B" + b + " x T" + t + ")", Bench.num(java),
                    Bench.num(ref), Bench.ratio(java, ref)));
            if (mode.equals("full")) {
                double mfu = 6.0 * params * java / (sgemm * 1e9);
                double refMfu = reference ? 6.0 * params * ref / (Bench.median(refSgemms) * 1e9) : Double.NaN;
                table.append(Bench.row("  MFU (6 x " + String.format("%.1fM", params / 1e6) + " params x tok/s / sgemm)",
                        Bench.percent(mfu), Bench.percent(refMfu), ""));
            }
        }
        table.append(Bench.row("sgemm 1024^2 GFLOP/s (same run)", Bench.num(sgemm),
                reference ? Bench.num(Bench.median(refSgemms)) : "n/a", ""));
        table.append(Bench.roundsNote(rounds, perRound));
        table.append("Java side: ").append(Djl.mklStatus()).append('\n');
        System.out.print(table);
    }

    /**
     * n×n float32 matmuls timed in short bursts between the training steps (not inside them), as the
     * reference does, so that the MFU denominator sees the same neighbours' load as the steps.
     */
    static final class Sgemm implements AutoCloseable {
        private final NDManager manager = Djl.newManager();
        private final int n;
        private final NDArray x;
        private final NDArray y;
        private final List<Double> gflops = new ArrayList<>();

        Sgemm(int n) {
            this.n = n;
            this.x = manager.randomNormal(new Shape(n, n));
            this.y = manager.randomNormal(new Shape(n, n));
            sample(3); // warm-up, not kept
            gflops.clear();
            sample(5);
        }

        void sample(int times) {
            for (int i = 0; i < times; i++) {
                long t0 = System.nanoTime();
                try (NDArray z = x.matMul(y)) {
                    z.getFloat(0, 0);
                }
                gflops.add(2.0 * n * n * n / (System.nanoTime() - t0));
            }
        }

        /** The median of every sample. */
        double gflops() {
            return Bench.median(gflops);
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /**
     * Tokens/s of training steps on random tokens (over the median step time), after {@code warmup} untimed ones (on two
     * cores the JIT's compiler threads take a core from the matrix products for the first few
     * steps); {@code sgemm}, when given, samples its matmuls after each timed step.
     */
    static double trainTokensPerSecond(CausalLM model, String mode, int b, int t, int warmup, int steps,
                                       int threads, Sgemm sgemm) {
        Map<String, NDArray> params;
        if (mode.equals("lora")) {
            PeftAdapter.create(model, new LoraConfig(8, 16, 0, LoraConfig.ALL_LINEAR, null, false, null), 1);
            params = PeftAdapter.tensors(model);
        } else {
            params = model.weights();
        }
        params.values().forEach(Autograd::requireGrad);
        SplittableRandom rng = new SplittableRandom(3);
        List<Double> seconds = new ArrayList<>();
        try (AdamW adam = new AdamW(params, 0.9f, 0.999f, 1e-8f, 0f, Set.of(), threads, model.manager())) {
            for (int s = 0; s < warmup + steps; s++) {
                long[][] ids = new long[b][t];
                long[] flat = new long[b * t];
                for (int i = 0; i < b; i++) {
                    for (int j = 0; j < t; j++) {
                        ids[i][j] = rng.nextInt(model.config().vocabSize());
                        flat[i * t + j] = ids[i][j];
                    }
                }
                long t0 = System.nanoTime();
                try (NDManager m = model.manager().newSubManager()) {
                    NDArray x = m.create(flat).reshape(b, t);
                    Backprop.run(model, x, null, hidden -> TokenLogProbs.meanCrossEntropy(model, hidden, ids), false,
                            mode.equals("full"), s);
                    double norm = GradClip.norm(params.values(), model.manager());
                    adam.step(1e-4f, GradClip.coefficient(norm, 1.0));
                    params.values().forEach(Autograd::zeroGrad);
                }
                if (s >= warmup) {
                    seconds.add((System.nanoTime() - t0) / 1e9);
                    if (sgemm != null) {
                        sgemm.sample(5);
                    }
                }
            }
        }
        return b * t / Bench.median(seconds); // as the reference: tokens over the median step time
    }
}
