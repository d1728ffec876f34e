package org.mmgpt.engine.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.Linear;
import org.mmgpt.engine.model.LoraAdapter;
import org.mmgpt.engine.model.SafeTensors;
import org.mmgpt.engine.model.SafeTensorsWriter;

/**
 * LoRA adapters in Hugging Face PEFT's format: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight} (r, in)
 * and {@code ….lora_B.weight} (out, r). Adapters written here load in PEFT, and PEFT's load here.
 */
public final class PeftAdapter {
    private static final String PREFIX = "base_model.model.";

    private PeftAdapter() {}

    /** Attaches the adapter in {@code dir} to {@code model}'s linear layers. */
    public static LoraConfig load(CausalLM model, Path dir) {
        LoraConfig config = LoraConfig.read(dir);
        Path file = dir.resolve("adapter_model.safetensors");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + ": no adapter_model.safetensors"
                    + (Files.exists(dir.resolve("adapter_model.bin")) ? " (adapter_model.bin is not read)" : ""));
        }
        SafeTensors st = SafeTensors.open(file);
        int attached = 0;
        for (Linear l : model.linears()) {
            if (!config.targets(l.name())) {
                continue;
            }
            String a = key(st, l.name(), "lora_A");
            String b = key(st, l.name(), "lora_B");
            NDArray wa = st.load(a, model.manager());
            NDArray wb = st.load(b, model.manager());
            Shape expectA = new Shape(config.r(), l.weight().getShape().get(1));
            Shape expectB = new Shape(l.weight().getShape().get(0), config.r());
            if (!wa.getShape().equals(expectA) || !wb.getShape().equals(expectB)) {
                throw new IllegalArgumentException(file + ": " + l.name() + " has lora_A " + wa.getShape()
                        + " and lora_B " + wb.getShape() + "; the model and r=" + config.r() + " need "
                        + expectA + " and " + expectB);
            }
            l.setLora(new LoraAdapter(wa, wb, config.scale(), (float) config.dropout()));
            attached++;
        }
        if (attached == 0) {
            throw new IllegalArgumentException(dir + ": target_modules match no linear layer of the model");
        }
        return config;
    }

    private static String key(SafeTensors st, String module, String part) {
        for (String k : List.of(PREFIX + module + "." + part + ".weight", PREFIX + module + "." + part + ".default.weight")) {
            if (st.names().contains(k)) {
                return k;
            }
        }
        throw new IllegalArgumentException(st.file() + ": no " + PREFIX + module + "." + part + ".weight");
    }

    /**
     * New adapters as PEFT initialises them: A ~ kaiming-uniform (bound 1/√in), B = 0, so the model
     * starts exactly at the base. {@code seed} fixes A.
     */
    public static void create(CausalLM model, LoraConfig config, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDManager m = model.manager();
        int count = 0;
        for (Linear l : model.linears()) {
            if (!config.targets(l.name())) {
                continue;
            }
            long out = l.weight().getShape().get(0);
            long in = l.weight().getShape().get(1);
            float bound = (float) (1.0 / Math.sqrt(in));
            float[] a = new float[Math.toIntExact(config.r() * in)];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
            l.setLora(new LoraAdapter(m.create(a, new Shape(config.r(), in)),
                    m.zeros(new Shape(out, config.r())), config.scale(), (float) config.dropout()));
            count++;
        }
        if (count == 0) {
            throw new IllegalArgumentException("target modules " + config.targetModules() + " match no layer");
        }
    }

    /** The adapter tensors by PEFT key, in model order. */
    public static Map<String, NDArray> tensors(CausalLM model) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Linear l : model.linears()) {
            if (l.lora() != null) {
                out.put(PREFIX + l.name() + ".lora_A.weight", l.lora().a());
                out.put(PREFIX + l.name() + ".lora_B.weight", l.lora().b());
            }
        }
        return out;
    }

    /** Writes adapter_config.json and adapter_model.safetensors (float32) into {@code dir}. */
    public static void save(CausalLM model, LoraConfig config, Path dir) throws IOException {
        Files.createDirectories(dir);
        config.write(dir);
        SafeTensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors(model), "F32", Map.of("format", "pt"));
    }

    /** Folds every adapter into its layer, {@code W ← W + scale · B·A}, and removes it. */
    public static void merge(CausalLM model) {
        for (Linear l : model.linears()) {
            LoraAdapter lora = l.lora();
            if (lora == null) {
                continue;
            }
            try (NDManager step = model.manager().newSubManager()) {
                NDArray delta = lora.b().matMul(lora.a()); // (out, in)
                delta.attach(step);
                NDArray merged = l.weight().add(delta.mul(step.create(lora.scale())));
                merged.attach(model.manager());
                l.replaceWeight(merged);
            }
            l.setLora(null);
            lora.a().close();
            lora.b().close();
        }
    }
}
