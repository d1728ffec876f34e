package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.Djl;

/**
 * Inference forward passes split across {@code n} threads, Megatron style: shard {@code s} owns
 * {@code nH/n} query heads with their {@code nKv/n} key/value heads, {@code I/n} of every MLP's
 * intermediate units and {@code V/n} rows of the output head.
 *
 * <p>Why: a decode step is a chain of matrix-vector products, and PyTorch's BLAS runs each of them on
 * one core however many intra-op threads it is given (measured on 2 cores: 9.0 ms for one token's
 * linears with 1 or 2 threads, 4.6–5.5 ms when two threads each take half of every matrix). Memory
 * bandwidth grows with cores; one core cannot use it all.
 *
 * <p>Each shard computes the embedding, the norms and the residual sums itself: identical inputs in
 * identical order give identical bits on every shard, so the only exchange is the partial outputs of
 * o_proj and down_proj (summed in shard order, twice a layer; shard 0's carries the residual) and the
 * slices of the logits.
 *
 * <p>Where the native packed products are available ({@link PackedWeight}) every slice is also packed
 * and every product of a pass runs on the packed copies (as much memory again as the weights); the
 * slices themselves are then views of the model's weights. Without them the row slices (q, k, v,
 * gate, up, lm_head) are views and the column slices of o_proj and down_proj contiguous copies (about
 * a third of the decoder's weight memory again).
 * Shard {@code s} keeps layer {@code i}'s keys and values in cache slot {@code i·n + s}.
 *
 * <p>With the packed products comes the native decode step ({@link NativeDecodeStep}): a step of one
 * new token per row runs there, one native call a shard, and only prefill runs the Java layers here.
 */
final class ShardedDecoder implements AutoCloseable {
    private final CausalLM model;
    private final int n;
    private final NDManager manager; // the slices and copies
    private final Attention[][] attention; // [shard][layer]
    private final Mlp[][] mlp;
    private final Linear[] lmHead; // [shard] (V/n, H) row slices
    private final List<NDArray> splitFrom; // the model's weights when it was split
    private final ExecutorService pool;
    private final AtomicReferenceArray<NDManager> lastPass; // [shard] the arrays of its last pass, freed after the next
    private final NativeDecodeStep step; // null: decode steps run on the Java shards too
    private NativeDecodeStep.Input nextStep; // with step: the next decode step's, its other shards waiting for it
    private List<CompletableFuture<Void>> nextShards;
    private final int vocab;
    private Memory logitsBuffer; // stepLogits' (B, V)
    private long logitsFloats;
    private boolean closed;

    ShardedDecoder(CausalLM model, List<DecoderLayer> layers, NDArray lmHead, int n) {
        ModelConfig c = model.config();
        this.model = model;
        this.n = n;
        this.manager = model.manager().newSubManager();
        this.attention = new Attention[n][layers.size()];
        this.mlp = new Mlp[n][layers.size()];
        this.lmHead = new Linear[n];
        int hd = c.headDim();
        int qh = c.numHeads() / n;
        int kvh = c.numKvHeads() / n;
        int inter = c.intermediateSize() / n;
        long vocab = c.vocabSize();
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < layers.size(); i++) {
                Attention a = layers.get(i).attention;
                Mlp m = layers.get(i).mlp;
                attention[s][i] = new Attention(a.q.rows(s * qh * hd, qh * hd, manager),
                        a.k.rows(s * kvh * hd, kvh * hd, manager), a.v.rows(s * kvh * hd, kvh * hd, manager),
                        columns(a.o, s * qh * hd, qh * hd), a.qNorm, a.kNorm, qh, kvh, hd, a.window());
                mlp[s][i] = new Mlp(m.gate.rows(s * inter, inter, manager), m.up.rows(s * inter, inter, manager),
                        columns(m.down, s * inter, inter));
            }
            long from = vocab * s / n;
            long to = vocab * (s + 1) / n;
            this.lmHead[s] = new Linear("lm_head", lmHead, null).rows(from, to - from, manager);
        }
        this.splitFrom = weightsOf(model);
        this.lastPass = new AtomicReferenceArray<>(n);
        this.vocab = c.vocabSize();
        this.step = NativeDecodeStep.available() ? new NativeDecodeStep(model, attention, mlp, this.lmHead) : null;
        this.pool = startThreads(n);
    }

    /**
     * Columns [from, from+count) of the weight: packed (and a view), or else a contiguous copy. The bias
     * is shard 0's to add (see {@link #partial}).
     */
    private Linear columns(Linear l, long from, long count) {
        NDArray view = own(l.weight().get(new NDIndex(":, {}:{}", from, from + count))); // strided
        if (PackedWeight.available()) {
            long out = l.weight().getShape().get(0);
            return new Linear(l.name(), view, null, PackedWeight.of(l.weight(), 0, out, from, count, manager));
        }
        NDArray copy = own(view.reshape(-1).reshape(view.getShape())); // flattening a strided view copies it
        view.close();
        return new Linear(l.name(), copy, null);
    }

    private NDArray own(NDArray a) {
        a.attach(manager);
        return a;
    }

    private static List<NDArray> weightsOf(CausalLM model) {
        List<NDArray> w = new ArrayList<>();
        model.linears().forEach(l -> w.add(l.weight()));
        return w;
    }

    /**
     * n daemon threads with one intra-op thread each and gradients off; the caller's count is restored
     * once they have set theirs (see {@link Djl#oneComputeThreadOnThisThread}).
     */
    private static ExecutorService startThreads(int n) {
        int callersThreads = JniUtils.getNumThreads();
        AtomicInteger index = new AtomicInteger();
        CountDownLatch ready = new CountDownLatch(n);
        ExecutorService pool = Executors.newFixedThreadPool(n, task -> {
            Thread t = new Thread(() -> {
                Autograd.offOnThisThread();
                Djl.oneComputeThreadOnThisThread();
                ready.countDown();
                task.run();
            }, "mmgpt-decode-shard-" + index.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        ((java.util.concurrent.ThreadPoolExecutor) pool).prestartAllCoreThreads();
        try {
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
            throw new IllegalStateException("interrupted while starting decode threads", e);
        }
        JniUtils.setNumThreads(callersThreads);
        return pool;
    }

    int shards() {
        return n;
    }

    /**
     * Logits of each row's last position, (B, V); see {@link CausalLM#lastLogits}. One pass at a time:
     * the shards of two interleaved passes would wait for each other's turn on the n threads forever.
     * A decode step (one token per row, with a cache) runs natively where it can ({@link NativeDecodeStep}),
     * everything else (prefill) on the Java shards.
     */
    synchronized NDArray lastLogits(NDArray ids, long[][] positions, boolean[][] keyValid, KvCache cache) {
        checkUnchanged();
        if (step != null && cache != null && ids.getShape().get(1) == 1) {
            NDArray logits = ids.getManager().create(new Shape(ids.getShape().get(0), vocab), DataType.FLOAT32);
            decodeStep(ids.toType(DataType.INT64, false).toLongArray(), positions, keyValid, cache,
                    PackedWeight.address(logits));
            return logits;
        }
        disarm();
        CausalLM.Pass pass = model.pass(ids, positions, keyValid, cache, false);
        ShardExchange exchange = new ShardExchange(n);
        // Each shard's activations go to a manager of its own (two threads attaching thousands of
        // arrays to one manager contend for it). A shard hands over its logits first and then frees
        // the arrays of the pass before (a quarter of a millisecond on 2 cores), while the caller
        // samples: by then every partner has long read that pass's partials.
        List<CompletableFuture<NDArray>> parts = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            int shard = s;
            NDManager local = manager.newSubManager();
            CompletableFuture<NDArray> part = new CompletableFuture<>();
            parts.add(part);
            pool.execute(() -> {
                try {
                    part.complete(shardForward(shard, ids, local, pass, exchange));
                } catch (RuntimeException | Error e) {
                    exchange.abort();
                    part.completeExceptionally(e);
                }
                NDManager before = lastPass.getAndSet(shard, local);
                if (before != null) {
                    before.close();
                }
            });
        }
        try {
            NDList logits = new NDList();
            for (CompletableFuture<NDArray> p : parts) {
                logits.add(p.get());
            }
            NDArray all = NDArrays.concat(logits, -1); // (B, V)
            all.attach(ids.getManager());
            return all;
        } catch (InterruptedException e) {
            exchange.abort();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding", e);
        } catch (ExecutionException e) {
            exchange.abort();
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
        }
    }

    /** Whether decode steps run natively ({@link #stepLogits}). */
    boolean decodesNatively() {
        return step != null;
    }

    /** A native decode step, the logits as rows (B)(V); see {@link CausalLM#stepLogits}. */
    synchronized float[][] stepLogits(long[] ids, long[][] positions, boolean[][] keyValid, KvCache cache) {
        checkUnchanged();
        long floats = (long) ids.length * vocab;
        if (floats > logitsFloats) {
            logitsBuffer = new Memory(floats * 4);
            logitsFloats = floats;
        }
        decodeStep(ids, positions, keyValid, cache, Pointer.nativeValue(logitsBuffer));
        float[][] rows = new float[ids.length][vocab];
        for (int r = 0; r < rows.length; r++) {
            logitsBuffer.read((long) r * vocab * 4, rows[r], 0, vocab);
        }
        return rows;
    }

    private void checkUnchanged() {
        if (closed) { // its packed weights are freed: the native step must never read them
            throw new IllegalStateException("this split of the model's decoding was closed (split again or closed)");
        }
        if (!weightsOf(model).equals(splitFrom) || model.hasAdapter()) {
            throw new IllegalStateException("the model's weights or adapters changed after its decoding was split"
                    + " across threads: split it again (splitDecoding) after loading adapters or merging");
        }
    }

    /**
     * One token per row ids (B) → logits (B, V) at {@code logits}, natively: the caller's thread runs shard 0, the pool
     * the others, which already wait for it (see {@link NativeDecodeStep.Input}).
     */
    private void decodeStep(long[] ids, long[][] positions, boolean[][] keyValid, KvCache cache, long logits) {
        if (nextStep == null) {
            armNextStep();
        }
        NativeDecodeStep.Input in = nextStep;
        List<CompletableFuture<Void>> others = nextShards;
        nextStep = null;
        try {
            try {
                prepare(in, ids, positions, keyValid, cache, logits);
            } catch (RuntimeException e) {
                in.abandon();
                others.forEach(CompletableFuture::join);
                throw e;
            }
            step.prepare(in.rows);
            in.publish();
            RuntimeException failed = null;
            try {
                step.run(0, in);
            } catch (RuntimeException e) {
                step.abort();
                failed = e;
            }
            for (CompletableFuture<Void> other : others) {
                failed = joined(other, failed);
            }
            if (failed != null) {
                throw failed; // the cache keeps its length: what the step wrote at `past` is overwritten next time
            }
            for (int slot = 0; slot < cache.slots(); slot++) {
                cache.advance(slot);
            }
        } finally {
            armNextStep();
        }
    }

    /** Starts the other shards of the next decode step: they wait for its input. */
    private void armNextStep() {
        NativeDecodeStep.Input in = new NativeDecodeStep.Input();
        List<CompletableFuture<Void>> others = new ArrayList<>();
        for (int s = 1; s < n; s++) {
            int shard = s;
            others.add(CompletableFuture.runAsync(() -> step.run(shard, in), pool));
        }
        nextStep = in;
        nextShards = others;
    }

    /** Releases the shards waiting for a next decode step that will not come (a Java pass needs the threads). */
    private void disarm() {
        if (nextStep != null) {
            nextStep.abandon();
            nextShards.forEach(CompletableFuture::join);
            nextStep = null;
        }
    }

    /**
     * Waits for a shard's end, spinning first: shards end within microseconds of each other, and a
     * parked caller takes about 0.1 ms to wake. Returns {@code failed}, or the shard's failure.
     */
    private RuntimeException joined(CompletableFuture<Void> shard, RuntimeException failed) {
        long spinUntil = System.nanoTime() + 200_000;
        while (!shard.isDone() && System.nanoTime() < spinUntil) {
            Thread.onSpinWait();
        }
        try {
            shard.join();
            return failed;
        } catch (CompletionException e) {
            step.abort();
            return failed != null ? failed : e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Fills {@code in} for a step over ids (B) that writes its logits (B, V) at {@code logits}. */
    private void prepare(NativeDecodeStep.Input in, long[] ids, long[][] positions, boolean[][] keyValid,
                         KvCache cache, long logits) {
        ModelConfig c = model.config();
        int b = ids.length;
        int past = cache.length();
        for (long id : ids) { // the step reads the embedding at each id
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        if (positions != null && (positions.length != b || positions[0].length != 1)) {
            throw new IllegalArgumentException("positions for " + positions.length + " rows of " + positions[0].length
                    + ", not " + b + " of 1");
        }
        if (keyValid != null && keyValid.length != b) { // (a row shorter than the cache fails in AttentionMask)
            throw new IllegalArgumentException("key validity for " + keyValid.length + " rows, not " + b);
        }
        in.rows = b;
        in.past = past;
        in.ids = ids;
        float[][] cosSin = model.rotary().cosSin(positions != null ? positions : CausalLM.consecutive(b, past, 1));
        in.cos = cosSin[0];
        in.sin = cosSin[1];
        int layers = model.layers().size();
        int fields = NativeDecodeStep.STEP_FIELDS;
        in.steps = new long[n][layers * fields];
        Map<Integer, Memory> masks = new HashMap<>(); // per window: (B|1, S), null when nothing is masked
        for (int i = 0; i < layers; i++) {
            Memory mask = masks.computeIfAbsent(attention[0][i].window(),
                    w -> memory(AttentionMask.values(past, 1, keyValid, w)));
            for (int s = 0; s < n; s++) {
                long[] slot = cache.reserveOne(i * n + s, b, c.numKvHeads() / n, c.headDim());
                System.arraycopy(slot, 0, in.steps[s], i * fields, 3);
                in.steps[s][i * fields + 3] = mask == null ? 0 : Pointer.nativeValue(mask);
            }
        }
        in.masks = new ArrayList<>(masks.values()); // held until the step is done
        in.maskRows = keyValid == null ? 1 : b;
        in.logits = logits;
    }

    private static Memory memory(float[] values) {
        if (values == null) {
            return null;
        }
        Memory m = new Memory(4L * values.length);
        m.write(0, values, 0, values.length);
        return m;
    }

    /**
     * Shard {@code s}'s share of the forward pass: ids (B, T) → its logits slice (B, V/n). The residual
     * stream x is kept as (B·T, H) so that shard 0 can add it to its partial output of o_proj and
     * down_proj as their bias (one addmm, no separate add): the sum the exchange returns is then x's
     * next value.
     */
    private NDArray shardForward(int s, NDArray ids, NDManager local, CausalLM.Pass pass, ShardExchange exchange) {
        List<DecoderLayer> layers = model.layers();
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        NDArray x = model.embed(ids); // (B, T, H), the same on every shard
        x.attach(local); // what follows from x (its first operand) lands in local too
        x = x.reshape(b * t, model.config().hiddenSize()); // (B·T, H)
        for (int i = 0; i < layers.size(); i++) {
            DecoderLayer l = layers.get(i);
            Attention a = attention[s][i];
            NDArray heads = a.attend(l.inputNorm.forward(x), b, t, pass, pass.masksByWindow().get(a.window()), i * n + s);
            x = exchange.sum(s, partial(s, heads, a.o, x, l.attention.o.bias()));
            Mlp m = mlp[s][i];
            NDArray gated = m.gated(l.postAttentionNorm.forward(x), false); // (B·T, I/n)
            x = exchange.sum(s, partial(s, gated, m.down, x, l.mlp.down.bias()));
        }
        NDArray last = t == 1 ? x : x.reshape(b, t, -1).get(new NDIndex(":, -1, :")); // (B, H)
        last = model.finalNorm(last);
        return lmHead[s].forward(last, false); // (B, V/n)
    }

    /**
     * Shard {@code s}'s part of a column-split projection (B·T, H); shard 0's includes the residual
     * {@code x} and the full layer's {@code bias} (or null), which must be added once in all.
     */
    private static NDArray partial(int s, NDArray in, Linear columns, NDArray x, NDArray bias) {
        NDArray add = s > 0 ? null : bias == null ? x : x.add(bias);
        return columns.forwardAdding(in, add);
    }

    /** Waits for a pass in progress (they are synchronized too), then frees the threads and the slices. */
    @Override
    public synchronized void close() {
        closed = true;
        disarm();
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS); // a shard may still be freeing its last pass
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        manager.close();
    }
}
