package org.mmgpt.engine.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.SafeTensors;

/** A PEFT adapter made by Hugging Face peft loads here and gives peft's logits, merged or not. */
class GoldenLoraTest {

    private static NDArray logits0(CausalLM model, NDManager m) {
        long[] ids = Goldens.ids(Goldens.tinyJson().get("prompts").get(0));
        return model.logits(model.forward(m.create(ids).expandDims(0), null, null, null, false)).squeeze(0);
    }

    @Test
    void baseWithPeftAdapterMatchesPeftLogits() {
        try (CausalLM model = CausalLM.load(Goldens.tinyModel()); NDManager m = model.manager().newSubManager()) {
            LoraConfig c = PeftAdapter.load(model, Goldens.tinyAdapter());
            assertEquals(4, c.r());
            assertEquals(2.0f, c.scale());
            double diff = Goldens.maxAbsDiff(logits0(model, m), Goldens.tensor("lora_logits_0", m));
            assertTrue(diff < Goldens.LOGIT_TOL, "max |Δlogit| with adapter = " + diff);

            model.setAdaptersEnabled(false); // the base again, as DPO's reference sees it
            double base = Goldens.maxAbsDiff(logits0(model, m), Goldens.tensor("logits_0", m));
            assertTrue(base < Goldens.LOGIT_TOL, "adapter disabled: max |Δlogit| vs base = " + base);
        }
    }

    @Test
    void mergedWeightsGiveTheAdapterLogits() {
        try (CausalLM model = CausalLM.load(Goldens.tinyModel()); NDManager m = model.manager().newSubManager()) {
            PeftAdapter.load(model, Goldens.tinyAdapter());
            PeftAdapter.merge(model);
            assertTrue(model.linears().stream().allMatch(l -> l.lora() == null));
            double diff = Goldens.maxAbsDiff(logits0(model, m), Goldens.tensor("lora_logits_0", m));
            assertTrue(diff < Goldens.LOGIT_TOL, "merged: max |Δlogit| = " + diff);
        }
    }

    @Test
    void savedAdapterRoundTripsWithPeftKeysAndConfig(@TempDir Path dir) throws Exception {
        try (CausalLM model = CausalLM.load(Goldens.tinyModel()); NDManager m = model.manager().newSubManager()) {
            LoraConfig c = PeftAdapter.load(model, Goldens.tinyAdapter());
            PeftAdapter.save(model, c, dir);
            SafeTensors ours = SafeTensors.open(dir.resolve("adapter_model.safetensors"));
            SafeTensors theirs = SafeTensors.open(Goldens.tinyAdapter().resolve("adapter_model.safetensors"));
            assertEquals(theirs.names(), ours.names());
            for (String n : theirs.names()) {
                assertEquals(0.0, Goldens.maxAbsDiff(ours.load(n, m), theirs.load(n, m)), n);
            }
            LoraConfig back = LoraConfig.read(dir);
            assertEquals(c.r(), back.r());
            assertEquals(c.alpha(), back.alpha());
            assertTrue(Files.readString(dir.resolve("adapter_config.json")).contains("\"peft_type\" : \"LORA\""));
        }
    }

    @Test
    void unsupportedPeftOptionIsRefusedByName(@TempDir Path dir) throws Exception {
        String cfg = Files.readString(Goldens.tinyAdapter().resolve("adapter_config.json"))
                .replace("\"use_dora\": false", "\"use_dora\": true");
        Files.writeString(dir.resolve("adapter_config.json"), cfg);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LoraConfig.read(dir));
        assertTrue(e.getMessage().contains("use_dora"), e.getMessage());
    }
}
