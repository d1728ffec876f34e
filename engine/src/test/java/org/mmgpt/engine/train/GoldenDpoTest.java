package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.lora.PeftAdapter;
import org.mmgpt.engine.model.CausalLM;

/** DPO's log-probabilities (policy = base + adapter, reference = adapter off) and loss match TRL's. */
class GoldenDpoTest {
    private static final double REL = Goldens.LOSS_REL_TOL;

    private static float logp(CausalLM model, NDManager m, long[] prompt, long[] response) {
        long[] ids = new long[prompt.length + response.length];
        long[] labels = new long[ids.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(response, 0, ids, prompt.length, response.length);
        for (int i = 0; i < ids.length; i++) {
            labels[i] = i < prompt.length ? TokenLogProbs.IGNORE : ids[i];
        }
        NDArray hidden = model.forward(m.create(ids).expandDims(0), null, null, null, false);
        return TokenLogProbs.sequenceLogProbs(model, hidden, new long[][] {labels}).getFloat(0);
    }

    @Test
    void logProbsAndSigmoidLossMatchTrl() {
        JsonNode d = Goldens.tinyJson().get("dpo");
        long[] prompt = Goldens.ids(d.get("prompt"));
        long[] chosen = Goldens.ids(d.get("chosen"));
        long[] rejected = Goldens.ids(d.get("rejected"));
        try (CausalLM model = CausalLM.load(Goldens.tinyModel()); NDManager m = model.manager().newSubManager()) {
            PeftAdapter.load(model, Goldens.tinyAdapter());
            float pc = logp(model, m, prompt, chosen);
            float pr = logp(model, m, prompt, rejected);
            model.setAdaptersEnabled(false);
            float rc = logp(model, m, prompt, chosen);
            float rr = logp(model, m, prompt, rejected);
            model.setAdaptersEnabled(true);
            assertClose(d.get("policy_chosen_logp").asDouble(), pc, "policy chosen");
            assertClose(d.get("policy_rejected_logp").asDouble(), pr, "policy rejected");
            assertClose(d.get("reference_chosen_logp").asDouble(), rc, "reference chosen");
            assertClose(d.get("reference_rejected_logp").asDouble(), rr, "reference rejected");

            DpoLoss.Result r = DpoLoss.compute(m.create(new float[] {pc}), m.create(new float[] {pr}),
                    m.create(new float[] {rc}), m.create(new float[] {rr}), (float) d.get("beta").asDouble(), 0f);
            assertClose(d.get("loss_sigmoid").asDouble(), r.loss().getFloat(), "loss");
            // rewards are β·(policy − reference): small differences of large numbers, so compare absolutely
            assertEquals(d.get("reward_chosen").asDouble(), r.metrics().get("rewards/chosen"), 1e-5);
            assertEquals(d.get("reward_rejected").asDouble(), r.metrics().get("rewards/rejected"), 1e-5);
            assertEquals(1.0, r.metrics().get("rewards/accuracies"));
        }
    }

    private static void assertClose(double expected, double actual, String what) {
        assertEquals(expected, actual, Math.abs(expected) * REL, what);
    }
}
