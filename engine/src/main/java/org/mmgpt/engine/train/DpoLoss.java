package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Direct Preference Optimization's sigmoid loss (as TRL computes it):
 * {@code z = β·[(log πc − log πr) − (log refc − log refr)]},
 * {@code loss = −(1−ε)·log σ(z) − ε·log σ(−z)}, ε the label smoothing; log-probabilities are each
 * response's summed token log-probabilities.
 */
public final class DpoLoss {
    private DpoLoss() {}

    /** The batch-mean loss (a scalar in the graph) and TRL's metrics, by TRL's names. */
    public record Result(NDArray loss, Map<String, Double> metrics) {}

    /**
     * @param policyChosen (B) summed log-probs of the chosen responses under the trained model
     * @param refChosen (B) the same under the reference model (no gradient)
     */
    public static Result compute(NDArray policyChosen, NDArray policyRejected, NDArray refChosen,
                                 NDArray refRejected, float beta, float labelSmoothing) {
        NDManager m = policyChosen.getManager();
        NDArray b = m.create(beta);
        NDArray z = policyChosen.sub(policyRejected).sub(refChosen.sub(refRejected)).mul(b); // (B)
        // log σ(x) = −softplus(−x), stable for large |x|
        NDArray lossPos = Activation.softPlus(z.neg()); // −log σ(z)
        NDArray losses = lossPos.mul(m.create(1 - labelSmoothing));
        if (labelSmoothing > 0) {
            losses = losses.add(Activation.softPlus(z).mul(m.create(labelSmoothing))); // −log σ(−z)
        }
        NDArray loss = losses.mean();

        float[] pc = policyChosen.toFloatArray();
        float[] pr = policyRejected.toFloatArray();
        float[] rc = refChosen.toFloatArray();
        float[] rr = refRejected.toFloatArray();
        int n = pc.length;
        double chosen = 0;
        double rejected = 0;
        double accuracy = 0;
        double logpC = 0;
        double logpR = 0;
        for (int i = 0; i < n; i++) {
            double c = beta * ((double) pc[i] - rc[i]);
            double r = beta * ((double) pr[i] - rr[i]);
            chosen += c;
            rejected += r;
            accuracy += c > r ? 1 : 0;
            logpC += pc[i];
            logpR += pr[i];
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", chosen / n);
        metrics.put("rewards/rejected", rejected / n);
        metrics.put("rewards/accuracies", accuracy / n);
        metrics.put("rewards/margins", (chosen - rejected) / n);
        metrics.put("logps/chosen", logpC / n);
        metrics.put("logps/rejected", logpR / n);
        return new Result(loss, metrics);
    }
}
