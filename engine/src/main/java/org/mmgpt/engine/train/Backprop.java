package org.mmgpt.engine.train;

import org.mmgpt.engine.Autograd;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.mmgpt.engine.model.CausalLM;

/**
 * One forward and backward pass of a loss computed from the logits, plain or with gradient
 * checkpointing.
 *
 * <p>Checkpointing, by hand (DJL has no torch.utils.checkpoint): the layers first run without
 * recording, keeping only each layer's input; the loss is back-propagated to the last hidden state;
 * then, from the last layer to the first, each layer is recomputed with recording on and
 * back-propagated with the gradient of its output, which yields the gradient of its input. Peak
 * memory holds one layer's activations instead of all of them. Dropout draws come from a generator
 * seeded per layer, so the recomputation sees the same masks as the first pass.
 */
public final class Backprop {
    private Backprop() {}

    /**
     * Computes {@code loss(hidden(ids))} from the final hidden states (B, T, H), back-propagates it
     * into every leaf that requires a gradient, and returns the loss (a scalar of the ids' manager).
     *
     * @param seed dropout seed of this micro-batch
     */
    public static NDArray run(CausalLM model, NDArray ids, boolean[][] keyValid, Function<NDArray, NDArray> loss,
                              boolean checkpointing, boolean trainEmbeddings, long seed) {
        if (!checkpointing) {
            Engine.getInstance().setRandomSeed((int) seed);
            NDArray value = Autograd.record(() ->
                    loss.apply(model.forward(ids, null, keyValid, null, true)));
            Autograd.backward(value);
            return value;
        }
        CausalLM.Pass pass = model.pass(ids, null, keyValid, null, true);
        int layers = model.layers().size();
        List<NDArray> inputs = new ArrayList<>(layers);
        NDArray x = model.embed(ids); // (B, T, H), not recorded
        for (int i = 0; i < layers; i++) {
            inputs.add(x);
            Engine.getInstance().setRandomSeed((int) (seed * 1_000 + i));
            x = model.layer(i, x, pass);
        }
        NDArray last = x;
        Autograd.requireGrad(last);
        NDArray value = Autograd.record(() -> loss.apply(model.finalNorm(last)));
        Autograd.backward(value);
        NDArray grad = last.getGradient(); // dL/dx of the last layer's output
        for (int i = layers - 1; i >= 0; i--) {
            NDArray in = inputs.get(i);
            Autograd.requireGrad(in);
            Engine.getInstance().setRandomSeed((int) (seed * 1_000 + i));
            int layer = i;
            NDArray out = Autograd.record(() -> model.layer(layer, in, pass));
            Autograd.backward(out, grad);
            grad = in.getGradient();
        }
        if (trainEmbeddings) {
            NDArray g = grad;
            NDArray embedded = Autograd.record(() -> model.embed(ids));
            Autograd.backward(embedded, g);
        }
        return value;
    }
}
