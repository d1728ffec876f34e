package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face model directory: one {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json}. Each file is memory-mapped once; tensors are loaded by name.
 */
public final class Checkpoint {
    private final Path dir;
    private final Map<String, SafeTensors> byTensor;

    private Checkpoint(Path dir, Map<String, SafeTensors> byTensor) {
        this.dir = dir;
        this.byTensor = byTensor;
    }

    public static Checkpoint open(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, SafeTensors> byTensor = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            JsonNode weightMap;
            try {
                weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + index + ": " + e.getMessage(), e);
            }
            if (!weightMap.isObject() || weightMap.isEmpty()) {
                throw new IllegalArgumentException(index + ": no weight_map");
            }
            Map<String, SafeTensors> files = new LinkedHashMap<>();
            weightMap.properties().forEach(e -> {
                SafeTensors shard = files.computeIfAbsent(e.getValue().asText(), f -> SafeTensors.open(dir.resolve(f)));
                if (!shard.names().contains(e.getKey())) {
                    throw new IllegalArgumentException(index + " maps " + e.getKey() + " to " + e.getValue().asText()
                            + ", which does not hold it");
                }
                byTensor.put(e.getKey(), shard);
            });
        } else if (Files.isRegularFile(single)) {
            SafeTensors st = SafeTensors.open(single);
            st.names().forEach(n -> byTensor.put(n, st));
        } else {
            String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                    ? " (pytorch_model.bin is not read: save the model with safe_serialization=True)" : "";
            throw new IllegalArgumentException(dir + ": no model.safetensors or model.safetensors.index.json" + hint);
        }
        return new Checkpoint(dir, byTensor);
    }

    public Path dir() {
        return dir;
    }

    public Set<String> names() {
        return byTensor.keySet();
    }

    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    /** The tensor {@code name} as float32, owned by {@code manager}. */
    public NDArray load(String name, NDManager manager) {
        SafeTensors st = byTensor.get(name);
        if (st == null) {
            throw new IllegalArgumentException(dir + ": the checkpoint has no tensor " + name);
        }
        return st.load(name, manager);
    }

    /** The dtypes stored on disk, for the log (e.g. [BF16]). */
    public List<String> storedDtypes() {
        List<String> out = new ArrayList<>();
        byTensor.forEach((n, st) -> {
            String d = st.entry(n).dtype();
            if (!out.contains(d)) {
                out.add(d);
            }
        });
        return out;
    }
}
