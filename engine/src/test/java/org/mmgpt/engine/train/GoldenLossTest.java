package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.model.CausalLM;

/** The SFT loss equals transformers' (labels shifted inside the model, -100 ignored). */
class GoldenLossTest {
    @Test
    void sftLossMatchesTransformers() {
        JsonNode g = Goldens.tinyJson();
        try (CausalLM model = CausalLM.load(Goldens.tinyModel()); NDManager m = model.manager().newSubManager()) {
            long[] ids = Goldens.ids(g.get("prompts").get(0));
            long[] labels = Goldens.ids(g.get("sft_labels"));
            float loss = TokenLogProbs.meanCrossEntropy(model,
                    model.forward(m.create(ids).expandDims(0), null, null, null, false), new long[][] {labels}).getFloat();
            double expected = g.get("sft_loss").asDouble();
            assertEquals(expected, loss, expected * Goldens.LOSS_REL_TOL);
        }
    }
}
