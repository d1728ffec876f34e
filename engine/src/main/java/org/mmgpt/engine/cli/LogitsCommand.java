package org.mmgpt.engine.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.mmgpt.engine.lora.PeftAdapter;
import org.mmgpt.engine.model.CausalLM;

/** {@code mmgpt logits}: float32 logits of every input position, to compare with Hugging Face. */
final class LogitsCommand implements Command {
    @Override
    public String name() {
        return "logits";
    }

    @Override
    public Args options() {
        return new Args(name(), "write the model's float32 logits for token ids as JSON {\"ids\", \"logits\"}")
                .option("model", "DIR", null, "Hugging Face model directory")
                .option("adapter", "DIR", null, "a PEFT LoRA adapter to apply")
                .option("ids", "1,2,3", null, "comma-separated token ids")
                .option("output", "FILE.json", null, "where to write the logits");
    }

    @Override
    public void run(Args a) throws Exception {
        Path model = Path.of(a.require("model"));
        long[] ids = a.getIds("ids");
        Path out = Path.of(a.require("output"));
        try (CausalLM lm = CausalLM.load(model); NDManager m = lm.manager().newSubManager()) {
            if (a.has("adapter")) {
                PeftAdapter.load(lm, Path.of(a.get("adapter")));
            }
            NDArray logits = lm.logits(lm.forward(m.create(ids).expandDims(0), null, null, null, false)).squeeze(0);
            float[] flat = logits.toFloatArray();
            int v = flat.length / ids.length;
            ObjectMapper json = new ObjectMapper();
            ObjectNode root = json.createObjectNode();
            ArrayNode idArray = root.putArray("ids");
            for (long id : ids) {
                idArray.add(id);
            }
            ArrayNode rows = root.putArray("logits");
            for (int t = 0; t < ids.length; t++) {
                ArrayNode row = rows.addArray();
                for (int j = 0; j < v; j++) {
                    row.add(flat[t * v + j]);
                }
            }
            json.writeValue(out.toFile(), root);
            System.err.println("wrote logits (" + ids.length + " x " + v + ") to " + out);
        }
    }
}
