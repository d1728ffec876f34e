package org.mmgpt.engine.train;

import org.mmgpt.engine.Autograd;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.lora.PeftAdapter;
import org.mmgpt.engine.model.CausalLM;

/** Three AdamW steps on the LoRA parameters reproduce torch.optim.AdamW's losses. */
class GoldenAdamWTest {
    @Test
    void threeLoraAdamWStepsMatchTorch() {
        JsonNode g = Goldens.tinyJson();
        JsonNode spec = g.get("lora_adamw");
        long[] ids = Goldens.ids(g.get("prompts").get(0));
        long[][] labels = {Goldens.ids(g.get("sft_labels"))};
        try (CausalLM model = CausalLM.load(Goldens.tinyModel())) {
            PeftAdapter.load(model, Goldens.tinyAdapter());
            Map<String, NDArray> params = PeftAdapter.tensors(model);
            params.values().forEach(Autograd::requireGrad);
            var betas = spec.get("betas");
            try (AdamW adam = new AdamW(params, (float) betas.get(0).asDouble(), (float) betas.get(1).asDouble(),
                    (float) spec.get("eps").asDouble(), (float) spec.get("weight_decay").asDouble(), Set.of(), 1, model.manager())) {
                JsonNode expected = spec.get("losses_before_each_step_then_after_last");
                for (int step = 0; step <= spec.get("steps").asInt(); step++) {
                    try (NDManager m = model.manager().newSubManager()) {
                        NDArray input = m.create(ids).expandDims(0);
                        NDArray loss = Autograd.record(() -> TokenLogProbs.meanCrossEntropy(model,
                                model.forward(input, null, null, null, true), labels));
                        double want = expected.get(step).asDouble();
                        assertEquals(want, loss.getFloat(), want * 1e-4, "loss before step " + step);
                        if (step < spec.get("steps").asInt()) {
                            Autograd.backward(loss);
                            adam.step((float) spec.get("lr").asDouble(), 1f);
                            params.values().forEach(Autograd::zeroGrad);
                        }
                    }
                }
            }
        }
    }
}
