package org.mmgpt.engine.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mmgpt.engine.ProjectFiles;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelConfig;
import org.mmgpt.engine.model.ModelPresets;
import org.mmgpt.engine.model.RandomInit;

/** What the benchmark commands share: the model under test, the Python reference, the table. */
final class Bench {
    private Bench() {}

    /** The options both benchmarks share: the model's shape, threads, and the Python reference. */
    static Args declareShared(Args a) {
        return a.option("preset", "NAME", "small", "model shape (small = the 32M shape of the notes)")
                .option("vocab-size", "N", "8000", "vocabulary size")
                .option("threads", "N", String.valueOf(Runtime.getRuntime().availableProcessors()), "compute threads, both sides")
                .option("python", "PATH", "/usr/bin/python3", "Debian's Python with python3-torch + OpenBLAS")
                .flag("no-reference", "skip the PyTorch reference");
    }

    /** The 32M-parameter Qwen2-style shape of the notes: h512, 8 layers, 8/4 heads, 1408, vocab 8000. */
    static ModelConfig config(String preset, int vocab) {
        return ModelPresets.config(ModelPresets.get(preset), "qwen2", vocab, ModelConfig.Rope.plain(1_000_000),
                "float32", null, List.of(), null);
    }

    static CausalLM randomModel(ModelConfig c, long seed) {
        return CausalLM.build(c, new RandomInit(seed, 0.02), NDManager.newBaseManager());
    }

    /** Read bandwidth in GB/s: the median of summing a 512 MiB float array (bytes read / time). */
    static double readBandwidth(NDManager m) {
        long n = 512L * 1024 * 1024 / 4;
        try (NDArray x = m.ones(new Shape(n))) {
            x.sum().getFloat(); // warm
            double[] gbs = new double[7];
            for (int i = 0; i < gbs.length; i++) {
                long t0 = System.nanoTime();
                try (NDArray s = x.sum()) {
                    s.getFloat();
                }
                gbs[i] = n * 4.0 / (System.nanoTime() - t0);
            }
            Arrays.sort(gbs);
            return gbs[gbs.length / 2];
        }
    }

    /** The median as Python's statistics.median takes it (the mean of the middle two of an even count). */
    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = a.length / 2;
        return a.length % 2 == 1 ? a[mid] : (a[mid - 1] + a[mid]) / 2;
    }

    /** Writes config.json for the Python side, so both run the very same shape. */
    static Path configFile(ModelConfig c) throws IOException {
        Path dir = Files.createTempDirectory("mmgpt-bench");
        c.write(dir.resolve("config.json"));
        dir.toFile().deleteOnExit();
        dir.resolve("config.json").toFile().deleteOnExit();
        return dir.resolve("config.json");
    }

    /**
     * Runs {@code bench/torch_reference.py} with Debian's Python and returns its JSON, or null (with the
     * reason printed) when the reference is not set up.
     */
    static JsonNode python(String python, List<String> args) {
        Path script = ProjectFiles.home().resolve("bench/torch_reference.py");
        List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                System.err.println("the PyTorch reference failed (exit " + p.exitValue() + "); set it up with "
                        + "'sudo bash bench/setup-python-reference.sh'");
                return null;
            }
            return new ObjectMapper().readTree(out);
        } catch (IOException e) {
            System.err.println("the PyTorch reference could not run (" + e.getMessage() + "); set it up with "
                    + "'sudo bash bench/setup-python-reference.sh'");
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** One row of a results table. */
    static String row(String what, String java, String reference, String ratio) {
        return String.format("| %-44s | %14s | %14s | %8s |%n", what, java, reference, ratio);
    }

    static String header() {
        return row("metric", "Java (DJL)", "PyTorch eager", "ratio")
                + "|" + "-".repeat(46) + "|" + "-".repeat(16) + "|" + "-".repeat(16) + "|" + "-".repeat(10) + "|\n";
    }

    /** One line of the per-round figures: "  what: Java a / b / c; reference a / b / c" (none: n/a). */
    static String roundLine(String what, List<Double> javaRates, List<Double> refRates) {
        return String.format("  %s: Java %s; reference %s%n", what, figures(javaRates),
                refRates.isEmpty() ? "n/a" : figures(refRates));
    }

    /** What follows the table when each side ran more than once: the rounds' figures, or nothing. */
    static String roundsNote(int rounds, CharSequence roundLines) {
        return rounds > 1
                ? "medians of " + rounds + " rounds, the two sides taking turns; tokens/s by round:\n" + roundLines
                : "";
    }

    /** "a / b / c", one decimal each. */
    static String figures(List<Double> values) {
        return String.join(" / ", values.stream().map(Bench::num).toList());
    }

    static String num(double v) {
        return Double.isNaN(v) ? "n/a" : String.format("%.1f", v);
    }

    static String percent(double fraction) {
        return Double.isNaN(fraction) ? "n/a" : String.format("%.0f%%", 100 * fraction);
    }

    static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "n/a" : String.format("%.2fx", a / b);
    }
}
