package org.mmgpt.engine.generate;

import java.util.ArrayList;
import java.util.List;
import org.mmgpt.engine.model.CausalLM;

/** Generates continuations of a fixed set of prompts together in one {@link DecodeBatch}. */
public final class Generator {
    private Generator() {}

    /** Continues every prompt; each result is what generating that prompt alone gives. */
    public static List<Sequence> generate(CausalLM model, List<long[]> prompts, SamplingParams params,
                                          Sequence.Listener listener) {
        List<Sequence> sequences = new ArrayList<>();
        for (long[] p : prompts) {
            sequences.add(new Sequence(p, params, listener));
        }
        run(model, sequences);
        return sequences;
    }

    /** Runs {@code sequences} together until every one has finished. */
    public static void run(CausalLM model, List<Sequence> sequences) {
        run(model, sequences, Math.max(1, sequences.size()));
    }

    /**
     * Runs {@code sequences} with at most {@code maxBatch} of them in the batch at a time, in order:
     * the next ones join at the step after others finish (continuous batching).
     */
    public static void run(CausalLM model, List<Sequence> sequences, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("the batch size must be at least 1, got " + maxBatch);
        }
        try (DecodeBatch batch = new DecodeBatch(model)) {
            int next = 0;
            while (next < sequences.size() || !batch.isEmpty()) {
                int end = Math.min(sequences.size(), next + maxBatch - batch.size());
                if (end > next) {
                    batch.admit(sequences.subList(next, end));
                    next = end;
                }
                batch.step();
            }
        }
    }
}
