package org.mmgpt.engine.generate;

import java.util.List;
import java.util.Set;

/**
 * How one sequence is continued. Applied in transformers' order: repetition penalty, presence and
 * frequency penalties, temperature, top-k, top-p; greedy takes the arg-max after the penalties.
 *
 * @param seed the sampler's seed: the same seed gives the same tokens; null draws one
 * @param stopStrings generation ends before the first of these in the text (not included)
 * @param stopTokenIds generation ends on these ids (eos); the id is not part of the text
 */
public record SamplingParams(int maxNewTokens, boolean greedy, float temperature, int topK, float topP,
                             float repetitionPenalty, float presencePenalty, float frequencyPenalty,
                             Long seed, List<String> stopStrings, Set<Long> stopTokenIds) {

    public SamplingParams {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
        }
        if (!greedy && !(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0 when sampling, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        }
        stopStrings = List.copyOf(stopStrings);
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** The model's own defaults: greedy unless its generation_config says do_sample. */
    public static Builder from(GenerationConfig g) {
        Builder b = new Builder();
        b.greedy = !g.doSample();
        b.temperature = g.temperature();
        b.topK = g.topK();
        b.topP = g.topP();
        b.repetitionPenalty = g.repetitionPenalty();
        b.stopTokenIds = g.eosTokenIds();
        if (g.maxNewTokens() != null) {
            b.maxNewTokens = g.maxNewTokens();
        }
        return b;
    }

    public static Builder greedy(int maxNewTokens) {
        return new Builder().maxNewTokens(maxNewTokens);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.greedy = greedy;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.repetitionPenalty = repetitionPenalty;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.seed = seed;
        b.stopStrings = stopStrings;
        b.stopTokenIds = stopTokenIds;
        return b;
    }

    /** Fluent construction; unset fields keep transformers' defaults (greedy, 256 new tokens). */
    public static final class Builder {
        private int maxNewTokens = 256;
        private boolean greedy = true;
        private float temperature = 1.0f;
        private int topK = 0;
        private float topP = 1.0f;
        private float repetitionPenalty = 1.0f;
        private float presencePenalty;
        private float frequencyPenalty;
        private Long seed;
        private List<String> stopStrings = List.of();
        private Set<Long> stopTokenIds = Set.of();

        public Builder maxNewTokens(int n) {
            maxNewTokens = n;
            return this;
        }

        public Builder greedy(boolean g) {
            greedy = g;
            return this;
        }

        /** Sampling at this temperature (0 means greedy, as OpenAI's API has it). */
        public Builder temperature(float t) {
            temperature = t;
            greedy = t == 0;
            if (greedy) {
                temperature = 1.0f;
            }
            return this;
        }

        /**
         * The request's choice between greedy decoding and sampling, as every door (command line,
         * server, batch) makes it: a temperature decides (0 is greedy); top-p or top-k without one
         * sample at the model's temperature; none of them keeps the model's default. Null means not given.
         */
        public Builder sampling(Float temperature, Float topP, Integer topK) {
            if (temperature != null) {
                temperature(temperature);
            } else if (topP != null || topK != null) {
                greedy = false;
            }
            if (topP != null) {
                this.topP = topP;
            }
            if (topK != null) {
                this.topK = topK;
            }
            return this;
        }

        public Builder topK(int k) {
            topK = k;
            return this;
        }

        public Builder topP(float p) {
            topP = p;
            return this;
        }

        public Builder repetitionPenalty(float p) {
            repetitionPenalty = p;
            return this;
        }

        public Builder presencePenalty(float p) {
            presencePenalty = p;
            return this;
        }

        public Builder frequencyPenalty(float p) {
            frequencyPenalty = p;
            return this;
        }

        public Builder seed(Long s) {
            seed = s;
            return this;
        }

        public Builder stopStrings(List<String> s) {
            stopStrings = s;
            return this;
        }

        public Builder stopTokenIds(Set<Long> ids) {
            stopTokenIds = ids;
            return this;
        }

        public SamplingParams build() {
            return new SamplingParams(maxNewTokens, greedy, temperature, topK, topP, repetitionPenalty,
                    presencePenalty, frequencyPenalty, seed, stopStrings, stopTokenIds);
        }
    }
}
