package org.mmgpt.engine.cli;

import java.nio.file.Path;
import org.mmgpt.engine.ProjectFiles;
import org.mmgpt.engine.model.ModelConfig;
import org.mmgpt.engine.model.ModelPresets;
import org.mmgpt.engine.model.NewModel;

/** {@code mmgpt init-model}: a new, randomly initialised model directory of a named size. */
final class InitModelCommand implements Command {
    @Override
    public String name() {
        return "init-model";
    }

    @Override
    public Args options() {
        return new Args(name(), "write a new random-initialised model directory of a size preset")
                .option("preset", "NAME", "tiny", "size: " + ModelPresets.names())
                .option("output", "DIR", null, "the new model directory")
                .option("tokenizer", "DIR", null, "tokenizer files to use [default: the Qwen2.5 tokenizer in models/]; "
                        + "'none' writes no tokenizer (then give --vocab-size)")
                .option("arch", "NAME", "qwen2", "architecture: " + ModelPresets.ARCHITECTURES)
                .option("dtype", "TYPE", "float32", "weights on disk: float32, float16, bfloat16")
                .option("rope-theta", "THETA", "1000000", "rotary base")
                .option("rope-scaling", "TYPE", "default", "default, linear or llama3")
                .option("rope-factor", "F", "8", "scaling factor for linear/llama3")
                .option("sliding-window", "N", "0", "attention window of every layer (0: none; Mistral-style)")
                .option("vocab-size", "N", null, "override the vocabulary size (default: the tokenizer's, rounded up to 64)")
                .option("seed", "N", "42", "random seed of the weights");
    }

    @Override
    public void run(Args a) throws Exception {
        Path out = Path.of(a.require("output"));
        String ropeType = a.get("rope-scaling");
        double theta = a.getDouble("rope-theta");
        // A scaled model extends the preset's context: that is the original one HF checks against.
        int context = ModelPresets.get(a.get("preset")).maxPositions();
        ModelConfig.Rope rope = switch (ropeType) {
            case "default" -> ModelConfig.Rope.plain(theta);
            case "linear" -> new ModelConfig.Rope("linear", theta, a.getDouble("rope-factor"), 0, 0, 0);
            case "llama3" -> new ModelConfig.Rope("llama3", theta, a.getDouble("rope-factor"), 1.0, 4.0, context);
            default -> throw new Args.UsageException("--rope-scaling must be default, linear or llama3");
        };
        if (!NewModel.DTYPES.contains(a.get("dtype"))) {
            throw new Args.UsageException("--dtype must be one of " + NewModel.DTYPES + ", got " + a.get("dtype"));
        }
        boolean noTokenizer = "none".equals(a.get("tokenizer"));
        if (noTokenizer && !a.has("vocab-size")) {
            throw new Args.UsageException("--tokenizer none needs --vocab-size");
        }
        Path tokenizer = noTokenizer ? null : a.has("tokenizer") ? Path.of(a.get("tokenizer")) : ProjectFiles.defaultTokenizer();
        NewModel spec = new NewModel(a.get("preset"), a.get("arch"), tokenizer,
                a.has("vocab-size") ? a.getInt("vocab-size") : null, a.get("dtype"), rope, a.getInt("sliding-window"),
                a.getLong("seed"));
        System.err.println(spec.write(out));
    }
}
