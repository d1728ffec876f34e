package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mmgpt.engine.Djl;

/**
 * A decoder-only causal language model (Qwen2, Qwen3, Llama, Mistral): token embedding, a stack of
 * {@link DecoderLayer}s, a final RMSNorm and the output head (the embedding itself when tied).
 *
 * <p>Weights live in the model's own manager for its whole life; activations belong to the manager of
 * the input ids, so a caller that creates the ids in a per-step sub-manager frees a step's memory by
 * closing it.
 */
public final class CausalLM implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CausalLM.class.getName());

    /** Supplies a weight by its Hugging Face name and expected shape. */
    public interface WeightSource {
        NDArray get(String name, Shape shape, NDManager manager);
    }

    private final ModelConfig config;
    private final NDManager manager;
    private final NDArray embed; // (V, H)
    private final List<DecoderLayer> layers;
    private final RmsNorm norm;
    private final NDArray lmHead; // (V, H); the same array as embed when tied
    private final RotaryEmbedding rope;
    private ShardedDecoder sharded; // null: inference runs on the calling thread

    private CausalLM(ModelConfig config, NDManager manager, NDArray embed, List<DecoderLayer> layers,
                     RmsNorm norm, NDArray lmHead) {
        this.config = config;
        this.manager = manager;
        this.embed = embed;
        this.layers = layers;
        this.norm = norm;
        this.lmHead = lmHead;
        this.rope = new RotaryEmbedding(config.rope(), config.headDim(), manager);
    }

    /** Loads a Hugging Face model directory (config.json + safetensors) into float32. */
    public static CausalLM load(Path dir) {
        Djl.init();
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        Checkpoint checkpoint = Checkpoint.open(dir);
        Set<String> used = new HashSet<>();
        WeightSource source = (name, shape, m) -> {
            if (!checkpoint.has(name) && name.equals("lm_head.weight")) {
                throw new IllegalArgumentException(dir + ": no lm_head.weight and tie_word_embeddings is false");
            }
            NDArray w = checkpoint.load(name, m);
            if (!w.getShape().equals(shape)) {
                throw new IllegalArgumentException(dir + ": tensor " + name + " has shape " + w.getShape()
                        + ", config.json implies " + shape);
            }
            used.add(name);
            return w;
        };
        CausalLM model = build(config, source, NDManager.newBaseManager());
        List<String> unused = new ArrayList<>();
        for (String n : checkpoint.names()) {
            // A tied checkpoint may still carry lm_head.weight; old Llama ones carry rotary buffers.
            if (!used.contains(n) && !n.endsWith("rotary_emb.inv_freq")) {
                unused.add(n);
            }
        }
        if (!unused.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "{0}: ignored {1} tensors the model does not use, e.g. {2}",
                    dir, unused.size(), unused.get(0));
        }
        return model;
    }

    /** Builds the model from {@code source}, which is asked for every weight by its HF name. */
    public static CausalLM build(ModelConfig c, WeightSource source, NDManager manager) {
        Djl.init();
        int h = c.hiddenSize();
        int hd = c.headDim();
        float eps = (float) c.rmsNormEps();
        NDArray embed = source.get("model.embed_tokens.weight", new Shape(c.vocabSize(), h), manager);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            Attention attn = new Attention(
                    linear(source, manager, p + "self_attn.q_proj", c.numHeads() * hd, h, c.attentionBias()),
                    linear(source, manager, p + "self_attn.k_proj", c.numKvHeads() * hd, h, c.attentionBias()),
                    linear(source, manager, p + "self_attn.v_proj", c.numKvHeads() * hd, h, c.attentionBias()),
                    linear(source, manager, p + "self_attn.o_proj", h, c.numHeads() * hd, c.outputBias()),
                    c.qkNorm() ? rmsNorm(source, manager, p + "self_attn.q_norm", hd, eps) : null,
                    c.qkNorm() ? rmsNorm(source, manager, p + "self_attn.k_norm", hd, eps) : null,
                    c.numHeads(), c.numKvHeads(), hd, c.slidingWindow(i));
            Mlp mlp = new Mlp(
                    linear(source, manager, p + "mlp.gate_proj", c.intermediateSize(), h, c.mlpBias()),
                    linear(source, manager, p + "mlp.up_proj", c.intermediateSize(), h, c.mlpBias()),
                    linear(source, manager, p + "mlp.down_proj", h, c.intermediateSize(), c.mlpBias()));
            layers.add(new DecoderLayer(rmsNorm(source, manager, p + "input_layernorm", h, eps), attn,
                    rmsNorm(source, manager, p + "post_attention_layernorm", h, eps), mlp));
        }
        RmsNorm norm = rmsNorm(source, manager, "model.norm", h, eps);
        NDArray lmHead = c.tieWordEmbeddings() ? embed
                : source.get("lm_head.weight", new Shape(c.vocabSize(), h), manager);
        return new CausalLM(c, manager, embed, List.copyOf(layers), norm, lmHead);
    }

    private static Linear linear(WeightSource s, NDManager m, String name, int out, int in, boolean bias) {
        return new Linear(name, s.get(name + ".weight", new Shape(out, in), m),
                bias ? s.get(name + ".bias", new Shape(out), m) : null);
    }

    private static RmsNorm rmsNorm(WeightSource s, NDManager m, String name, int dim, float eps) {
        return new RmsNorm(name, s.get(name + ".weight", new Shape(dim), m), eps);
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /**
     * The final hidden states: ids (B, T) → (B, T, H).
     *
     * @param positions (B, T) position ids, or null for {@code past, past+1, …} in every row
     * @param keyValid (B, S) false for padding keys (S = cached + new tokens), or null when no padding
     * @param cache appended to and attended over, or null for a plain forward over {@code ids}
     * @param training turns dropout on
     */
    public NDArray forward(NDArray ids, long[][] positions, boolean[][] keyValid, KvCache cache, boolean training) {
        Pass pass = pass(ids, positions, keyValid, cache, training);
        NDArray x = embed(ids); // (B, T, H)
        for (int i = 0; i < layers.size(); i++) {
            x = layer(i, x, pass);
        }
        return finalNorm(x);
    }

    /** What every layer of one forward pass shares: the rotation of its positions and the attention masks. */
    public record Pass(RotaryEmbedding.Rotation rotation, Map<Integer, NDArray> masksByWindow, KvCache cache,
                       boolean training) {}

    /** Prepares a pass over {@code ids} (B, T); see {@link #forward} for the arguments. */
    public Pass pass(NDArray ids, long[][] positions, boolean[][] keyValid, KvCache cache, boolean training) {
        NDManager m = ids.getManager();
        int b = Math.toIntExact(ids.getShape().get(0));
        int t = Math.toIntExact(ids.getShape().get(1));
        int past = cache == null ? 0 : cache.length();
        RotaryEmbedding.Rotation rotation = rope.rotation(m, positions != null ? positions : consecutive(b, past, t));
        Map<Integer, NDArray> masks = new HashMap<>(); // one mask per distinct window (null: none needed)
        for (DecoderLayer l : layers) {
            masks.computeIfAbsent(l.attention.window(), w -> AttentionMask.build(m, past, t, keyValid, w));
        }
        return new Pass(rotation, masks, cache, training);
    }

    /** ids (B, T) → embeddings (B, T, H) */
    public NDArray embed(NDArray ids) {
        return ids.getNDArrayInternal().embedding(ids, embed, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Layer {@code i}: x (B, T, H) → (B, T, H) */
    public NDArray layer(int i, NDArray x, Pass pass) {
        DecoderLayer l = layers.get(i);
        return l.forward(x, pass, pass.masksByWindow().get(l.attention.window()), i);
    }

    /** The final RMSNorm: (B, T, H) → (B, T, H) */
    public NDArray finalNorm(NDArray x) {
        return norm.forward(x);
    }

    /** The token embeddings (V, H), for the native decode step. */
    NDArray embedWeight() {
        return embed;
    }

    /** The final RMSNorm's weight (H), for the native decode step. */
    NDArray finalNormWeight() {
        return norm.weight();
    }

    /** The rotary embedding of this model's positions. */
    RotaryEmbedding rotary() {
        return rope;
    }

    /** hidden (…, H) → logits (…, V) */
    public NDArray logits(NDArray hidden) {
        return hidden.getNDArrayInternal().linear(hidden, lmHead, null).singletonOrThrow();
    }

    static long[][] consecutive(int b, int from, int t) {
        long[][] p = new long[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                p[i][j] = from + j;
            }
        }
        return p;
    }

    /**
     * Logits of each row's last position, (B, V), for decoding: a forward pass over {@code ids} with
     * the cache, on {@link #splitDecoding split} threads when the model was split. Arguments as in
     * {@link #forward}; call it with gradient recording off, as {@code DecodeBatch} does.
     */
    public NDArray lastLogits(NDArray ids, long[][] positions, boolean[][] keyValid, KvCache cache) {
        checkFits(cache);
        if (sharded == null) {
            NDArray hidden = forward(ids, positions, keyValid, cache, false);
            return logits(hidden.get(new NDIndex(":, -1, :")));
        }
        return sharded.lastLogits(ids, positions, keyValid, cache);
    }

    /**
     * Logits of one new token per row as Java rows (B)(V): {@link #lastLogits} of ids (B, 1), with no
     * arrays for the caller to free. A decode loop calls this every step; where the model decodes
     * natively ({@link NativeDecodeStep}) the step makes no libtorch array at all.
     */
    public float[][] stepLogits(long[] ids, long[][] positions, boolean[][] keyValid, KvCache cache) {
        checkFits(cache);
        if (sharded != null && sharded.decodesNatively() && cache != null) {
            return sharded.stepLogits(ids, positions, keyValid, cache);
        }
        try (NDManager step = manager.newSubManager()) {
            return rows(lastLogits(step.create(ids).reshape(ids.length, 1), positions, keyValid, cache));
        }
    }

    /** Logits (B, V) as Java rows (B)(V). */
    public static float[][] rows(NDArray logits) {
        int b = Math.toIntExact(logits.getShape().get(0));
        int v = Math.toIntExact(logits.getShape().get(1));
        float[] flat = logits.toFloatArray();
        float[][] out = new float[b][v];
        for (int r = 0; r < b; r++) {
            System.arraycopy(flat, r * v, out[r], 0, v);
        }
        return out;
    }

    private void checkFits(KvCache cache) {
        if (cache != null && cache.slots() != cacheSlots()) {
            throw new IllegalArgumentException("a KV cache of " + cache.slots() + " slots for a model decoding with "
                    + cacheSlots() + ": the cache was made before the model's decoding was split (or unsplit)");
        }
    }

    /**
     * Splits {@link #lastLogits} across up to {@code threads} threads, each with a share of the heads
     * and MLP units (see {@link ShardedDecoder}); the count used is the largest that divides the kv
     * heads and the intermediate size. Call it after loading an adapter: LoRA layers are not split,
     * and a model with adapters stays on one thread. Returns the number of threads used. Caches made
     * before a split do not fit after it. Where the packed products are available ({@link PackedWeight})
     * one thread is a split too (a decode thread of its own), so that every decode runs on them.
     */
    public int splitDecoding(int threads) {
        if (sharded != null) {
            sharded.close();
            sharded = null;
        }
        int n = Math.max(1, threads);
        while (n > 1 && (config.numKvHeads() % n != 0 || config.intermediateSize() % n != 0)) {
            n--;
        }
        if ((n > 1 || PackedWeight.available()) && !hasAdapter()) {
            sharded = new ShardedDecoder(this, layers, lmHead, n);
        }
        return sharded == null ? 1 : sharded.shards();
    }

    /** Whether decode steps run as one native call a thread ({@link NativeDecodeStep}). */
    public boolean decodesNatively() {
        return sharded != null && sharded.decodesNatively();
    }

    /** An empty KV cache laid out for this model's decoding (one slot per layer and thread). */
    public KvCache newCache() {
        return new KvCache(manager, cacheSlots());
    }

    private int cacheSlots() {
        return layers.size() * (sharded == null ? 1 : sharded.shards());
    }

    /** Whether any linear layer carries a LoRA adapter (enabled or not). */
    boolean hasAdapter() {
        return linears().stream().anyMatch(l -> l.lora() != null);
    }

    public List<DecoderLayer> layers() {
        return layers;
    }

    /** Every linear layer, in checkpoint order (LoRA targets come from these). */
    public List<Linear> linears() {
        List<Linear> out = new ArrayList<>();
        for (DecoderLayer l : layers) {
            Attention a = l.attention;
            out.addAll(List.of(a.q, a.k, a.v, a.o, l.mlp.gate, l.mlp.up, l.mlp.down));
        }
        return out;
    }

    /** Turns every LoRA adapter on or off (off: the base model, e.g. DPO's reference). */
    public void setAdaptersEnabled(boolean enabled) {
        linears().forEach(l -> l.setLoraEnabled(enabled));
    }

    /** The weights by Hugging Face name, in checkpoint order (no lm_head when tied). */
    public Map<String, NDArray> weights() {
        Map<String, NDArray> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", embed);
        for (DecoderLayer l : layers) {
            List<Linear> lin = List.of(l.attention.q, l.attention.k, l.attention.v, l.attention.o,
                    l.mlp.gate, l.mlp.up, l.mlp.down);
            for (Linear x : lin) {
                w.put(x.name() + ".weight", x.weight());
                if (x.bias() != null) {
                    w.put(x.name() + ".bias", x.bias());
                }
            }
            for (RmsNorm n : new RmsNorm[] {l.attention.qNorm, l.attention.kNorm, l.inputNorm, l.postAttentionNorm}) {
                if (n != null) {
                    w.put(n.name() + ".weight", n.weight());
                }
            }
        }
        w.put("model.norm.weight", norm.weight());
        if (!config.tieWordEmbeddings()) {
            w.put("lm_head.weight", lmHead);
        }
        return w;
    }

    public long parameterCount() {
        return weights().values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    @Override
    public void close() {
        if (sharded != null) {
            sharded.close();
        }
        manager.close();
    }
}
