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
        try (DecodeBatch batch = new DecodeBatch(model)) {
            batch.admit(sequences);
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
    }
}
