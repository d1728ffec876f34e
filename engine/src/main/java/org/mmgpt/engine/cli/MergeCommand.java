package org.mmgpt.engine.cli;

import java.nio.file.Path;
import org.mmgpt.engine.lora.LoraMerge;

/** {@code mmgpt merge}: fold a LoRA adapter into its base model (the seed's merge_peft_adapter.py). */
final class MergeCommand implements Command {
    @Override
    public String name() {
        return "merge";
    }

    @Override
    public Args options() {
        return new Args(name(), "merge a LoRA adapter into its base and write a verified Hugging Face model")
                .option("base", "DIR", null, "the base model directory", "base-model")
                .option("adapter", "DIR", null, "the PEFT adapter directory", "lora-model")
                .option("output", "DIR", null, "the merged model directory (new)", "output-dir")
                .option("max-shard-size", "GB", "5", "split the weights into shards of at most this many GB")
                .option("dtype", "TYPE", "float32", "weights on disk: float32 (exact), bfloat16 or float16 (smaller, checked with a looser tolerance)")
                .ignored("tokenizer-path")
                .ignored("resize-emb");
    }

    @Override
    public void run(Args a) throws Exception {
        double gb = a.getDouble("max-shard-size");
        if (!(gb > 0)) {
            throw new Args.UsageException("--max-shard-size must be > 0");
        }
        String dtype = a.get("dtype");
        if (!java.util.List.of("float32", "bfloat16", "float16").contains(dtype)) {
            throw new Args.UsageException("--dtype must be float32, bfloat16 or float16");
        }
        Path out = Path.of(a.require("output"));
        LoraMerge.Check c = LoraMerge.merge(Path.of(a.require("base")), Path.of(a.require("adapter")), out,
                (long) (gb * 1e9), dtype);
        System.out.printf("merged into %s (%s); check on %d probe tokens: max |logit difference| vs base+adapter = "
                + "%.3g (tolerance %.0e): %s; saved in %s%n", out, c.dtype(), c.probeIds().length, c.maxAbsDiff(),
                c.tolerance(), c.passed() ? "PASSED" : "FAILED", out.resolve("merge_check.json"));
    }
}
