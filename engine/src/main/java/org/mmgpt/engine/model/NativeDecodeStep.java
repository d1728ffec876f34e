package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The decode step (one new token per row) of every {@link ShardedDecoder} shard as one native call
 * each (src/main/native/decode_step.c, in the library of the packed products): the layers' norms,
 * products on the packed slices, rotation, cache write, attention, SwiGLU and the shards' exchanges,
 * then the final norm and the shard's rows of the output head.
 *
 * <p>Why: as libtorch operators the same step is about 60 calls a layer and shard, 4–5 µs each from
 * Java, which left batch 1 at half of what memory bandwidth allows; natively it costs its products
 * and microseconds. It computes what {@link Attention}, {@link Mlp} and {@link RmsNorm} compute (they
 * stay the decoder: prefill, training and the tests' reference run them), and is used only where the
 * packed products are ({@link PackedWeight#available()}).
 *
 * <p>This class holds each shard's table of weight addresses (valid as long as the model's weights
 * and the decoder's packed slices), the shared buffers of the exchanges and the shards' meeting point.
 */
final class NativeDecodeStep {
    private static final int LAYER_FIELDS = 18; // decode_step.c: IN_NORM … DOWN_BIAS
    static final int STEP_FIELDS = 4; // KEYS, VALUES, CAPACITY, MASK
    private static final boolean AVAILABLE;

    static {
        boolean registered = false;
        NativeLibrary library = PackedWeight.library();
        if (library != null) {
            try {
                Native.register(NativeDecodeStep.class, library);
                registered = true;
            } catch (LinkageError e) { // a library built before the step was added: the Java step runs
                registered = false;
            }
        }
        AVAILABLE = registered;
    }

    private final int n;
    private final int layers;
    private final int hidden;
    private final int qHeads; // a shard's
    private final int kvHeads;
    private final int headDim;
    private final int inter;
    private final long[] vocabFrom; // [shard] the first row of the output head it computes
    private final long[] vocabRows; // [shard] how many
    private final long vocabSize;
    private final float eps;
    private final long[][] weights; // [shard] the table decode_step.c reads
    private final long embedding; // (V, H)
    private final Memory meeting = new Memory(16); // arrived, generation, sleepers, aborted
    private Memory exchange; // 2·n·B·H floats
    private long exchangeFloats;

    /** Whether this process runs decode steps natively. */
    static boolean available() {
        return AVAILABLE;
    }

    /** The tables of a split model: every slice in {@code attention}, {@code mlp} and {@code lmHead} packed. */
    NativeDecodeStep(CausalLM model, Attention[][] attention, Mlp[][] mlp, Linear[] lmHead) {
        ModelConfig c = model.config();
        List<DecoderLayer> stack = model.layers();
        this.n = attention.length;
        this.layers = stack.size();
        this.hidden = c.hiddenSize();
        this.qHeads = c.numHeads() / n;
        this.kvHeads = c.numKvHeads() / n;
        this.headDim = c.headDim();
        this.inter = c.intermediateSize() / n;
        this.eps = (float) c.rmsNormEps();
        this.vocabFrom = new long[n];
        this.vocabRows = new long[n];
        this.vocabSize = c.vocabSize();
        this.weights = new long[n][layers * LAYER_FIELDS + 2];
        long qd = (long) qHeads * headDim;
        long kvd = (long) kvHeads * headDim;
        this.embedding = address(model.embedWeight());
        for (int s = 0; s < n; s++) {
            long[] w = weights[s];
            for (int i = 0; i < layers; i++) {
                DecoderLayer l = stack.get(i);
                Attention a = attention[s][i];
                Mlp m = mlp[s][i];
                int at = i * LAYER_FIELDS;
                w[at] = address(l.inputNorm.weight());
                w[at + 1] = address(l.postAttentionNorm.weight());
                w[at + 2] = a.qNorm == null ? 0 : address(a.qNorm.weight());
                w[at + 3] = a.kNorm == null ? 0 : address(a.kNorm.weight());
                w[at + 4] = packed(a.q, qd, hidden);
                w[at + 5] = address(a.q.bias());
                w[at + 6] = packed(a.k, kvd, hidden);
                w[at + 7] = address(a.k.bias());
                w[at + 8] = packed(a.v, kvd, hidden);
                w[at + 9] = address(a.v.bias());
                w[at + 10] = packed(a.o, hidden, qd);
                w[at + 11] = s == 0 ? address(l.attention.o.bias()) : 0; // the whole bias, added once
                w[at + 12] = packed(m.gate, inter, hidden);
                w[at + 13] = address(m.gate.bias());
                w[at + 14] = packed(m.up, inter, hidden);
                w[at + 15] = address(m.up.bias());
                w[at + 16] = packed(m.down, hidden, inter);
                w[at + 17] = s == 0 ? address(l.mlp.down.bias()) : 0;
            }
            w[layers * LAYER_FIELDS] = address(model.finalNormWeight());
            vocabFrom[s] = s == 0 ? 0 : vocabFrom[s - 1] + vocabRows[s - 1];
            vocabRows[s] = lmHead[s].weight().getShape().get(0);
            w[layers * LAYER_FIELDS + 1] = packed(lmHead[s], vocabRows[s], hidden);
        }
    }

    /** The address of {@code l}'s packed weight, checked to be the (out, in) the step reads. */
    private static long packed(Linear l, long out, long in) {
        PackedWeight p = l.packed();
        if (p == null || p.outputs() != out || p.inputs() != in) {
            throw new IllegalStateException(l.name() + ": the native decode step needs it packed as (" + out + ", "
                    + in + "), not " + (p == null ? "unpacked" : "(" + p.outputs() + ", " + p.inputs() + ")"));
        }
        return p.packedAddress();
    }

    private static long address(NDArray a) {
        return a == null ? 0 : PackedWeight.address(a);
    }

    /** Sizes the exchange buffers for {@code b} rows and resets the meeting point; before the shards start. */
    void prepare(long b) {
        long floats = 2L * n * b * hidden;
        if (floats > exchangeFloats) {
            exchange = new Memory(floats * 4);
            exchangeFloats = floats;
        }
        meeting.clear();
    }

    /** Wakes every shard waiting at the meeting point and makes it return: another failed. */
    void abort() {
        meeting.setInt(12, 1);
    }

    /**
     * What the shards of one step share. The other shards start waiting for it before it is prepared,
     * at the end of the step before (see {@link ShardedDecoder}): waking a thread takes about 0.1 ms on
     * this project's 2-core machine, 2% of a step, and they would otherwise start that late.
     */
    static final class Input {
        private static final long SPIN_NANOS = 2_000_000; // longer than a decoding loop takes between two steps

        long rows; // B
        long past; // positions cached before this step
        long[] ids; // (B), every one checked to index the embedding
        long[][] steps; // [shard] per layer: keys, values, capacity, mask (STEP_FIELDS each, see KvCache#reserveOne)
        long maskRows; // 1 or B
        float[] cos; // (B, hd)
        float[] sin;
        long logits; // (B, V) float32, contiguous; each shard writes its columns
        List<Memory> masks; // what steps point to: held until the step is done
        private volatile int state; // 0 not yet prepared, 1 ready, 2 abandoned
        private volatile Thread sleeper; // a shard that stopped spinning

        void publish() {
            settle(1);
        }

        /** There is no such step (a prefill comes next, the step failed to prepare, the decoder closes). */
        void abandon() {
            settle(2);
        }

        private void settle(int to) {
            state = to;
            Thread t = sleeper; // read after the write of state: a shard that went to sleep before it is seen
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        /** Whether the step is on: spins for a while (steps follow each other closely), then sleeps. */
        boolean await() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (state == 0 && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            if (state == 0) {
                sleeper = Thread.currentThread(); // written before the last look at state
                while (state == 0 && !Thread.currentThread().isInterrupted()) {
                    LockSupport.park(this);
                }
                sleeper = null;
            }
            return state == 1;
        }
    }

    /** Shard {@code s}'s part of the step {@code in}, once published. */
    void run(int s, Input in) {
        if (!in.await()) {
            return;
        }
        int status = mmgpt_decode_step(PackedWeight.isa(), s, n, layers, weights[s], in.steps[s], in.rows, hidden,
                qHeads, kvHeads, headDim, inter, vocabRows[s], eps, in.past, in.maskRows, in.cos, in.sin, in.ids,
                embedding, Pointer.nativeValue(exchange), Pointer.nativeValue(meeting), in.logits + 4 * vocabFrom[s],
                vocabSize);
        if (status != 0) {
            abort();
            throw new IllegalStateException(status == -2 ? "the native decode step ran out of memory"
                    : "another decode shard failed");
        }
    }

    // src/main/native/decode_step.c, bound by Native.register
    private static native int mmgpt_decode_step(int isa, int shard, int parties, int layers, long[] weights,
                                                long[] steps, long b, long h, long qh, long kvh, long hd, long inter,
                                                long vocabRows, float eps, long past, long maskRows, float[] cos,
                                                float[] sin, long[] ids, long embedding, long exchange, long barrier,
                                                long logits, long logitsLd);
}
