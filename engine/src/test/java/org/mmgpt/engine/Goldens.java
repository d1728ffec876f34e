package org.mmgpt.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.mmgpt.engine.model.SafeTensors;

/**
 * The Hugging Face goldens of ../shared/golden, copied into test resources: what transformers + peft
 * compute for the tiny Qwen2 model. They are the numeric specification the engine must match.
 */
public final class Goldens {
    public static final double LOGIT_TOL = 1e-4;
    public static final double LOSS_REL_TOL = 1e-5;

    private Goldens() {}

    public static Path resource(String path) {
        try {
            var url = Goldens.class.getResource("/golden/" + path);
            if (url == null) {
                throw new IllegalStateException("missing test resource golden/" + path);
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path tinyModel() {
        return resource("qwen2-tiny/model");
    }

    public static Path tinyAdapter() {
        return resource("qwen2-tiny/adapter");
    }

    public static JsonNode tinyJson() {
        try {
            return new ObjectMapper().readTree(resource("qwen2-tiny/goldens.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tensor of goldens.safetensors (logits_0, logits_1, lora_logits_0). */
    public static NDArray tensor(String name, NDManager manager) {
        return SafeTensors.open(resource("qwen2-tiny/goldens.safetensors")).load(name, manager);
    }

    public static long[] ids(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    public static double maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
