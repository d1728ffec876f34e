package org.mmgpt.inference;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.generate.Generator;
import org.mmgpt.engine.generate.LanguageModel;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;
import org.mmgpt.engine.lora.LoraConfig;
import org.mmgpt.engine.lora.PeftAdapter;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.engine.model.SafeTensorsWriter;
import org.mmgpt.testsupport.RepoRoot;

/** Micro models (random weights, the real Qwen2.5 tokenizer) and what the engine alone generates with them. */
final class TestModels {

    private TestModels() {
    }


    /** A micro model in {@code dir}, unless one is there. */
    static Path micro(Path dir, long seed) throws IOException {
        if (!Files.exists(dir.resolve("config.json"))) {
            NewModel.qwen2("micro", RepoRoot.path().resolve("models/qwen2.5-tokenizer"), seed).write(dir);
        }
        return dir;
    }

    /**
     * A LoRA adapter over {@code base} whose B matrices are random (PEFT starts them at zero, which
     * would make the adapter invisible), naming the base by its absolute path as training does.
     */
    static Path adapter(Path base, Path dir, long seed) throws IOException {
        if (Files.exists(dir.resolve("adapter_config.json"))) {
            return dir;
        }
        LoraConfig config = new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj"), null, false,
                base.toAbsolutePath().toString());
        try (CausalLM model = CausalLM.load(base)) {
            PeftAdapter.create(model, config, seed);
            SplittableRandom rng = new SplittableRandom(seed);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            PeftAdapter.tensors(model).forEach((name, t) -> {
                if (!name.contains("lora_B")) {
                    tensors.put(name, t);
                    return;
                }
                float[] b = new float[Math.toIntExact(t.size())];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) (rng.nextDouble() - 0.5);
                }
                tensors.put(name, model.manager().create(b, t.getShape()));
            });
            Files.createDirectories(dir);
            config.write(dir);
            SafeTensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, "F32", Map.of("format", "pt"));
        }
        return dir;
    }

    /**
     * What the engine generates for one user message with the model's chat template, as the worker
     * samples it: the model's defaults, then temperature, seed and max tokens.
     */
    static String generate(Path model, Path adapter, String user, Double temperature, Long seed, int maxTokens) {
        try (LanguageModel lm = LanguageModel.load(model, adapter)) {
            ChatTemplate template = lm.template(null);
            SamplingParams.Builder b = lm.defaults().maxNewTokens(maxTokens)
                    .sampling(temperature == null ? null : temperature.floatValue(), null, null)
                    .stopStrings(template.stopStrings());
            if (seed != null) {
                b.seed(seed);
            }
            List<ChatMessage> messages = new ArrayList<>(List.of(ChatMessage.user(user)));
            Sequence seq = lm.sequence(lm.chatPrompt(template, messages), b.build(), null);
            Generator.run(lm.model(), List.of(seq));
            return seq.text();
        }
    }
}
