package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Goldens;

/** Full-forward logits of the tiny Qwen2 model equal what transformers computes. */
class GoldenLogitsTest {
    static CausalLM model;
    static JsonNode golden;

    @BeforeAll
    static void load() {
        model = CausalLM.load(Goldens.tinyModel());
        golden = Goldens.tinyJson();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void logitsOfBothPromptsMatchTransformers() {
        for (int p = 0; p < 2; p++) {
            try (NDManager m = model.manager().newSubManager()) {
                long[] ids = Goldens.ids(golden.get("prompts").get(p));
                NDArray logits = model.logits(model.forward(m.create(ids).expandDims(0), null, null, null, false));
                NDArray expected = Goldens.tensor("logits_" + p, m);
                assertEquals(expected.getShape(), logits.squeeze(0).getShape());
                double diff = Goldens.maxAbsDiff(logits.squeeze(0), expected);
                assertTrue(diff < Goldens.LOGIT_TOL, "prompt " + p + ": max |Δlogit| = " + diff);
            }
        }
    }
}
