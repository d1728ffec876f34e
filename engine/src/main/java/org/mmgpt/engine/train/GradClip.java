package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collection;

/**
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ does it: every gradient scaled by
 * {@code min(1, maxNorm / (‖g‖ + 1e-6))}, ‖g‖ the 2-norm over all of them. (DJL's clipGrad caps each
 * element instead, which is another thing.) The scaling itself happens inside {@link AdamW#step},
 * which reads every gradient anyway: a separate pass would read and write them all once more.
 */
public final class GradClip {
    private GradClip() {}

    /** The 2-norm of all the parameters' gradients together. */
    public static double norm(Collection<NDArray> params, NDManager scratch) {
        double sumSq = 0;
        try (NDManager tmp = scratch.newSubManager()) {
            for (NDArray p : params) {
                NDArray g = p.getGradient(); // a view of p's .grad; temporaries follow it into tmp
                g.attach(tmp);
                double n = g.norm().getFloat(); // one pass, no g² array
                sumSq += n * n;
            }
        }
        return Math.sqrt(sumSq);
    }

    /** What the gradients are multiplied by: 1 when {@code maxNorm ≤ 0} (no clipping) or not exceeded. */
    public static float coefficient(double norm, double maxNorm) {
        double coef = maxNorm / (norm + 1e-6);
        return maxNorm > 0 && coef < 1 ? (float) coef : 1f;
    }
}
