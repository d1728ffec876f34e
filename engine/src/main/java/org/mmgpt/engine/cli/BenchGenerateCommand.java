package org.mmgpt.engine.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.generate.DecodeBatch;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelConfig;
import org.mmgpt.engine.model.PackedWeight;

/**
 * {@code mmgpt bench-generate}: decoding tokens/s with the KV cache at batch 1 and 8, beside the
 * PyTorch eager reference run in the same command, with the memory-bandwidth bound of batch 1.
 */
final class BenchGenerateCommand implements Command {
    @Override
    public String name() {
        return "bench-generate";
    }

    @Override
    public Args options() {
        return Bench.declareShared(new Args(name(), "benchmark KV-cache decoding against the PyTorch eager reference")
                .option("batches", "1,8", "1,8", "batch sizes")
                .option("prompt-len", "N", "32", "prompt tokens per row")
                .option("new-tokens", "N", "64", "decode steps timed")
                .option("rounds", "N", "1", "runs of each side per batch size, taking turns; the medians are reported"));
    }

    @Override
    public void run(Args a) throws Exception {
        int threads = a.getInt("threads");
        Djl.setThreads(threads);
        ModelConfig config = Bench.config(a.get("preset"), a.getInt("vocab-size"));
        int promptLen = a.getInt("prompt-len");
        int newTokens = a.getInt("new-tokens");
        long[] batches = a.getIds("batches");
        StringBuilder table = new StringBuilder(Bench.header());
        try (CausalLM model = Bench.randomModel(config, 1234); NDManager m = NDManager.newBaseManager()) {
            int split = model.splitDecoding(threads); // the Java side decodes on `threads` cores, as the reference may
            long params = model.parameterCount();
            long weightBytesPerToken = 4 * (params - (long) config.vocabSize() * config.hiddenSize());
            System.err.printf("model: %s %.1fM parameters; %d threads (decoding split across %d)%n",
                    config.architecture(), params / 1e6, threads, split);
            // Measured before every batch-1 round, the bound is the median's: this machine's bandwidth
            // drifts between about 26 and 43 GB/s over minutes, and one reading at the start of a
            // run of several minutes said little about the rounds it was set against.
            List<Double> bandwidths = new ArrayList<>();
            int rounds = a.getInt("rounds");
            boolean reference = !a.getBool("no-reference");
            String configFile = reference ? Bench.configFile(config).toString() : null;
            StringBuilder perRound = new StringBuilder();
            double b1 = Double.NaN;
            double refB1 = Double.NaN;
            for (long b : batches) {
                List<Double> javaRates = new ArrayList<>();
                List<Double> refRates = new ArrayList<>();
                for (int round = 0; round < rounds; round++) { // the two sides take turns
                    if (b == 1) {
                        bandwidths.add(Bench.readBandwidth(m));
                    }
                    javaRates.add(decode(model, (int) b, promptLen, newTokens));
                    if (reference) {
                        JsonNode r = Bench.python(a.get("python"), List.of("generate",
                                "--config", configFile, "--batch", String.valueOf(b),
                                "--prompt-len", String.valueOf(promptLen), "--new-tokens", String.valueOf(newTokens),
                                "--warmup", String.valueOf(newTokens), "--repeats", "3", "--threads", String.valueOf(threads)));
                        refRates.add(r == null ? Double.NaN : r.path("tokens_per_s").asDouble(Double.NaN));
                    }
                }
                perRound.append(Bench.roundLine("batch " + b, javaRates, refRates));
                double java = Bench.median(javaRates);
                double ref = reference ? Bench.median(refRates) : Double.NaN;
                table.append(Bench.row("decode tokens/s, batch " + b, Bench.num(java), Bench.num(ref), Bench.ratio(java, ref)));
                if (b == 1) {
                    b1 = java;
                    refB1 = ref;
                    double bound = Bench.median(bandwidths) * 1e9 / weightBytesPerToken;
                    table.append(Bench.row("  fraction of bandwidth bound (" + Bench.num(bound) + " tok/s)",
                            Bench.percent(java / bound), Bench.percent(ref / bound), ""));
                    perRound.append("  read bandwidth GB/s before each batch-1 round: ")
                            .append(Bench.figures(bandwidths)).append('\n');
                } else if (!Double.isNaN(b1)) {
                    table.append(Bench.row("  batch " + b + " / batch 1", Bench.ratio(java, b1), Bench.ratio(ref, refB1), ""));
                }
            }
            if (bandwidths.isEmpty()) { // no batch 1: one reading, for the record
                bandwidths.add(Bench.readBandwidth(m));
            }
            table.append(Bench.row("read bandwidth GB/s (sum of 512 MiB, median)", Bench.num(Bench.median(bandwidths)),
                    "", ""));
            table.append(Bench.row("weight bytes read per token (batch 1), MB", Bench.num(weightBytesPerToken / 1e6), "", ""));
            table.append(Bench.roundsNote(rounds, perRound));
            table.append("Java side: ").append(Djl.mklStatus()).append("; decode products ")
                    .append(PackedWeight.status()).append("; decode steps ")
                    .append(model.decodesNatively() ? "native, one call a thread" : "on libtorch's operators")
                    .append('\n');
        }
        System.out.print(table);
    }

    /**
     * Decode tokens/s: B random prompts prefilled, then {@code steps} greedy steps timed; the median of
     * three such runs, after the same runs untimed until the JIT compiler has gone quiet. Steady
     * state: the JIT compiles the Java side of each step over its first few hundred steps (measured:
     * 80 tok/s in the first 64 steps, 120 after 400), and it was still compiling 10 s in (a few ms
     * at a time, taking a core from one of the decode threads, which the other then waits for).
     */
    static double decode(CausalLM model, int b, int promptLen, int steps) {
        long start = System.nanoTime();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        boolean quiet = false;
        while (!quiet && System.nanoTime() - start < MAX_WARMUP_SECONDS * 1_000_000_000L) {
            long compiled = timed ? jit.getTotalCompilationTime() : 0;
            long t0 = System.nanoTime();
            run(model, b, promptLen, steps);
            long runMillis = (System.nanoTime() - t0) / 1_000_000;
            long compiling = timed ? jit.getTotalCompilationTime() - compiled : 0;
            quiet = System.nanoTime() - start >= MIN_WARMUP_SECONDS * 1_000_000_000L
                    && compiling < runMillis / 100; // under 1% of the run
        }
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rates.add(run(model, b, promptLen, steps));
        }
        return Bench.median(rates);
    }

    static final int MIN_WARMUP_SECONDS = 4;
    static final int MAX_WARMUP_SECONDS = 30;

    private static double run(CausalLM model, int b, int promptLen, int steps) {
        SplittableRandom rng = new SplittableRandom(7);
        List<Sequence> seqs = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            long[] prompt = new long[promptLen];
            for (int j = 0; j < promptLen; j++) {
                prompt[j] = rng.nextInt(model.config().vocabSize());
            }
            seqs.add(new Sequence(prompt, SamplingParams.greedy(steps + 1).build(), null));
        }
        try (DecodeBatch batch = new DecodeBatch(model)) {
            batch.admit(seqs); // prefill and the first token: not timed
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                batch.step();
            }
            return (double) b * steps / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
