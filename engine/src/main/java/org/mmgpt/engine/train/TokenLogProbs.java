package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.mmgpt.engine.model.CausalLM;

/**
 * Log-probabilities of the label tokens, shifted by one as transformers does (position t predicts
 * label t+1); labels of -100 are ignored.
 *
 * <p>Only the positions that predict a label go through the output head: with a 150k-token
 * vocabulary the head and its softmax cost more than the rest of a small model, and an SFT or DPO
 * prompt (no labels) is often most of a row. The numbers are those of transformers, which computes
 * every position and ignores the unlabelled ones.
 */
public final class TokenLogProbs {
    public static final long IGNORE = -100;

    private TokenLogProbs() {}

    /**
     * The labelled positions of a (B, T) batch, flattened: {@code rows[i]} = b·T + t is a position
     * whose label t+1 is {@code tokens[i]}, in sequence {@code sequence[i]} = b.
     */
    record Targets(int batch, int length, long[] rows, long[] tokens, int[] sequence) {
        static Targets of(long[][] labels) {
            int b = labels.length;
            int t = labels[0].length;
            int n = 0;
            for (long[] row : labels) {
                for (int j = 1; j < t; j++) {
                    n += row[j] == IGNORE ? 0 : 1;
                }
            }
            long[] rows = new long[n];
            long[] tokens = new long[n];
            int[] sequence = new int[n];
            int k = 0;
            for (int i = 0; i < b; i++) {
                for (int j = 1; j < t; j++) {
                    if (labels[i][j] != IGNORE) {
                        rows[k] = (long) i * t + j - 1;
                        tokens[k] = labels[i][j];
                        sequence[k++] = i;
                    }
                }
            }
            if (n == 0) {
                throw new IllegalArgumentException("the batch has no labelled token: nothing to learn from");
            }
            return new Targets(b, t, rows, tokens, sequence);
        }
    }

    /** log p(token) at each labelled position: hidden (B, T, H) → (N). */
    static NDArray picked(CausalLM model, NDArray hidden, Targets targets) {
        NDManager m = hidden.getManager();
        long h = hidden.getShape().get(2);
        NDArray flat = hidden.reshape(targets.batch() * (long) targets.length(), h); // (B·T, H)
        NDArray selected = flat.get(new NDIndex("{}", m.create(targets.rows()))); // (N, H)
        NDArray logp = model.logits(selected).logSoftmax(-1); // (N, V)
        NDArray index = m.create(targets.tokens(), new Shape(targets.tokens().length, 1));
        return logp.gather(index, 1).squeeze(1); // (N)
    }

    /** Mean next-token cross-entropy over the labelled tokens of the batch (a scalar). */
    public static NDArray meanCrossEntropy(CausalLM model, NDArray hidden, long[][] labels) {
        return picked(model, hidden, Targets.of(labels)).mean().neg();
    }

    /** Summed log-probability of each row's labelled tokens: (B), as DPO needs. */
    public static NDArray sequenceLogProbs(CausalLM model, NDArray hidden, long[][] labels) {
        Targets targets = Targets.of(labels);
        NDArray lp = picked(model, hidden, targets); // (N)
        int n = targets.tokens().length;
        float[] owner = new float[targets.batch() * n]; // (B, N): 1 where token i belongs to row b
        for (int i = 0; i < n; i++) {
            owner[targets.sequence()[i] * n + i] = 1f;
        }
        NDArray sum = hidden.getManager().create(owner, new Shape(targets.batch(), n));
        return sum.matMul(lp.expandDims(1)).squeeze(1); // (B)
    }

    /** How many label tokens count (not -100) after the shift. */
    public static long labelledTokens(long[][] labels) {
        long n = 0;
        for (long[] row : labels) {
            for (int j = 1; j < row.length; j++) {
                if (row[j] != IGNORE) {
                    n++;
                }
            }
        }
        return n;
    }
}
