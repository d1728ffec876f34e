package org.mmgpt.engine.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.Linear;

/**
 * What a decode step would cost if it were nothing but its matrix products: every weight matrix of
 * the decoder and the output head times {@code rows} input rows, split across {@code threads} threads
 * the way the decoder splits them (each thread a contiguous share of every matrix, one intra-op
 * thread each), with no norms, attention, cache or exchanges in between, on the products the decoder
 * uses ({@link Linear#rows}: packed where they are available, else libtorch's). The benchmark sets a
 * step's measured time beside it: the difference is what the calls between the products cost.
 */
final class DecodeProducts {
    private static final int WARMUP = 5;
    private static final int REPEATS = 21;

    private DecodeProducts() {}

    /** The median milliseconds of one step's products at {@code rows} rows. */
    static double millisPerStep(CausalLM model, int rows, int threads) throws InterruptedException {
        int callersThreads = JniUtils.getNumThreads(); // restored at the end: see Djl.oneComputeThreadOnThisThread
        List<NDArray> weights = new ArrayList<>();
        model.linears().stream().map(Linear::weight).forEach(weights::add);
        Map<String, NDArray> byName = model.weights();
        weights.add(byName.getOrDefault("lm_head.weight", byName.get("model.embed_tokens.weight"))); // tied: the embedding
        double[] millis = new double[REPEATS];
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        CyclicBarrier done = new CyclicBarrier(threads + 1);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        NDManager manager = model.manager().newSubManager(); // the shares' views
        try {
            for (int s = 0; s < threads; s++) {
                List<Linear> share = new ArrayList<>();
                for (NDArray w : weights) {
                    long out = w.getShape().get(0);
                    long from = out * s / threads;
                    long to = out * (s + 1) / threads;
                    share.add(new Linear("probe", w, null).rows(from, to - from, manager));
                }
                Thread t = new Thread(() -> work(share, rows, manager, start, done, failure), "mmgpt-bench-products-" + s);
                t.setDaemon(true);
                workers.add(t);
            }
            workers.forEach(Thread::start);
            for (int i = -WARMUP; i < REPEATS; i++) {
                long t0 = System.nanoTime();
                start.await();
                done.await();
                if (i >= 0) {
                    millis[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        } catch (BrokenBarrierException e) {
            throw new IllegalStateException("a products thread failed", failure.get());
        } finally {
            start.reset(); // a thread still waiting (the caller was interrupted) stops
            done.reset();
            for (Thread t : workers) {
                t.join(); // before their arrays go
            }
            manager.close();
            JniUtils.setNumThreads(callersThreads);
        }
        Arrays.sort(millis);
        return millis[REPEATS / 2];
    }

    /** One thread: its share of every matrix times (rows, in) ones, at each start until the last. */
    private static void work(List<Linear> share, int rows, NDManager manager, CyclicBarrier start,
                             CyclicBarrier done, AtomicReference<RuntimeException> failure) {
        Autograd.offOnThisThread();
        Djl.oneComputeThreadOnThisThread();
        try (NDManager local = manager.newSubManager()) {
            List<NDArray> inputs = new ArrayList<>();
            for (Linear l : share) {
                inputs.add(local.ones(new Shape(rows, l.weight().getShape().get(1))));
            }
            for (int i = -WARMUP; i < REPEATS; i++) {
                start.await();
                for (int k = 0; k < share.size(); k++) {
                    share.get(k).forward(inputs.get(k), false).close();
                }
                done.await();
            }
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
            start.reset(); // whoever waits gets a BrokenBarrierException instead of waiting forever
            done.reset();
        } catch (InterruptedException | BrokenBarrierException e) {
            // the caller or another products thread gave up: nothing more to time
        }
    }
}
