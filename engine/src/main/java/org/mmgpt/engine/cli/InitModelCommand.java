package org.mmgpt.engine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.mmgpt.engine.ProjectFiles;
import org.mmgpt.engine.generate.GenerationConfig;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelConfig;
import org.mmgpt.engine.model.ModelPresets;
import org.mmgpt.engine.model.ModelWriter;
import org.mmgpt.engine.model.RandomInit;
import org.mmgpt.engine.model.SafeTensorsWriter;
import org.mmgpt.engine.tokenizer.Tokenizer;

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
        if (Files.exists(out.resolve("config.json"))) {
            throw new IllegalArgumentException(out + " already holds a model (config.json); choose another --output");
        }
        String dtype = a.get("dtype");
        if (!List.of("float32", "float16", "bfloat16").contains(dtype)) {
            throw new Args.UsageException("--dtype must be float32, float16 or bfloat16, got " + dtype);
        }
        String ropeType = a.get("rope-scaling");
        double theta = a.getDouble("rope-theta");
        ModelConfig.Rope rope = switch (ropeType) {
            case "default" -> ModelConfig.Rope.plain(theta);
            case "linear" -> new ModelConfig.Rope("linear", theta, a.getDouble("rope-factor"), 0, 0, 0);
            case "llama3" -> new ModelConfig.Rope("llama3", theta, a.getDouble("rope-factor"), 1.0, 4.0, 8192);
            default -> throw new Args.UsageException("--rope-scaling must be default, linear or llama3");
        };
        boolean noTokenizer = "none".equals(a.get("tokenizer"));
        if (noTokenizer && !a.has("vocab-size")) {
            throw new Args.UsageException("--tokenizer none needs --vocab-size");
        }
        Path tokDir = noTokenizer ? null : a.has("tokenizer") ? Path.of(a.get("tokenizer")) : ProjectFiles.defaultTokenizer();
        int vocab;
        List<Integer> eos = new ArrayList<>();
        Integer bos = null;
        Integer pad = null;
        if (tokDir != null) {
            try (Tokenizer tok = Tokenizer.load(tokDir)) {
                vocab = a.has("vocab-size") ? a.getInt("vocab-size") : (tok.vocabSize() + 63) / 64 * 64;
                if (vocab < tok.vocabSize()) {
                    throw new IllegalArgumentException("--vocab-size " + vocab + " is below the tokenizer's " + tok.vocabSize());
                }
                tok.eosTokenId().ifPresent(id -> eos.add((int) id));
                bos = tok.bosTokenId().isPresent() ? (int) tok.bosTokenId().getAsLong() : null;
                pad = (int) tok.padTokenId();
            }
        } else {
            vocab = a.getInt("vocab-size");
        }
        ModelConfig config = ModelPresets.config(ModelPresets.get(a.get("preset")), a.get("arch"), vocab, rope,
                dtype, bos, eos, pad).withSlidingWindow(a.getInt("sliding-window"));
        Path staging = Files.createDirectories(out.toAbsolutePath().getParent()).resolve("." + out.getFileName() + ".tmp");
        try (CausalLM model = CausalLM.build(config, new RandomInit(a.getLong("seed"), 0.02),
                ai.djl.ndarray.NDManager.newBaseManager())) {
            Files.createDirectories(staging);
            var generation = new GenerationConfig(Set.copyOf(eos.stream().map(Integer::longValue).toList()),
                    pad == null ? null : pad.longValue(), false, 1.0f, 50, 1.0f, 1.0f, null);
            ModelWriter.write(model, staging, generation, ModelWriter.DEFAULT_MAX_SHARD_BYTES);
            if (tokDir != null) {
                ModelWriter.copyTokenizer(tokDir, staging);
            }
            if (Files.isDirectory(out)) {
                Files.delete(out); // an empty directory left for us (a non-empty one fails here)
            }
            Files.move(staging, out); // a reader never sees half a model
            long nonEmbed = model.parameterCount() - (long) vocab * config.hiddenSize() * (config.tieWordEmbeddings() ? 1 : 2);
            System.err.printf("wrote %s: %s %s, %.2fM parameters (%.2fM non-embedding), vocab %d, %s on disk (%s)%n",
                    out, a.get("preset"), config.architecture(), model.parameterCount() / 1e6, nonEmbed / 1e6, vocab,
                    dtype, SafeTensorsWriter.dtypeOf(dtype));
        }
    }
}
