package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collection;

/**
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ does it: every gradient scaled by
 * {@code min(1, maxNorm / (‖g‖ + 1e-6))}, ‖g‖ the 2-norm over all of them. (DJL's clipGrad caps each
 * element instead, which is another thing.)
 */
public final class GradClip {
    private GradClip() {}

    /** Clips in place (when {@code maxNorm > 0}) and returns the norm before clipping. */
    public static double clip(Collection<NDArray> params, double maxNorm, NDManager scratch) {
        double sumSq = 0;
        try (NDManager tmp = scratch.newSubManager()) {
            for (NDArray p : params) {
                NDArray g = p.getGradient(); // a view of p's .grad; temporaries follow it into tmp
                g.attach(tmp);
                double n = g.norm().getFloat(); // one pass, no g² array
                sumSq += n * n;
            }
            double norm = Math.sqrt(sumSq);
            double coef = maxNorm / (norm + 1e-6);
            if (maxNorm > 0 && coef < 1) {
                for (NDArray p : params) {
                    NDArray g = p.getGradient();
                    g.attach(tmp);
                    g.muli((float) coef);
                }
            }
            return norm;
        }
    }
}
