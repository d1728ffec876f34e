package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Goldens;

/** config.json in the transformers-4 and -5 styles, and clear refusals of what is not supported. */
class ModelConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A Llama-3.1-style config as transformers 4 writes it. */
    private static ObjectNode llama31V4() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
                 "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64, "hidden_act": "silu",
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "max_position_embeddings": 131072,
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                 "tie_word_embeddings": true, "attention_bias": false, "mlp_bias": false,
                 "torch_dtype": "bfloat16", "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]}""");
    }

    @Test
    void transformers4AndTransformers5StylesReadTheSame() throws Exception {
        ObjectNode v4 = llama31V4();
        ObjectNode v5 = v4.deepCopy();
        ObjectNode params = v5.putObject("rope_parameters");
        params.setAll((ObjectNode) v4.get("rope_scaling"));
        params.put("rope_theta", 500000.0);
        v5.remove(List.of("rope_scaling", "rope_theta", "torch_dtype"));
        v5.put("dtype", "bfloat16");
        ModelConfig a = ModelConfig.fromJson(v4);
        ModelConfig b = ModelConfig.fromJson(v5);
        assertEquals(a, b);
        assertEquals(new ModelConfig.Rope("llama3", 500000, 32, 1, 4, 8192), a.rope());
        assertEquals("bfloat16", a.dtype());
        assertEquals(List.of(128001, 128008, 128009), a.eosTokenIds());
        assertEquals(4, a.kvGroups());
    }

    @Test
    void theGoldenQwen2ConfigIsTransformers5Style() {
        ModelConfig c = ModelConfig.read(Goldens.tinyModel().resolve("config.json"));
        assertEquals(ModelConfig.Rope.plain(1e6), c.rope());
        assertTrue(c.attentionBias());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(16, c.headDim());
        assertEquals(List.of(0, 0), c.slidingWindows()); // use_sliding_window false
    }

    @Test
    void writtenConfigReadsBackEqual() throws Exception {
        ModelConfig a = ModelConfig.fromJson(llama31V4());
        assertEquals(a, ModelConfig.fromJson(a.toJson()));
        ModelConfig mistral = TestModels.config("mistral", ModelConfig.Rope.plain(1e4), 4, 2);
        assertEquals(mistral, ModelConfig.fromJson(mistral.toJson()));
    }

    @Test
    void mistralSlidesEveryLayerQwenOnlyWhenAsked() throws Exception {
        ObjectNode m = (ObjectNode) JSON.readTree("""
                {"architectures": ["MistralForCausalLM"], "vocab_size": 10, "hidden_size": 8,
                 "intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "num_key_value_heads": 1, "sliding_window": 4096}""");
        assertEquals(List.of(4096, 4096), ModelConfig.fromJson(m).slidingWindows());
        m.set("architectures", JSON.createArrayNode().add("Qwen2ForCausalLM"));
        assertEquals(List.of(0, 0), ModelConfig.fromJson(m).slidingWindows());
        m.put("use_sliding_window", true);
        m.put("max_window_layers", 1);
        assertEquals(List.of(0, 4096), ModelConfig.fromJson(m).slidingWindows());
    }

    @Test
    void unsupportedThingsFailAtLoadNamingThem() throws Exception {
        ObjectNode c = llama31V4();
        c.set("architectures", JSON.createArrayNode().add("GPTNeoXForCausalLM"));
        assertMessage(c, "GPTNeoXForCausalLM");
        c = llama31V4();
        ((ObjectNode) c.get("rope_scaling")).put("rope_type", "yarn");
        assertMessage(c, "yarn");
        c = llama31V4();
        c.put("hidden_act", "gelu");
        assertMessage(c, "gelu");
        c = llama31V4();
        c.put("num_key_value_heads", 5);
        assertMessage(c, "num_key_value_heads");
    }

    private static void assertMessage(ObjectNode c, String needle) {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(c));
        assertTrue(e.getMessage().contains(needle), e.getMessage());
    }
}
