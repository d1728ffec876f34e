package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding in the Hugging Face "rotate half" convention:
 * {@code x' = x·cos + rotate_half(x)·sin}, {@code rotate_half([x1, x2]) = [−x2, x1]}, with
 * {@code cos/sin = cos/sin([f, f])} and {@code f = position · inv_freq}.
 *
 * <p>Frequencies are computed in float32 the way transformers computes them (whatever the weights'
 * dtype), then cos and sin in double and rounded once, so positions agree with Hugging Face to an ulp.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final float[] invFreq; // (headDim / 2)
    private final NDArray rotateHalf; // (hd, hd), made once, lives in the manager given
    static final int MATRIX_ROWS = 8;

    public RotaryEmbedding(ModelConfig.Rope rope, int headDim, NDManager manager) {
        this.headDim = headDim;
        this.invFreq = inverseFrequencies(rope, headDim);
        this.rotateHalf = rotateHalf(manager, headDim);
    }

    /** {@code 1 / θ^(2i/d)}, rescaled by the rope type. */
    static float[] inverseFrequencies(ModelConfig.Rope rope, int dim) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = 1.0f / (float) Math.pow(rope.theta(), exponent);
        }
        switch (rope.type()) {
            case "default":
                return inv;
            case "linear":
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = inv[i] / (float) rope.factor();
                }
                return inv;
            case "llama3":
                return llama3(inv, rope);
            default:
                throw new IllegalArgumentException("unsupported rope type " + rope.type());
        }
    }

    /**
     * Llama 3.1 frequency scaling: long wavelengths (low frequencies) are divided by {@code factor},
     * short ones kept, and the band between blended smoothly.
     */
    private static float[] llama3(float[] inv, ModelConfig.Rope rope) {
        double oldContext = rope.originalMaxPositions();
        double lowFreqWavelen = oldContext / rope.lowFreqFactor();
        double highFreqWavelen = oldContext / rope.highFreqFactor();
        float[] out = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            float scaled = wavelen > lowFreqWavelen ? inv[i] / (float) rope.factor() : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (float) ((oldContext / wavelen - rope.lowFreqFactor())
                        / (rope.highFreqFactor() - rope.lowFreqFactor()));
                scaled = (1 - smooth) * scaled / (float) rope.factor() + smooth * scaled;
            }
            out[i] = scaled;
        }
        return out;
    }

    /**
     * The rotation of one pass's {@code positions} (B, T). With one position per row (a decode step)
     * of at most {@value #MATRIX_ROWS} rows it is a matrix per row, so that rotating q or k is one
     * native call instead of four: a matrix costs hd² floats to build and hd multiply-adds per element
     * to apply, which pays while the calls saved dominate, that is, for a few rows.
     */
    public Rotation rotation(NDManager manager, long[][] positions) {
        int b = positions.length;
        int t = positions[0].length;
        float[][] cosSin = cosSin(positions);
        float[] cos = cosSin[0];
        float[] sin = cosSin[1];
        if (t == 1 && b <= MATRIX_ROWS) {
            return new Rotation(null, null, null, manager.create(matrices(cos, sin, b), new Shape(b, headDim, headDim)));
        }
        Shape shape = new Shape(b, 1, t, headDim);
        return new Rotation(manager.create(cos, shape), manager.create(sin, shape), rotateHalf, null);
    }

    /** {cos, sin} of {@code positions} (B, T), each (B·T, hd) row-major: {@code cos/sin([f, f])}. */
    float[][] cosSin(long[][] positions) {
        int b = positions.length;
        int t = positions[0].length;
        int half = headDim / 2;
        float[] cos = new float[b * t * headDim];
        float[] sin = new float[b * t * headDim];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                int row = (i * t + j) * headDim;
                float p = positions[i][j];
                for (int k = 0; k < half; k++) {
                    float f = p * invFreq[k]; // float32 product, as transformers computes it
                    float c = (float) Math.cos(f);
                    float s = (float) Math.sin(f);
                    cos[row + k] = c;
                    cos[row + half + k] = c;
                    sin[row + k] = s;
                    sin[row + half + k] = s;
                }
            }
        }
        return new float[][] {cos, sin};
    }

    /**
     * Per row, M (hd, hd) with {@code x·M = x·cos + rotate_half(x)·sin}: {@code M = diag(cos) + R·diag(sin)},
     * R as in {@link #rotateHalf}. Column k holds cos_k at row k and ±sin_k at row k's partner.
     */
    private float[] matrices(float[] cos, float[] sin, int b) {
        int half = headDim / 2;
        float[] m = new float[b * headDim * headDim];
        for (int r = 0; r < b; r++) {
            int at = r * headDim * headDim;
            int row = r * headDim;
            for (int i = 0; i < half; i++) {
                m[at + i * headDim + i] = cos[row + i];
                m[at + (i + half) * headDim + i + half] = cos[row + i + half];
                m[at + (i + half) * headDim + i] = -sin[row + i]; // out_i = x_i·cos − x_{i+half}·sin
                m[at + i * headDim + i + half] = sin[row + i + half]; // out_{i+half} = x_{i+half}·cos + x_i·sin
            }
        }
        return m;
    }

    /**
     * R (hd, hd) with {@code x·R = rotate_half(x) = [−x2, x1]}: one matmul instead of split, negate and
     * concatenate (three native calls fewer per rotation), and exact, since every output is one input
     * times ±1 plus zeros.
     */
    private static NDArray rotateHalf(NDManager manager, int headDim) {
        int half = headDim / 2;
        float[] r = new float[headDim * headDim]; // row j = input j, column i = output i
        for (int i = 0; i < half; i++) {
            r[(i + half) * headDim + i] = -1; // out_i = −x_{i+half}
            r[i * headDim + i + half] = 1; // out_{i+half} = x_i
        }
        return manager.create(r, new Shape(headDim, headDim));
    }

    /**
     * The rotation of one pass: cos and sin (B, 1, T, hd) with the rotate-half matrix R, or, for one
     * position per row, the matrices (B, hd, hd) that do both at once (the same sums of two products).
     */
    public record Rotation(NDArray cos, NDArray sin, NDArray rotateHalf, NDArray matrix) {
        /** x (B, heads, T, hd) rotated. */
        public NDArray apply(NDArray x) {
            if (matrix == null) {
                return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
            }
            // T = 1: (B, heads, hd)·(B, hd, hd), one batched product; broadcasting the matrices over
            // the heads (B, 1, hd, hd) would first copy them once per head
            Shape s = x.getShape();
            return x.reshape(s.get(0), s.get(1), s.get(3)).batchMatMul(matrix).reshape(s);
        }
    }

    public float[] invFreq() {
        return invFreq.clone();
    }
}
