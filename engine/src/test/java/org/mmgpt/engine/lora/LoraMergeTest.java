package org.mmgpt.engine.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.model.CausalLM;

/** merge: the written model gives peft's merged logits, and the saved check says so. */
class LoraMergeTest {

    @Test
    void mergedDirectoryReproducesPeftLogitsAndRecordsItsCheck(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("merged");
        LoraMerge.Check c = LoraMerge.merge(Goldens.tinyModel(), Goldens.tinyAdapter(), out, 1L << 30, null);
        assertTrue(c.passed());
        assertTrue(c.maxAbsDiff() < 1e-4, "check " + c.maxAbsDiff());
        var saved = new ObjectMapper().readTree(out.resolve("merge_check.json").toFile());
        assertEquals(c.maxAbsDiff(), saved.get("max_abs_logit_diff").asDouble(), 0);
        assertTrue(saved.get("passed").asBoolean());
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        try (CausalLM merged = CausalLM.load(out); NDManager m = merged.manager().newSubManager()) {
            long[] ids = Goldens.ids(Goldens.tinyJson().get("prompts").get(0));
            var logits = merged.logits(merged.forward(m.create(ids).expandDims(0), null, null, null, false)).squeeze(0);
            double d = Goldens.maxAbsDiff(logits, Goldens.tensor("lora_logits_0", m));
            assertTrue(d < Goldens.LOGIT_TOL, "merged model vs peft: " + d);
        }
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no staging folder left beside the result");
        }
    }

    @Test
    void aBf16MergeIsCheckedWithBf16Tolerance(@TempDir Path tmp) throws Exception {
        LoraMerge.Check c = LoraMerge.merge(Goldens.tinyModel(), Goldens.tinyAdapter(), tmp.resolve("m"), 1L << 30,
                "bfloat16");
        assertEquals("bfloat16", c.dtype());
        assertTrue(c.passed(), "bf16 merge: " + c.maxAbsDiff());
        assertTrue(c.maxAbsDiff() > 1e-4, "bf16 rounding is visible: " + c.maxAbsDiff());
    }

    @Test
    void refusesToWriteIntoANonEmptyDirectory(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("keep.txt"), "mine");
        var e = assertThrows(IllegalArgumentException.class,
                () -> LoraMerge.merge(Goldens.tinyModel(), Goldens.tinyAdapter(), tmp, 1L << 30, null));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals("mine", Files.readString(tmp.resolve("keep.txt")));
    }
}
