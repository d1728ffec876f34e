package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.Djl;

/** clip_grad_norm_'s two halves: the global norm, and the coefficient AdamW scales the gradients by. */
class GradClipTest {
    @Test
    void theNormIsTakenOverEveryGradientTogether() {
        try (NDManager m = Djl.newManager()) {
            NDArray a = m.randomNormal(new Shape(3, 4));
            NDArray b = m.randomNormal(new Shape(5));
            Autograd.requireGrad(a);
            Autograd.requireGrad(b);
            NDArray ca = m.randomNormal(a.getShape());
            NDArray cb = m.randomNormal(b.getShape());
            Autograd.backward(Autograd.record(() -> ca.mul(a).sum().add(cb.mul(b).sum()))); // grads: ca, cb
            double sumSq = 0;
            for (float[] g : List.of(ca.toFloatArray(), cb.toFloatArray())) {
                for (float x : g) {
                    sumSq += (double) x * x;
                }
            }
            assertEquals(Math.sqrt(sumSq), GradClip.norm(List.of(a, b), m), 1e-5);
        }
    }

    @Test
    void theCoefficientScalesDownOnlyAboveTheLimit() {
        assertEquals(1f, GradClip.coefficient(0.5, 1.0));
        assertEquals((float) (1.0 / (4.0 + 1e-6)), GradClip.coefficient(4.0, 1.0));
        assertEquals(1f, GradClip.coefficient(4.0, 0)); // max_grad_norm 0: no clipping
    }
}
