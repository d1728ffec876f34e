package org.mmgpt.engine.train;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mmgpt.engine.model.ModelConfig;

/**
 * A rough upper estimate of the memory a training step needs, checked before training starts: an
 * obvious shortfall is an early, clear error instead of an out-of-memory crash halfway through.
 */
public record MemoryEstimate(long weights, long optimizer, long activations) {

    public long total() {
        return weights + optimizer + activations;
    }

    /**
     * @param parameters all weights held (both models for a full-tuning DPO)
     * @param trainable parameters that get a gradient and two AdamW moments
     * @param tokensPerMicroBatch rows × padded length of the largest micro-batch
     */
    public static MemoryEstimate of(ModelConfig c, long parameters, long trainable, long tokensPerMicroBatch,
                                    boolean checkpointing) {
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        // floats kept per token and layer for backward: norms, q/k/v/o, rotated q/k, the SwiGLU
        // intermediates; attention scores and probabilities add heads × length per token.
        long perLayer = 6 * h + 3 * q + 3 * kv + 4L * c.intermediateSize();
        long length = Math.max(1, tokensPerMicroBatch); // attention row length, bounded by the batch
        long attention = 2L * c.numHeads() * Math.min(length, c.maxPositionEmbeddings());
        long layersKept = checkpointing ? 1 : c.numLayers();
        long perToken = layersKept * (perLayer + attention) + (checkpointing ? c.numLayers() * h : 0)
                + 3L * c.vocabSize(); // logits, log-softmax, their gradient
        return new MemoryEstimate(parameters * 4, trainable * 4 * 3, perToken * tokensPerMicroBatch * 4);
    }

    /** Memory this process may still use: the smaller of MemAvailable and a cgroup limit's headroom. */
    public static long available() {
        long avail = Long.MAX_VALUE;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    avail = Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            var os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                avail = sun.getFreeMemorySize();
            }
        }
        try {
            String max = Files.readString(Path.of("/sys/fs/cgroup/memory.max")).trim();
            String current = Files.readString(Path.of("/sys/fs/cgroup/memory.current")).trim();
            if (!max.equals("max")) {
                avail = Math.min(avail, Long.parseLong(max) - Long.parseLong(current));
            }
        } catch (IOException | NumberFormatException e) {
            // no cgroup v2 limit visible: MemAvailable stands
        }
        return avail;
    }

    public static String gib(long bytes) {
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
