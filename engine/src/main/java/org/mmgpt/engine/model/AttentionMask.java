package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The additive attention mask: 0 where a query may look, a large negative number where it may not.
 * A query at cache index {@code past + i} sees key {@code j} when {@code j ≤ past + i} (causal), the
 * key is not padding, and, with a sliding window, {@code past + i − j < window}.
 */
public final class AttentionMask {
    /** Not −∞: a fully masked row (a left-padding query) must stay finite, not NaN. */
    static final float MASKED = -1e30f;

    private AttentionMask() {}

    /**
     * (B or 1, 1, T, S) for T new tokens after {@code past} cached ones, or null when nothing is
     * masked (one new token, no padding, no window in reach).
     *
     * @param keyValid (B, S) false for padding keys, or null when no row is padded
     */
    public static NDArray build(NDManager manager, int past, int t, boolean[][] keyValid, int window) {
        float[] mask = values(past, t, keyValid, window);
        int rows = keyValid == null ? 1 : keyValid.length;
        return mask == null ? null : manager.create(mask, new Shape(rows, 1, t, past + t));
    }

    /** The same as {@link #build} in a Java array, (B or 1, T, S) row-major, or null. */
    static float[] values(int past, int t, boolean[][] keyValid, int window) {
        int s = past + t;
        boolean windowBites = window > 0 && s > window;
        if (t == 1 && keyValid == null && !windowBites) {
            return null;
        }
        int rows = keyValid == null ? 1 : keyValid.length;
        float[] mask = new float[rows * t * s];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < t; i++) {
                int q = past + i;
                int base = (b * t + i) * s;
                for (int j = 0; j < s; j++) {
                    boolean visible = j <= q
                            && (keyValid == null || keyValid[b][j])
                            && (window <= 0 || q - j < window);
                    mask[base + j] = visible ? 0f : MASKED;
                }
            }
        }
        return mask;
    }
}
