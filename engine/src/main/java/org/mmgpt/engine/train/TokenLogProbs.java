package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Log-probabilities of the label tokens under the model, shifted by one as transformers does
 * (position t predicts label t+1); labels of -100 are ignored.
 */
public final class TokenLogProbs {
    public static final long IGNORE = -100;

    private TokenLogProbs() {}

    /**
     * log p(label[t+1] | ·) at each position: logits (B, T, V), labels (B, T) → (B, T−1), with 0
     * where the label is ignored; {@code mask} receives the (B, T−1) 0/1 weights when not null.
     */
    static NDArray[] picked(NDArray logits, long[][] labels) {
        NDManager m = logits.getManager();
        int b = labels.length;
        int t = labels[0].length;
        long[] target = new long[b * (t - 1)];
        float[] weight = new float[b * (t - 1)];
        for (int i = 0; i < b; i++) {
            for (int j = 1; j < t; j++) {
                long l = labels[i][j];
                target[i * (t - 1) + j - 1] = l == IGNORE ? 0 : l;
                weight[i * (t - 1) + j - 1] = l == IGNORE ? 0f : 1f;
            }
        }
        NDArray logp = logits.get(new NDIndex(":, :-1, :")).logSoftmax(-1); // (B, T−1, V)
        NDArray index = m.create(target, new Shape(b, t - 1, 1));
        NDArray w = m.create(weight, new Shape(b, t - 1));
        NDArray lp = logp.gather(index, 2).squeeze(2).mul(w); // (B, T−1)
        return new NDArray[] {lp, w};
    }

    /** Mean next-token cross-entropy over the labelled tokens of the batch (a scalar). */
    public static NDArray meanCrossEntropy(NDArray logits, long[][] labels) {
        NDArray[] p = picked(logits, labels);
        NDArray count = p[1].sum();
        return p[0].sum().neg().div(count);
    }

    /** Summed log-probability of each row's labelled tokens: (B), as DPO needs. */
    public static NDArray sequenceLogProbs(NDArray logits, long[][] labels) {
        return picked(logits, labels)[0].sum(new int[] {1});
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
