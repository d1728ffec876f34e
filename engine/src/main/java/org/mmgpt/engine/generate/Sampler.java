package org.mmgpt.engine.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits, in Java: the row is small next to a forward pass and
 * a Java random generator makes "same seed, same output" independent of the native library.
 */
public final class Sampler {
    private Sampler() {}

    /**
     * @param logits (V) this step's logits; modified in place
     * @param counts how often each token id occurs so far: in the prompt and the output for the
     *     repetition penalty (transformers), in the output alone for presence/frequency (OpenAI)
     */
    public static int next(float[] logits, SamplingParams p, TokenCounts counts, SplittableRandom rng) {
        applyPenalties(logits, p, counts);
        if (p.greedy()) {
            return argMax(logits);
        }
        int v = logits.length;
        float invT = 1.0f / p.temperature();
        int[] candidates = p.topK() > 0 && p.topK() < v ? topK(logits, p.topK()) : null;
        int n = candidates == null ? v : candidates.length;
        // Softmax over the candidates (all tokens when top-k is off), max-subtracted for stability.
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[id(candidates, i)]);
        }
        double[] probs = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp((logits[id(candidates, i)] - max) * invT);
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) {
            probs[i] /= sum;
        }
        if (p.topP() < 1.0f) {
            int[] nucleus = nucleus(probs, p.topP());
            double mass = 0;
            for (int i : nucleus) {
                mass += probs[i];
            }
            double u = rng.nextDouble() * mass;
            for (int i : nucleus) {
                u -= probs[i];
                if (u <= 0) {
                    return id(candidates, i);
                }
            }
            return id(candidates, nucleus[nucleus.length - 1]);
        }
        double u = rng.nextDouble();
        for (int i = 0; i < n; i++) {
            u -= probs[i];
            if (u <= 0) {
                return id(candidates, i);
            }
        }
        return id(candidates, n - 1);
    }

    private static int id(int[] candidates, int i) {
        return candidates == null ? i : candidates[i];
    }

    /**
     * transformers' repetition penalty (a seen token's logit divided by the penalty when positive,
     * multiplied when negative), then OpenAI's presence and frequency penalties on output tokens.
     */
    static void applyPenalties(float[] logits, SamplingParams p, TokenCounts counts) {
        if (p.repetitionPenalty() != 1.0f) {
            for (int id : counts.seen()) {
                float l = logits[id];
                logits[id] = l > 0 ? l / p.repetitionPenalty() : l * p.repetitionPenalty();
            }
        }
        if (p.presencePenalty() != 0 || p.frequencyPenalty() != 0) {
            for (int id : counts.generatedIds()) {
                int c = counts.generated(id);
                logits[id] -= p.presencePenalty() + p.frequencyPenalty() * c;
            }
        }
    }

    public static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The ids of the k largest logits, in id order; ties with the k-th value are kept. */
    static int[] topK(float[] logits, int k) {
        float kth = kthLargest(logits, k);
        int n = 0;
        for (float l : logits) {
            if (l >= kth) {
                n++;
            }
        }
        int[] ids = new int[n];
        int j = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] >= kth) {
                ids[j++] = i;
            }
        }
        return ids;
    }

    /**
     * The k-th largest value: a min-heap of the k largest seen so far, O(V log k). Sorting the whole row
     * cost 10 ms a token at a 150k vocabulary, longer than a decoding step of a small model.
     */
    static float kthLargest(float[] logits, int k) {
        float[] heap = new float[k];
        int size = 0;
        for (float l : logits) {
            if (size < k) {
                int i = size++;
                heap[i] = l;
                while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
                    swap(heap, i, (i - 1) / 2);
                    i = (i - 1) / 2;
                }
            } else if (l > heap[0]) {
                heap[0] = l;
                int i = 0;
                while (true) {
                    int smallest = i;
                    int left = 2 * i + 1;
                    int right = left + 1;
                    if (left < k && heap[left] < heap[smallest]) {
                        smallest = left;
                    }
                    if (right < k && heap[right] < heap[smallest]) {
                        smallest = right;
                    }
                    if (smallest == i) {
                        break;
                    }
                    swap(heap, i, smallest);
                    i = smallest;
                }
            }
        }
        return heap[0];
    }

    private static void swap(float[] a, int i, int j) {
        float t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /**
     * The smallest set of indices, most probable first, whose mass reaches {@code topP} (the token
     * that crosses the threshold included, at least one kept). Only the tokens above a threshold are
     * sorted: the threshold halves until their mass reaches {@code topP}, so every token left out is
     * less probable than every one sorted.
     */
    static int[] nucleus(double[] probs, float topP) {
        double maxP = 0;
        for (double q : probs) {
            maxP = Math.max(maxP, q);
        }
        double threshold = maxP;
        int count;
        double mass;
        while (true) {
            count = 0;
            mass = 0;
            for (double q : probs) {
                if (q >= threshold) {
                    count++;
                    mass += q;
                }
            }
            if (mass >= topP || threshold == 0) {
                break;
            }
            threshold = threshold < 1e-300 ? 0 : threshold / 2;
        }
        Integer[] idx = new Integer[count];
        int j = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] >= threshold) {
                idx[j++] = i;
            }
        }
        Arrays.sort(idx, (a, b) -> Double.compare(probs[b], probs[a]));
        double cum = 0;
        int keep = 0;
        while (keep < idx.length) {
            cum += probs[idx[keep]];
            keep++;
            if (cum >= topP) {
                break;
            }
        }
        int[] out = new int[keep];
        for (int i = 0; i < keep; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
